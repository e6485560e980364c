"""``POST /api/v1/channels/sms/receipts`` and ``/channels/sms/replies``: the SMS provider's
delivery receipts and the customers' replies, signed (:mod:`arrears.channels.sms_returns`).

The bodies are Alibaba Cloud's HTTP batch push as it sends them: a JSON array of ``SmsReport`` or
``SmsUp`` items. Public as far as sign-in goes: the body's HMAC-SHA256 under
``ARREARS_CHANNEL_CALLBACK_SECRET`` (header ``X-Arrears-Signature``) is the authority, checked
before anything else. The answer is what the provider waits for (``{"code": 0, "msg": …}``;
anything else and it pushes the batch again), with the batch's counts; never a number or a text."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from arrears.api.access import DatabaseSession, public
from arrears.api.paging import now, problem_responses
from arrears.channels import sms_returns
from arrears.channels.callback_api import signed_body
from arrears.channels.worker import gatekeeping
from arrears.errors import InvalidInputError
from arrears.i18n import N_

router = APIRouter(tags=["outbox"])
MAX_BATCH = 1000


class SmsReportIn(BaseModel):
    phone_number: str | None = Field(default=None, max_length=32)
    send_time: str | None = Field(default=None, max_length=32)
    report_time: str | None = Field(default=None, max_length=32)
    success: bool
    err_code: str = Field(default="", max_length=64)
    err_msg: str = Field(default="", max_length=500)
    sms_size: str | None = Field(default=None, max_length=8)
    biz_id: str | None = Field(default=None, max_length=200)
    out_id: str | None = Field(default=None, max_length=200)


class SmsUpIn(BaseModel):
    phone_number: str = Field(min_length=1, max_length=32)
    send_time: str | None = Field(default=None, max_length=32)
    content: str = Field(max_length=2000)
    sign_name: str | None = Field(default=None, max_length=100)
    dest_code: str | None = Field(default=None, max_length=32)
    sequence_id: int | str


class Answer(BaseModel):
    code: int = Field(description="0: taken (the provider's protocol)")
    msg: str
    delivered: int = 0
    failed: int = 0
    repeated: int = 0
    unknown: int = 0
    replies: int = 0
    opted_out: int = 0


class CallbackBodyError(InvalidInputError):
    code = "invalid_callback"
    http_status = 422


Item = TypeVar("Item", SmsReportIn, SmsUpIn)
REPORTS = TypeAdapter(list[SmsReportIn])
REPLIES = TypeAdapter(list[SmsUpIn])


def _batch(adapter: TypeAdapter[list[Item]], body: bytes, what: str) -> list[Item]:
    try:
        items = adapter.validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise CallbackBodyError(
            N_("A {what} batch is a JSON array of the provider's items: at {where}: {problem}"),
            what=what,
            where=where,
            problem=first["msg"],
        ) from None
    if len(items) > MAX_BATCH:
        raise CallbackBodyError(N_("A batch holds at most {maximum} items"), maximum=MAX_BATCH)
    return items


@router.post(
    "/channels/sms/receipts",
    response_model=Answer,
    dependencies=[Depends(public)],
    responses=problem_responses(400, 422),
    summary="SMS delivery receipts (signed callback, Alibaba Cloud SmsReport)",
)
def sms_receipts(
    body: Annotated[bytes, Depends(signed_body)], session: DatabaseSession, request: Request
) -> Answer:
    """Mark each message delivered or failed; a number that does not exist marks its contact point."""
    items = _batch(REPORTS, body, "SmsReport")
    reports = [
        sms_returns.Report(
            success=item.success,
            err_code=item.err_code,
            err_msg=item.err_msg,
            biz_id=item.biz_id,
            out_id=item.out_id,
        )
        for item in items
    ]
    tally = sms_returns.take_reports(session, reports, now=now(request))
    return Answer(
        code=0,
        msg="接收成功",
        delivered=tally.delivered,
        failed=tally.failed,
        repeated=tally.repeated,
        unknown=tally.unknown,
    )


@router.post(
    "/channels/sms/replies",
    response_model=Answer,
    dependencies=[Depends(public)],
    responses=problem_responses(400, 422),
    summary="Customers' SMS replies (signed callback, Alibaba Cloud SmsUp)",
)
def sms_replies(
    body: Annotated[bytes, Depends(signed_body)], session: DatabaseSession, request: Request
) -> Answer:
    """Keep each reply; TD, STOP, 退订 … opt the number out of SMS at once."""
    items = _batch(REPLIES, body, "SmsUp")
    replies = [sms_returns.Reply(item.phone_number, item.content, str(item.sequence_id)) for item in items]
    context = request.app.state.context
    ctx = gatekeeping(context.settings, context.clock)
    tally = sms_returns.take_replies(session, replies, ctx=ctx)
    return Answer(
        code=0, msg="接收成功", replies=tally.replies, opted_out=tally.opted_out, repeated=tally.repeated
    )
