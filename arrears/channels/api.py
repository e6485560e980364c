"""Routes of the outbox under /api/v1: its counts (the dashboard), cancelling a queued message and
sending a dead one again (``outbox.manage``, ``If-Match`` the message's version).

Thin: parse, declare the permission, call :mod:`arrears.channels.outbox` in the request's
transaction, render with the message's ``ETag``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from arrears.api.access import DatabaseSession, requires
from arrears.api.concurrency import IfMatch
from arrears.api.paging import now, problem_responses, today
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.channels import outbox
from arrears.channels.schemas import MAX_ID, CountsOut, MessageOut, ReasonIn
from arrears.concurrency import etag, parse_if_match

router = APIRouter(tags=["outbox"])
Manager = Annotated[Principal, Depends(requires(Permission.OUTBOX_MANAGE))]
MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/outbox/counts",
    response_model=CountsOut,
    responses=problem_responses(403),
    summary="Messages per channel and state",
)
def outbox_counts(principal: Manager, session: DatabaseSession) -> CountsOut:
    """Messages per channel and state, every state named (the dashboard's figures)."""
    return CountsOut(counts=outbox.counts(session))


@router.post(
    "/outbox/{message_id}/cancel",
    response_model=MessageOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Cancel a queued message",
)
def cancel_message(
    message_id: MessageId,
    body: ReasonIn,
    principal: Manager,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> MessageOut:
    """Stop a queued message for good (``stopped``); one in any other state is 409."""
    message = outbox.cancel(
        session,
        principal,
        message_id,
        body.reason,
        parse_if_match(if_match),
        now=now(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(message.version)
    return MessageOut.of(message)


@router.post(
    "/outbox/{message_id}/resend",
    response_model=MessageOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Send a dead message again",
)
def resend_message(
    message_id: MessageId,
    body: ReasonIn,
    principal: Manager,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> MessageOut:
    """Put a dead message back in the queue, due now, its attempts counted from zero."""
    message = outbox.resend(
        session,
        principal,
        message_id,
        body.reason,
        parse_if_match(if_match),
        now=now(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(message.version)
    return MessageOut.of(message)
