"""Cases and the accounts in them.

A case is the collections work for one customer, and it lasts: its id, made of the customer and
the opening date (``C-<customer_id>-<yyyymmdd>``), is given once and never reused, and no batch run
deletes or re-creates a case. Contacts, promises, plans and holds point at it.

Who writes what:
- the nightly batch owns these two tables: a case's life (opened, closed and why) and its figures
  (worst DPD, bucket, overdue, the accounts in it), rewritten in place each night;
- people own the work on a case (assignment, contacts, promises, …), kept in tables of their own
  that point at ``cases.case_id``; the batch never writes them, so the two never touch one row.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, UTCDateTime


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    CURED = "cured"
    PAID_OFF = "paid_off"
    WRITTEN_OFF = "written_off"


class Case(Base):
    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    status: Mapped[str] = mapped_column(String(16), comment="open or closed")
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(16), comment="cured, paid_off or written_off")
    worst_dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(16), comment="bucket of the worst DPD")
    overdue_total: Mapped[int] = mapped_column(
        BigInteger, comment="minor units of `currency`: overdue of the case's accounts in that currency"
    )
    currency: Mapped[str] = mapped_column(String(3), comment="currency of the account with the worst DPD")
    worst_account_id: Mapped[str | None] = mapped_column(
        String(100),
        comment="the account with the worst DPD (then the largest overdue, then the smallest id), whose "
        "bucket and currency the case takes; the queues and the strategy read its product",
    )
    account_count: Mapped[int] = mapped_column(Integer)
    broken_promises: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", comment="promises found broken, counted by the batch"
    )
    updated_on: Mapped[date] = mapped_column(Date, comment="as-of date of the batch that last touched it")

    __table_args__ = (
        Index(
            "uq_cases_open_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The closed cases by the night that closed them (a rerun of that night reads them again).
        # Not the open ones: every night moves each open case's updated_on, and an index on it
        # would be rewritten 1.4M times a night at 10M accounts for reads that scan anyway.
        Index(
            "ix_cases_closed_updated_on",
            "updated_on",
            sqlite_where=text("status = 'closed'"),
            postgresql_where=text("status = 'closed'"),
        ),
    )


class CaseAccount(Base):
    """An account in a case: it joins when it turns delinquent and stays until the case closes."""

    __tablename__ = "case_accounts"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    joined_on: Mapped[date] = mapped_column(Date)
    delinquent: Mapped[bool] = mapped_column(Boolean, comment="active and past the first bucket")
    dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(16))
    overdue_amount: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    account_status: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index(None, "account_id"),)


class CaseAssignment(Base):
    """Who works a case: a team and, optionally, one of its collectors. History is kept: a new
    assignment ends the current one (``ended_at``) instead of overwriting it."""

    __tablename__ = "case_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="none: the system")
    reason: Mapped[str] = mapped_column(String(500))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="none: the current one")

    __table_args__ = (
        Index(
            "uq_case_assignments_current",
            "case_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index(None, "team_id", "ended_at"),
        Index(None, "collector_id", "ended_at"),
        Index(None, "case_id", "assigned_at"),
    )


class Placement(Base):
    """An account placed with an outside agency from one date to another; a supervisor may recall
    it early, and from that instant the agency no longer sees it."""

    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, comment="the last day of the placement")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    placed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recalled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recall_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index(None, "agency_id", "recalled_at"), Index(None, "account_id"))


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class FieldVisit(Base):
    """A visit to a customer assigned to a field agent (the agent sees that customer while it is
    planned). Its outcome and evidence come with case work."""

    __tablename__ = "field_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    planned_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), comment="planned, done or cancelled")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))

    __table_args__ = (Index(None, "agent_id", "status"), Index(None, "case_id"))


class CaseEventKind(StrEnum):
    """What the nightly batch did to a case on a date (the case timeline's batch events)."""

    OPENED = "opened"
    REOPENED = "reopened"
    BUCKET_CHANGED = "bucket_changed"
    CURED = "cured"
    CLOSED = "closed"
    ACCOUNT_JOINED = "account_joined"
    ACCOUNT_LEFT = "account_left"
    LEGAL_REFERRAL = "legal_referral"
    """Not the batch's: a person confirmed a strategy's legal referral (there is no legal context
    yet, so the referral is this event; a rerun of the night keeps it)."""


BATCH_EVENT_KINDS = tuple(str(kind) for kind in CaseEventKind if kind != CaseEventKind.LEGAL_REFERRAL)
"""The kinds the nightly case step writes (and takes back when a date runs again)."""


class CaseEvent(Base):
    """A batch event of a case, written by the case step in the same transaction as the case
    changes; a rerun of a date replaces that date's events (``as_of``)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    occurred_on: Mapped[date] = mapped_column(Date, comment="the business date it happened on")
    kind: Mapped[str] = mapped_column(
        String(16), comment="opened, reopened, bucket_changed, cured, closed, account_joined or account_left"
    )
    from_bucket: Mapped[str | None] = mapped_column(String(16))
    to_bucket: Mapped[str | None] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(String(64), comment="the account that joined or left")
    as_of: Mapped[date] = mapped_column(Date, comment="as-of date of the batch run that wrote it")

    __table_args__ = (
        Index(None, "case_id", "occurred_on"),
        Index(None, "as_of"),
        Index(None, "kind", "occurred_on"),  # the dashboard's entries and cures
    )
