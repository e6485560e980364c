"""Promises to pay, repayment plans and settlements, each with its dated installments."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.concurrency import Versioned
from arrears.db import Base, UTCDateTime


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    PARTIALLY_KEPT = "partially_kept"
    BROKEN = "broken"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


class Promise(Versioned, Base):
    """An amount by a date, or a series of dated amounts, in the account's currency.

    One open promise per case: a new one supersedes it (kept, with ``superseded_by``)."""

    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.account_id"), comment="none: any account of the case in that currency"
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units: the sum of the installments")
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0, comment="minor units, as last evaluated")
    status: Mapped[str] = mapped_column(String(16))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    taken_on: Mapped[date] = mapped_column(
        Date, comment="the bank's business date when taken: payments from then on count"
    )
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("promises.id"))
    first_due_on: Mapped[date] = mapped_column(Date)
    last_due_on: Mapped[date] = mapped_column(Date)
    evaluated_on: Mapped[date | None] = mapped_column(Date, comment="as-of date of the last evaluation")
    closed_on: Mapped[date | None] = mapped_column(Date, comment="when kept, broken, superseded …")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(None, "case_id", "status"),
        Index(None, "status", "last_due_on"),
        Index(None, "status", "closed_on"),  # the dashboard's promises settled per day
        Index(
            "uq_promises_open_case",
            "case_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class PromiseInstallment(Base):
    __tablename__ = "promise_installments"

    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), comment="open, kept, partially_kept or broken")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class ArrangementKind(StrEnum):
    PLAN = "plan"
    SETTLEMENT = "settlement"


class ArrangementStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class Arrangement(Versioned, Base):
    """A repayment plan (an amount in dated installments) or a settlement (a discounted total in
    one or several payments), proposed by a maker and, beyond the maker's limits, approved by a
    checker whose role's limits cover it."""

    __tablename__ = "arrangements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"))
    kind: Mapped[str] = mapped_column(String(16), comment="plan or settlement")
    method: Mapped[str] = mapped_column(String(16), comment="equal, graduated, custom or single")
    rounding: Mapped[str] = mapped_column(String(32), comment="the named rule that placed the remainder")
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    owed_amount: Mapped[int] = mapped_column(BigInteger, comment="minor units owed when proposed")
    total_amount: Mapped[int] = mapped_column(BigInteger, comment="minor units to be paid")
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    waived_fees: Mapped[int] = mapped_column(BigInteger, default=0)
    installment_count: Mapped[int] = mapped_column(Integer)
    needs_approval: Mapped[bool] = mapped_column(Boolean)
    approval_reasons: Mapped[str | None] = mapped_column(String(500), comment="which limits it passes")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    starts_on: Mapped[date | None] = mapped_column(
        Date, comment="business date of the approval: payments from it count towards the installments"
    )
    ended_on: Mapped[date | None] = mapped_column(Date, comment="completed, broken or cancelled on")
    evaluated_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("total_amount > 0", name="total_positive"),
        Index(None, "case_id", "status"),
        Index(
            "uq_arrangements_standing_case",
            "case_id",
            unique=True,
            sqlite_where=text("status IN ('proposed', 'approved', 'active')"),
            postgresql_where=text("status IN ('proposed', 'approved', 'active')"),
        ),
        Index(None, "status", "needs_approval", "proposed_at"),
    )


class ArrangementInstallment(Base):
    __tablename__ = "arrangement_installments"

    arrangement_id: Mapped[int] = mapped_column(ForeignKey("arrangements.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), comment="open, paid, late or missed")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
