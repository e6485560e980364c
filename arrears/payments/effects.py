"""What a payment posted during the day changes at once, in the transaction that stores it.

For a payment (not a reversal) of an account in an open case:

1. the account's ``case_accounts.overdue_amount`` goes down by the amount, never below zero; the
   case's ``overdue_total`` by as much, when the account is in the case's currency (the total
   counts that currency only);
2. the case's open promise is evaluated as the night evaluates it, for that case only and
   finding kept only (:func:`arrears.arrangements.promise_batch.evaluate` with
   ``during_the_day``): a promise the payment covers is kept today;
3. the case rests in next case until the end of the bank's business day
   (``case_queues.skip_until``): a customer who paid this morning is not handed out to be
   called this afternoon; the next night's figures and priorities decide again;
4. its queued reminders that the payment makes moot (:data:`MOOT_PURPOSES`) stop, with
   ``stop_reason`` ``paid`` and a ``stopped`` event each.

A payment that confirms a pending one (money the payment provider confirmed through a pay-now
link, :mod:`arrears.payments.paylinks`) was taken already: its overdue is not lowered again; the
rest (the promise, the rest, the reminders) applies as to any payment. A pending payment itself
is taken by :func:`take_pending`: 1, 3 and 4 above, not 2 (a promise is judged on booked money,
so it is kept when the core system posts the payment).

For a reversal of an account in an open case (:func:`take_reversals`):

1. the reversed amount goes back on the account's ``overdue_amount`` and, in the case's
   currency, on its ``overdue_total``;
2. a promise of the case that closed *kept* today (only the day closes a promise with today's
   date) and whose ledger counted the reversed payment is open again, and the case's open
   promise is evaluated as in 2 above: the ledger now takes the reversed amount back, so a
   promise kept only by the reversed payment stays open (with its ``paid_amount`` lowered), one
   the other payments still cover is kept again; the night evaluates an open promise from the
   same ledger, so it finds what the day found (or, past a deadline, the promise missed);
3. the case's rest in next case is lifted (``skip_until`` cleared): it is worked again.

The night recomputes every figure from the stored payments, the posted ones included, so these
changes only bring forward what it will find. (One difference remains until the night: a
payment larger than the overdue lowered it to zero only, and its reversal puts the whole amount
back; the night's figure from the installments is then the lower one.)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from arrears.arrangements import promise_batch
from arrears.arrangements.promise_batch import PromiseTerms
from arrears.clock import day_start
from arrears.payments import repository as payments
from arrears.payments.repository import OpenCase
from arrears.portfolio.models import Payment

MOOT_PURPOSES = ("promise_reminder", "plan_reminder", "first_delinquency", "broken_promise")
"""Outbox purposes a payment makes moot: reminders to pay what was just paid."""
STOP_REASON = "paid"


@dataclass(frozen=True)
class Day:
    """Where the posting happens in time: the instant, the bank's business date and zone."""

    now: datetime
    today: date
    bank_zone: str


@dataclass
class Effect:
    """What one stored payment changed."""

    payment: Payment
    case_id: str | None = None
    overdue_before: int | None = None
    overdue_after: int | None = None
    promises_kept: int = 0
    promises_reopened: int = 0
    messages_stopped: list[int] = field(default_factory=list)
    counted_already: bool = False

    def as_audit(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "counted_already": self.counted_already,
            "overdue_before": self.overdue_before,
            "overdue_after": self.overdue_after,
            "promises_kept": self.promises_kept,
            "promises_reopened": self.promises_reopened,
            "messages_stopped": ",".join(str(i) for i in self.messages_stopped) or None,
        }


def take_payments(
    session: Session,
    stored: Sequence[Payment],
    *,
    day: Day,
    terms: PromiseTerms,
    counted_already: Collection[str] = (),
) -> list[Effect]:
    """Let the open case of each payment's account take it; answers one effect per payment.
    ``counted_already``: the ids of payments whose money the case took as a pending payment (its
    overdue is not lowered again)."""
    done = [Effect(payment) for payment in stored]
    reversed_in = take_reversals(session, [e for e in done if e.payment.reverses is not None], day=day)
    cases: dict[str, tuple[OpenCase, Effect]] = {}
    for effect in done:
        if effect.payment.reverses is not None:
            continue
        found = payments.open_case_of(session, effect.payment.account_id)
        if found is None:
            continue
        if effect.payment.payment_id in counted_already:
            effect.case_id, effect.counted_already = found.case_id, True
        else:
            _reduce(session, found, effect)
        cases.setdefault(found.case_id, (found, effect))
    for case_id, first in ({c: e for c, (_, e) in cases.items()} | reversed_in).items():
        counts = promise_batch.evaluate(
            session.connection(), day.today, terms, case_id=case_id, during_the_day=True
        )
        first.promises_kept = counts.kept
    for case_id, (_, first) in cases.items():
        first.messages_stopped = _rest_and_stop(session, case_id, f"payment {first.payment.payment_id}", day)
    return done


def take_reversals(session: Session, reversals: Sequence[Effect], *, day: Day) -> dict[str, Effect]:
    """Let the open case of each reversal's account take it (1 and 3 of the reversal's rules, and
    its promises kept today by the reversed payment reopened); answers the first effect per case
    (the caller evaluates their promises)."""
    first: dict[str, Effect] = {}
    for effect in reversals:
        reversal = effect.payment
        found = payments.open_case_of(session, reversal.account_id)
        original = payments.stored_payments(session, [reversal.reverses or ""]).get(reversal.reverses or "")
        if found is None or original is None:
            continue
        effect.case_id = found.case_id
        overdue = payments.raise_overdue(session, found.case_id, reversal.account_id, reversal.amount)
        if overdue is not None:
            effect.overdue_before, effect.overdue_after = overdue
            if reversal.currency == found.currency:
                payments.raise_case_total(session, found.case_id, overdue[1] - overdue[0])
        effect.promises_reopened = payments.reopen_kept_today(session, found.case_id, original, day.today)
        payments.wake_case(session, found.case_id)
        first.setdefault(found.case_id, effect)
    return first


@dataclass
class PendingEffect:
    """What a pending payment changed in its case."""

    case_id: str | None = None
    overdue_before: int | None = None
    overdue_after: int | None = None
    messages_stopped: list[int] = field(default_factory=list)


def take_pending(
    session: Session, account_id: str, amount: int, currency: str, *, label: str, day: Day
) -> PendingEffect:
    """Let the open case of the account take money the payment provider confirmed: its overdue
    goes down, it rests in next case, its moot reminders stop (not the promise: see above)."""
    effect = PendingEffect()
    found = payments.open_case_of(session, account_id)
    if found is None:
        return effect
    effect.case_id = found.case_id
    overdue = payments.reduce_overdue(session, found.case_id, account_id, amount)
    if overdue is not None:
        effect.overdue_before, effect.overdue_after = overdue
        if currency == found.currency:
            payments.reduce_case_total(session, found.case_id, overdue[0] - overdue[1])
    effect.messages_stopped = _rest_and_stop(session, found.case_id, label, day)
    return effect


def _rest_and_stop(session: Session, case_id: str, label: str, day: Day) -> list[int]:
    payments.rest_case(session, case_id, day_start(day.today + timedelta(days=1), day.bank_zone))
    return payments.stop_queued(
        session, case_id, MOOT_PURPOSES, reason=STOP_REASON, detail=f"{STOP_REASON}: {label}", now=day.now
    )


def _reduce(session: Session, found: OpenCase, effect: Effect) -> None:
    payment = effect.payment
    effect.case_id = found.case_id
    overdue = payments.reduce_overdue(session, found.case_id, payment.account_id, payment.amount)
    if overdue is None:
        return
    effect.overdue_before, effect.overdue_after = overdue
    if payment.currency == found.currency:
        payments.reduce_case_total(session, found.case_id, overdue[0] - overdue[1])
