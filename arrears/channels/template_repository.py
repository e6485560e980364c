"""Queries of message templates and of the case facts a template is rendered with."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Promise, PromiseInstallment, PromiseStatus
from arrears.cases.models import CaseAccount
from arrears.channels.models import MessageTemplate, TemplateStatus
from arrears.portfolio.models import Account, ContactPoint


def template(session: Session, template_id: int) -> MessageTemplate | None:
    return session.get(MessageTemplate, template_id)


def next_number(session: Session, code: str, channel: str, language: str) -> int:
    last = session.scalar(
        select(func.max(MessageTemplate.number)).where(
            MessageTemplate.code == code,
            MessageTemplate.channel == channel,
            MessageTemplate.language == language,
        )
    )
    return (last or 0) + 1


def approved(session: Session, code: str, channel: str, language: str) -> MessageTemplate | None:
    return session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.code == code,
            MessageTemplate.channel == channel,
            MessageTemplate.language == language,
            MessageTemplate.status == TemplateStatus.APPROVED,
        )
    ).first()


def templates(
    session: Session,
    *,
    code: str | None = None,
    channel: str | None = None,
    language: str | None = None,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[MessageTemplate]:
    """Templates matching the filters given, newest first."""
    query = select(MessageTemplate).order_by(MessageTemplate.id.desc()).limit(limit)
    for column, value in (
        (MessageTemplate.code, code),
        (MessageTemplate.channel, channel),
        (MessageTemplate.language, language),
        (MessageTemplate.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    if before_id is not None:
        query = query.where(MessageTemplate.id < before_id)
    return session.scalars(query).all()


def worst_product(session: Session, case_id: str) -> str | None:
    """The product of the case's account with the highest DPD (then the largest overdue)."""
    return session.scalar(
        select(Account.product)
        .join(CaseAccount, CaseAccount.account_id == Account.account_id)
        .where(CaseAccount.case_id == case_id)
        .order_by(CaseAccount.dpd.desc(), CaseAccount.overdue_amount.desc(), Account.account_id)
        .limit(1)
    )


def next_promised(session: Session, case_id: str) -> tuple[PromiseInstallment, str] | None:
    """The next open installment of the case's open promise, and its currency."""
    row = session.execute(
        select(PromiseInstallment, Promise.currency)
        .join(Promise, Promise.id == PromiseInstallment.promise_id)
        .where(
            Promise.case_id == case_id,
            Promise.status == PromiseStatus.OPEN,
            PromiseInstallment.status == "open",
        )
        .order_by(PromiseInstallment.due_on, PromiseInstallment.seq)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def postal_address(session: Session, customer_id: str) -> str | None:
    """The debtor's own address: the primary one first, then the first recorded."""
    return session.scalar(
        select(ContactPoint.value)
        .where(
            ContactPoint.customer_id == customer_id,
            ContactPoint.type == "address",
            ContactPoint.party == "debtor",
            ContactPoint.do_not_contact.is_(False),
        )
        .order_by(ContactPoint.is_primary.desc(), ContactPoint.id)
        .limit(1)
    )
