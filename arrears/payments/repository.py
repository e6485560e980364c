"""Queries of payments posted during the day: the stored payments a request names, the open case
of an account and what the payment changes in it. Every value bound; nothing commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, insert, select, text, update
from sqlalchemy.orm import Session

from arrears.arrangements.models import Promise, PromiseStatus
from arrears.cases.models import Case, CaseAccount, CaseStatus
from arrears.channels.models import MessageEvent, MessageState, OutboxMessage
from arrears.portfolio.models import Payment
from arrears.queues.models import CaseQueue

_ADVISORY_KEY = 0x50415944  # "PAYD": postings of one payment_id, one at a time (PostgreSQL)


def serialise(session: Session, payment_ids: Sequence[str]) -> None:
    """Take the locks before reading anything, so that two postings of one payment never both
    find it new: on PostgreSQL a transaction-scoped advisory lock per payment id (in order: no
    deadlock), on SQLite the database's write lock (a write that changes nothing; the driver
    opens the transaction at the first write)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("UPDATE payments SET amount = amount WHERE 1 = 0"))
    elif dialect == "postgresql":
        for payment_id in sorted(set(payment_ids)):
            session.execute(
                text("SELECT pg_advisory_xact_lock(:key, hashtext(:payment_id))"),
                {"key": _ADVISORY_KEY, "payment_id": payment_id},
            )


def stored_payments(session: Session, payment_ids: Sequence[str]) -> dict[str, Payment]:
    """The stored payments among ``payment_ids``, by id."""
    if not payment_ids:
        return {}
    rows = session.scalars(select(Payment).where(Payment.payment_id.in_(sorted(set(payment_ids)))))
    return {row.payment_id: row for row in rows}


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    customer_id: str
    currency: str


def open_case_of(session: Session, account_id: str) -> OpenCase | None:
    """The open case holding the account, its row locked until the transaction ends (two payments
    of one case take their turns; SQLite holds the database's write lock already)."""
    row = session.execute(
        select(Case.case_id, Case.customer_id, Case.currency)
        .join(CaseAccount, CaseAccount.case_id == Case.case_id)
        .where(CaseAccount.account_id == account_id, Case.status == CaseStatus.OPEN)
        .with_for_update(of=Case)
    ).first()
    return None if row is None else OpenCase(str(row[0]), str(row[1]), str(row[2]))


def reduce_overdue(session: Session, case_id: str, account_id: str, amount: int) -> tuple[int, int] | None:
    """Take ``amount`` off the account's overdue in the case, never below zero; answers the
    overdue (before, after), None when the account is not in the case."""
    before = session.scalar(
        select(CaseAccount.overdue_amount).where(
            CaseAccount.case_id == case_id, CaseAccount.account_id == account_id
        )
    )
    if before is None:
        return None
    after = max(int(before) - amount, 0)
    session.execute(
        update(CaseAccount)
        .where(CaseAccount.case_id == case_id, CaseAccount.account_id == account_id)
        .values(overdue_amount=after)
        .execution_options(synchronize_session=False)
    )
    return int(before), after


def raise_overdue(session: Session, case_id: str, account_id: str, amount: int) -> tuple[int, int] | None:
    """Put ``amount`` back on the account's overdue in the case (a reversal); answers the overdue
    (before, after), None when the account is not in the case."""
    before = session.scalar(
        select(CaseAccount.overdue_amount).where(
            CaseAccount.case_id == case_id, CaseAccount.account_id == account_id
        )
    )
    if before is None:
        return None
    after = int(before) + amount
    session.execute(
        update(CaseAccount)
        .where(CaseAccount.case_id == case_id, CaseAccount.account_id == account_id)
        .values(overdue_amount=after)
        .execution_options(synchronize_session=False)
    )
    return int(before), after


def raise_case_total(session: Session, case_id: str, amount: int) -> None:
    """Put ``amount`` (minor units of the case's currency) back on the case's overdue total."""
    session.execute(
        update(Case)
        .where(Case.case_id == case_id)
        .values(overdue_total=Case.overdue_total + amount)
        .execution_options(synchronize_session=False)
    )


def wake_case(session: Session, case_id: str) -> None:
    """Let next case hand the case out again (its rest after a payment is lifted)."""
    session.execute(
        update(CaseQueue)
        .where(CaseQueue.case_id == case_id, CaseQueue.skip_until.is_not(None))
        .values(skip_until=None)
        .execution_options(synchronize_session=False)
    )


def reopen_kept_today(session: Session, case_id: str, reversed_payment: Payment, today: date) -> int:
    """Reopen the case's promises that closed kept ``today`` (during the day: the night closes
    with its own date) and whose ledger counted ``reversed_payment``: its account (or, for a
    promise on the case, its currency), paid on or after the promise was taken. Answers how many."""
    reopened = session.execute(
        update(Promise)
        .where(
            Promise.case_id == case_id,
            Promise.status == PromiseStatus.KEPT,
            Promise.closed_on == today,
            Promise.superseded_by.is_(None),
            Promise.taken_on <= reversed_payment.paid_on,
            Promise.currency == reversed_payment.currency,
            (Promise.account_id == reversed_payment.account_id) | Promise.account_id.is_(None),
        )
        .values(status=PromiseStatus.OPEN, closed_on=None, version=Promise.version + 1)
        .execution_options(synchronize_session=False)
    )
    return int(reopened.rowcount)  # type: ignore[attr-defined]


def reduce_case_total(session: Session, case_id: str, amount: int) -> None:
    """Take ``amount`` (minor units of the case's currency) off the case's overdue total, never
    below zero."""
    session.execute(
        update(Case)
        .where(Case.case_id == case_id)
        .values(
            overdue_total=case(
                (Case.overdue_total > amount, Case.overdue_total - amount),
                else_=0,
            )
        )
        .execution_options(synchronize_session=False)
    )


def rest_case(session: Session, case_id: str, until: datetime) -> None:
    """Keep the case out of next case until ``until`` (a later rest already set stays)."""
    session.execute(
        update(CaseQueue)
        .where(
            CaseQueue.case_id == case_id,
            (CaseQueue.skip_until.is_(None)) | (CaseQueue.skip_until < until),
        )
        .values(skip_until=until)
        .execution_options(synchronize_session=False)
    )


def stop_queued(
    session: Session, case_id: str, purposes: Sequence[str], *, reason: str, detail: str, now: datetime
) -> list[int]:
    """Stop the case's queued messages of ``purposes`` (state ``stopped``, ``stop_reason``), each
    with its ``stopped`` event; answers their ids."""
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.case_id == case_id,
                OutboxMessage.state == MessageState.QUEUED,
                OutboxMessage.purpose.in_(list(purposes)),
            )
            .order_by(OutboxMessage.id)
            .with_for_update()
        )
    )
    if not ids:
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.state == MessageState.QUEUED)
        .values(
            state=MessageState.STOPPED,
            stop_reason=reason,
            settled_at=now,
            version=OutboxMessage.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        insert(MessageEvent),
        [{"message_id": i, "at": now, "kind": MessageState.STOPPED.value, "detail": detail} for i in ids],
    )
    return ids
