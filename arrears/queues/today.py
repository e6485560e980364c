"""A collector's day on their workstation: the promises and callbacks due today on the cases
assigned to them, and what they did today.

- promises due: the open installments of open promises falling due on the business day, on the
  cases currently assigned to the caller;
- callbacks due: the open callbacks due before the business day's end (in the bank's time zone),
  earlier ones not yet made included, on the same cases;
- my numbers: the caller's own outbound contacts of the day as the contact metrics count them
  (:func:`arrears.contacts.metrics.own_day`), and the promises they took that day with the
  amount promised per currency.

Read only: nothing is written and nothing personal is shown (case ids, amounts and times).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Promise, PromiseInstallment, PromiseStatus
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.models import CaseAssignment
from arrears.clock import day_start
from arrears.contacts.dispositions import Disposition
from arrears.contacts.metrics import MetricsRow, own_day
from arrears.contacts.models import Callback, CallbackStatus

MAX_LISTED = 50
"""Items of each list shown, at most (the earliest first)."""


@dataclass(frozen=True)
class PromiseDue:
    case_id: str
    amount: int
    """Minor units still due on the installment."""
    currency: str


@dataclass(frozen=True)
class CallbackDue:
    case_id: str
    due_at: datetime


@dataclass(frozen=True)
class MyDay:
    promises_due: list[PromiseDue]
    callbacks_due: list[CallbackDue]
    contacts: MetricsRow
    promises_taken: int
    promised: Mapping[str, int]
    """Currency → minor units promised in the promises taken today."""


def _my_case_ids(principal: Principal) -> Select[str]:
    return select(CaseAssignment.case_id).where(
        CaseAssignment.collector_id == principal.user_id, CaseAssignment.ended_at.is_(None)
    )


def my_day(
    session: Session, principal: Principal, codes: Mapping[str, Disposition], *, today: date, bank_zone: str
) -> MyDay:
    """The caller's day (see the module's description)."""
    principal.require(Permission.QUEUE_WORK)
    mine = _my_case_ids(principal)
    taken, promised = _taken(session, principal, today)
    return MyDay(
        promises_due=_promises_due(session, mine, today),
        callbacks_due=_callbacks_due(session, mine, day_start(today + timedelta(days=1), bank_zone)),
        contacts=own_day(session, principal, codes, today),
        promises_taken=taken,
        promised=promised,
    )


def _promises_due(session: Session, mine: Select[str], today: date) -> list[PromiseDue]:
    rows = session.execute(
        select(
            Promise.case_id,
            PromiseInstallment.amount - PromiseInstallment.paid_amount,
            Promise.currency,
        )
        .join(PromiseInstallment, PromiseInstallment.promise_id == Promise.id)
        .where(
            Promise.case_id.in_(mine),
            Promise.status == str(PromiseStatus.OPEN),
            PromiseInstallment.status == "open",
            PromiseInstallment.due_on == today,
        )
        .order_by(Promise.case_id)
        .limit(MAX_LISTED)
    ).all()
    return [PromiseDue(case_id, int(amount), currency) for case_id, amount, currency in rows]


def _callbacks_due(session: Session, mine: Select[str], end: datetime) -> list[CallbackDue]:
    rows = session.execute(
        select(Callback.case_id, Callback.due_at)
        .where(Callback.case_id.in_(mine), Callback.status == str(CallbackStatus.OPEN), Callback.due_at < end)
        .order_by(Callback.due_at, Callback.case_id)
        .limit(MAX_LISTED)
    ).all()
    return [CallbackDue(case_id, due_at) for case_id, due_at in rows]


def _taken(session: Session, principal: Principal, today: date) -> tuple[int, dict[str, int]]:
    """How many promises the caller took today, and the amount promised per currency."""
    rows = session.execute(
        select(Promise.currency, func.count(), func.sum(Promise.amount))
        .where(Promise.taken_by == principal.user_id, Promise.taken_on == today)
        .group_by(Promise.currency)
        .order_by(Promise.currency)
    ).all()
    return sum(int(count) for _, count, _ in rows), {currency: int(total or 0) for currency, _, total in rows}
