"""Routes of next case under /api/v1/queues: take the next case, release its lease.

Thin: parse, declare the permission, call :mod:`arrears.queues.next_case` in the request's
transaction, render (the reason in the caller's language). The request and answer shapes are
here, beside the two routes that use them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import now, problem_responses, today
from arrears.api.problems import language_of
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.contacts.gate import pack_of
from arrears.i18n import translate
from arrears.money import format_major
from arrears.queues import next_case
from arrears.queues.next_case import Handed, Reason

router = APIRouter(tags=["queues"])
Worker = Annotated[Principal, Depends(requires(Permission.QUEUE_WORK))]


class NextCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skip: bool = Field(
        default=False,
        description="Give up the case you hold for another (kept from you for a whole lease); needs a reason",
    )
    reason: str | None = Field(
        default=None, max_length=500, description="Why you skip the case (kept in the audit trail)"
    )


class NextCaseOut(BaseModel):
    case_id: str
    reason: Reason = Field(
        description="callback_due, call_task, promise_due, promise_broken, plan_broken or expected_recovery"
    )
    why: str = Field(description="The reason, in the caller's language")
    expected_recovery: str = Field(description="Overdue times probability of paying, major units")
    currency: str
    leased_at: datetime
    expires_at: datetime = Field(description="The case is yours alone until then")
    repeated: bool = Field(description="True: you already held this lease; nothing new was written")
    assigned: bool = Field(description="True: taken from your team's pool and assigned to you now")

    @classmethod
    def of(cls, handed: Handed, language: str) -> NextCaseOut:
        return cls(
            case_id=handed.case_id,
            reason=handed.reason,
            why=translate(next_case.reason_message(handed.reason), language),
            expected_recovery=format_major(handed.expected_recovery, handed.currency),
            currency=handed.currency,
            leased_at=handed.leased_at,
            expires_at=handed.expires_at,
            repeated=handed.repeated,
            assigned=handed.assigned,
        )


@router.post(
    "/queues/next",
    response_model=NextCaseOut,
    responses=problem_responses(400, 403, 404, 409),
    summary="The next case to work from your queues, leased to you",
)
def take_next_case(
    principal: Worker,
    session: DatabaseSession,
    request: Request,
    body: NextCaseIn | None = None,
) -> NextCaseOut:
    """The highest-priority case you may work now (callback due, promise due today, promise broken
    this morning, expected recovery, age), leased to you for ``ARREARS_LEASE_MINUTES``. Asking again
    while you hold the lease answers the same case; ``skip`` gives it up for another. 404 when no
    case of your queues can be worked now."""
    settings = request.app.state.context.settings
    wanted = body or NextCaseIn()
    handed = next_case.next_case(
        session,
        principal,
        now=now(request),
        today=today(request),
        lease_minutes=settings.lease_minutes,
        pack=pack_of(settings.compliance_pack, settings.compliance_policy),
        skip=(wanted.reason or "") if wanted.skip else None,
    )
    return NextCaseOut.of(handed, language_of(request))


@router.delete(
    "/queues/lease",
    status_code=204,
    responses=problem_responses(403, 404),
    summary="Release the case you hold",
)
def release_lease(principal: Worker, session: DatabaseSession, request: Request) -> Response:
    """End your lease; the case stays out of your next case until the lease would have expired.
    404 when you hold none."""
    next_case.release(session, principal, now=now(request))
    return Response(status_code=204)
