"""Portfolio tables, as imported from the core banking system's feeds.

Rows are keyed by the bank's own identifiers (customer_id, account_id, payment_id, and an
installment's account and sequence number), so that re-importing a feed is an upsert.
Amounts are integer minor units beside the account's ISO 4217 currency.

Installments and payments, the two tables of billions of rows, carry no foreign keys to
accounts or to the import log: PostgreSQL checks a foreign key with a trigger per row, which
took two thirds of the time of a bulk insert (benchmarks/bench_import.py). The importer checks
every reference in the same transaction instead (an unknown account is a rejected row), and
Arrears never deletes an account, so the references hold without the per-row check.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, ExactDecimal, UTCDateTime

CUSTOMER_ID = String(64)
ACCOUNT_ID = String(64)
PAYMENT_ID = String(64)
CURRENCY = String(3)


class AccountStatus(StrEnum):
    """An account's status in the core system (feed column ``status``)."""

    ACTIVE = "active"
    CLOSED = "closed"
    CHARGED_OFF = "charged_off"


class ImportStatus(StrEnum):
    """What became of an imported file (``import_log.status``)."""

    STORED = "stored"
    """Every row stored or unchanged."""
    PARTIAL = "partial"
    """Some rows rejected, the others stored."""
    UNREADABLE = "unreadable"
    """The file could not be read: nothing of it stored."""
    RUNNING = "running"
    """Being stored: only ever seen inside the file's own transaction, never committed."""


class ImportLog(Base):
    """One row per feed file imported: what it was and what became of its rows."""

    __tablename__ = "import_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(500))
    checksum: Mapped[str] = mapped_column(String(64), comment="sha256 of the file's bytes")
    status: Mapped[str] = mapped_column(String(16), comment="stored, partial or unreadable")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0, comment="new rows")
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejects_path: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(2000))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index(None, "checksum"),)


class Customer(Base):
    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    national_id: Mapped[str | None] = mapped_column(String(64))
    birth_date: Mapped[date | None] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(35), comment="BCP 47 tag, e.g. zh-CN")
    language_chosen_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(),
        comment="chosen by the customer (portal): the feed no longer replaces the language",
    )
    country: Mapped[str | None] = mapped_column(String(2), comment="ISO 3166-1 alpha-2")
    timezone: Mapped[str | None] = mapped_column(String(64), comment="IANA zone name")
    segment: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"))


class ContactPoint(Base):
    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))
    label: Mapped[str | None] = mapped_column(String(16))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    party: Mapped[str] = mapped_column(String(32), default="debtor")
    relation: Mapped[str | None] = mapped_column(String(64))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"))
    invalid_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), comment="found not to work (a permanent e-mail bounce): the outbox sends nothing to it"
    )
    invalid_reason: Mapped[str | None] = mapped_column(String(200), comment="why, e.g. bounce 5.1.1")

    __table_args__ = (UniqueConstraint("customer_id", "type", "value"),)


class Account(Base):
    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(ACCOUNT_ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    product: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(CURRENCY)
    opened_on: Mapped[date] = mapped_column(Date)
    principal: Mapped[int | None] = mapped_column(BigInteger, comment="minor units")
    credit_limit: Mapped[int | None] = mapped_column(BigInteger, comment="minor units")
    interest_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), comment="annual, 0.1825 = 18.25%")
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE)
    branch: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"), index=True)


class Installment(Base):
    __tablename__ = "installments"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="accounts.account_id")
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(CURRENCY, comment="the account's currency")
    amount_due: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    principal_due: Mapped[int | None] = mapped_column(BigInteger)
    interest_due: Mapped[int | None] = mapped_column(BigInteger)
    fees_due: Mapped[int | None] = mapped_column(BigInteger)
    import_id: Mapped[int | None] = mapped_column(Integer, index=True, comment="import_log.id")

    __table_args__ = (CheckConstraint("amount_due >= 0", name="amount_due_not_negative"),)


class Payment(Base):
    """A payment, or a reversal of an earlier one (``reverses`` names it)."""

    __tablename__ = "payments"

    payment_id: Mapped[str] = mapped_column(PAYMENT_ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True, comment="accounts.account_id")
    paid_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(CURRENCY, comment="the account's currency")
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units, positive")
    channel: Mapped[str | None] = mapped_column(String(32))
    reverses: Mapped[str | None] = mapped_column(ForeignKey("payments.payment_id"), unique=True)
    import_id: Mapped[int | None] = mapped_column(Integer, index=True, comment="import_log.id")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"), Index(None, "paid_on"))


class PaymentDayTotal(Base):
    """Payments less reversals per day paid, currency and product (the collections figure)."""

    __tablename__ = "payment_day_totals"

    paid_on: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units: payments less reversals")
    payments: Mapped[int] = mapped_column(BigInteger, comment="payments, reversals not counted")


class PaymentDayChange(Base):
    """A day paid whose payments were written (or an account's product changed) since the nightly
    totals: the dashboard reads that day from the payments until the next night rewrites it. A row
    per write (never updated: a night clears the rows it read, and only those)."""

    __tablename__ = "payment_day_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    paid_on: Mapped[date] = mapped_column(Date, index=True)


class AccountProductChange(Base):
    """An account whose product changed since the dashboard's roll cells were last written, with
    the product it had: a night carries the previous night's cells forward, and takes off each
    moved account's old contribution under the product it was counted under. A row per write
    (never updated: a night clears the rows it read, and only those)."""

    __tablename__ = "account_product_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    product_was: Mapped[str | None] = mapped_column(String(32))
