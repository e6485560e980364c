"""``POST /api/v1/channels/email/bounces``: a relay's bounce, signed (:mod:`arrears.channels.bounces`).

Public as far as sign-in goes: the body's HMAC-SHA256 under ``ARREARS_CHANNEL_CALLBACK_SECRET``
(header ``X-Arrears-Signature: sha256=<hex>``) is the authority, checked on the raw body before
anything else (400 when missing or wrong). The answer carries the message's id and state, never
an address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError

from arrears.api.access import DatabaseSession, public
from arrears.api.paging import now, problem_responses
from arrears.channels import bounces
from arrears.channels.callback_api import signed_body
from arrears.i18n import N_

router = APIRouter(tags=["outbox"])


class BounceIn(BaseModel):
    message_id: str = Field(min_length=1, max_length=300, description="The e-mail's Message-ID, <…@arrears>")
    status: str = Field(min_length=1, max_length=20, description="The DSN status (RFC 3463), 4.x.x or 5.x.x")
    diagnostic: str | None = Field(default=None, max_length=2000, description="The relay's diagnostic text")


class BounceOut(BaseModel):
    message_id: int
    state: str
    contact_point_invalid: bool


@router.post(
    "/channels/email/bounces",
    response_model=BounceOut,
    dependencies=[Depends(public)],
    responses=problem_responses(400, 404, 409),
    summary="An e-mail bounce (signed callback)",
)
def email_bounce(
    body: Annotated[bytes, Depends(signed_body)], session: DatabaseSession, request: Request
) -> BounceOut:
    """Mark the e-mail bounced; a permanent bounce (5.x.x) marks its address invalid."""
    try:
        given = BounceIn.model_validate_json(body)
    except ValidationError:
        raise bounces.BounceInputError(
            N_("A bounce is JSON with message_id, status and diagnostic")
        ) from None
    done = bounces.bounce(session, given.message_id, given.status, given.diagnostic, now=now(request))
    return BounceOut(
        message_id=done.message.id, state=done.message.state, contact_point_invalid=done.point_invalid
    )
