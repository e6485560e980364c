"""Routes of payments posted during the day under /api/v1 (the core banking system's API key).

Thin: parse, declare the permission, call :mod:`arrears.payments.posting` in the request's
transaction, render.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import now, problem_responses, today
from arrears.api.problems import language_of
from arrears.arrangements.promise_batch import PromiseTerms
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.payments import posting
from arrears.payments.effects import Day
from arrears.payments.schemas import PaymentsIn, PaymentsOut

router = APIRouter(tags=["payments"])

Poster = Annotated[Principal, Depends(requires(Permission.PAYMENT_POST))]


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
    day, and its queued reminders stop."""
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
