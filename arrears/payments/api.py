"""Routes of payments posted during the day under /api/v1 (the core banking system's API key), and
the report of the pending payments it has not posted yet (``report.read``).

Thin: parse, declare the permission, call :mod:`arrears.payments.posting` in the request's
transaction, render.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import now, problem_responses, today
from arrears.api.problems import language_of
from arrears.arrangements.promise_batch import PromiseTerms
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.payments import posting, unposted
from arrears.payments.effects import Day
from arrears.payments.schemas import PaymentsIn, PaymentsOut, UnpostedOut, UnpostedPage

router = APIRouter(tags=["payments"])

Poster = Annotated[Principal, Depends(requires(Permission.PAYMENT_POST))]
Reader = Annotated[Principal, Depends(requires(Permission.REPORT_READ))]


@router.post(
    "/payments",
    response_model=PaymentsOut,
    responses=problem_responses(400, 403, 409),
    summary="Post payments as they happen (the core banking system)",
)
def post_payments(
    body: PaymentsIn, principal: Poster, session: DatabaseSession, request: Request
) -> PaymentsOut:
    """One payment, or ``{"payments": [...]}`` (at most 100), taken whole or refused whole.
    Idempotent by ``payment_id``: a payment stored already with the same values is answered as
    stored (200, the same answer every time) and changes nothing; other values under its id are
    409 ``payment_conflict``. The feed's rules apply (422 ``invalid_payment``, each fault
    naming its payment and field; nothing stored). A payment's open case takes it at once: its
    overdue goes down, a promise it covers is kept, it rests in next case for the rest of the
    day, and its queued reminders stop. A reversal puts the overdue back, reopens a promise
    kept today by the reversed payment, and lets next case hand the case out again."""
    settings = request.app.state.context.settings
    day = Day(now=now(request), today=today(request), bank_zone=settings.bank_timezone)
    terms = PromiseTerms(settings.promise_grace_days, settings.promise_tolerance)
    stored = posting.post(
        session,
        principal,
        [payment.posted() for payment in body.payments],
        day=day,
        terms=terms,
        language=language_of(request),
    )
    return PaymentsOut.of(stored)


@router.get(
    "/payments/pending",
    response_model=UnpostedPage,
    responses=problem_responses(400, 403),
    summary="Payments the provider confirmed that the core system has not posted (the morning check)",
)
def pending_payments(
    principal: Reader,
    session: DatabaseSession,
    request: Request,
    older_than_hours: Annotated[
        int, Query(ge=0, le=unposted.MAX_AGE_HOURS, description="Received at least this many hours ago")
    ] = 24,
) -> UnpostedPage:
    """The pending payments of the cases in the caller's scope still not confirmed by a posting
    ``older_than_hours`` after the provider's confirmation came, oldest first (at most 1,000):
    the case, the customer's id, the account, the amount, the provider's trade number, when
    paid and received. No personal field is shown."""
    at = now(request)
    rows = unposted.unposted_seen_by(
        session, principal, at, timedelta(hours=older_than_hours), today=today(request)
    )
    return UnpostedPage(items=[UnpostedOut.of(row, at) for row in rows], older_than_hours=older_than_hours)
