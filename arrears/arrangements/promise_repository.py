"""Queries of promises to pay (the rules are in :mod:`arrears.arrangements.promises`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from arrears.arrangements.models import Promise, PromiseInstallment, PromiseStatus
from arrears.cases.models import Case, CaseAccount
from arrears.contacts.models import Contact
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account, Installment, Payment


def visible_promise(session: Session, promise_id: int, visible: ColumnElement[bool]) -> Promise | None:
    """The promise, if it exists and its case passes ``visible`` (a filter on ``cases``)."""
    return session.execute(
        select(Promise).join(Case, Case.case_id == Promise.case_id).where(Promise.id == promise_id, visible)
    ).scalar_one_or_none()


def promises_of_case(
    session: Session, case_id: str, *, before_id: int | None = None, limit: int | None = None
) -> Sequence[Promise]:
    """The promises of the case, newest first (ids below ``before_id``; at most ``limit``)."""
    query = select(Promise).where(Promise.case_id == case_id)
    if before_id is not None:
        query = query.where(Promise.id < before_id)
    return session.scalars(query.order_by(Promise.id.desc()).limit(limit)).all()


def installments_of(session: Session, promise_ids: Sequence[int]) -> dict[int, list[PromiseInstallment]]:
    """The installments of each promise, in order."""
    found: dict[int, list[PromiseInstallment]] = {promise_id: [] for promise_id in promise_ids}
    if not promise_ids:
        return found
    rows = session.scalars(
        select(PromiseInstallment)
        .where(PromiseInstallment.promise_id.in_(promise_ids))
        .order_by(PromiseInstallment.promise_id, PromiseInstallment.seq)
    )
    for row in rows:
        found[row.promise_id].append(row)
    return found


def open_promise_of_case(session: Session, case_id: str) -> Promise | None:
    return session.execute(
        select(Promise).where(Promise.case_id == case_id, Promise.status == str(PromiseStatus.OPEN))
    ).scalar_one_or_none()


def accounts_of_case(
    session: Session, case_id: str, visible: ColumnElement[bool] | None = None
) -> dict[str, str]:
    """The accounts in the case (those ``visible`` holds for, when given), account id → its currency."""
    query = (
        select(CaseAccount.account_id, Account.currency)
        .join(Account, Account.account_id == CaseAccount.account_id)
        .where(CaseAccount.case_id == case_id)
    )
    rows = session.execute(query if visible is None else query.where(visible))
    return {str(account_id): str(currency) for account_id, currency in rows}


def standing_hold_kinds(session: Session, customer_id: str, kinds: Sequence[str]) -> list[str]:
    """The kinds among ``kinds`` of the customer's holds not lifted, sorted."""
    rows = session.scalars(
        select(Hold.kind)
        .where(Hold.customer_id == customer_id, Hold.lifted_at.is_(None), Hold.kind.in_(kinds))
        .distinct()
    )
    return sorted(rows)


def contact_in_case(session: Session, contact_id: int, case_id: str) -> bool:
    found = session.scalar(select(Contact.id).where(Contact.id == contact_id, Contact.case_id == case_id))
    return found is not None


def outstanding(session: Session, account_ids: Sequence[str]) -> int:
    """What the accounts owe, in minor units: per account its scheduled installments less its net
    payments (reversals take back the reversed amount), never below zero; as the batch counts it."""
    if not account_ids:
        return 0
    original = aliased(Payment)
    signed = case(
        (Payment.reverses.is_(None), Payment.amount),
        else_=-func.coalesce(original.amount, Payment.amount),
    )
    paid = (
        select(Payment.account_id.label("account_id"), func.sum(signed).label("net"))
        .outerjoin(original, original.payment_id == Payment.reverses)
        .where(Payment.account_id.in_(account_ids))
        .group_by(Payment.account_id)
        .subquery()
    )
    scheduled = (
        select(Installment.account_id.label("account_id"), func.sum(Installment.amount_due).label("due"))
        .where(Installment.account_id.in_(account_ids))
        .group_by(Installment.account_id)
        .subquery()
    )
    rows = session.execute(
        select(scheduled.c.due, func.coalesce(paid.c.net, 0)).outerjoin(
            paid, and_(paid.c.account_id == scheduled.c.account_id)
        )
    )
    return sum(max(int(due) - max(int(net), 0), 0) for due, net in rows)
