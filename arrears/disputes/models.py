"""Holds on collection contact, the disputes that raise one, and complaints about conduct."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.concurrency import Versioned
from arrears.db import Base, UTCDateTime
from arrears.i18n import N_


class HoldKind(StrEnum):
    DISPUTE = "dispute"
    CEASE = "cease"
    BANKRUPTCY = "bankruptcy"
    DECEASED = "deceased"
    HARDSHIP = "hardship"
    VULNERABILITY = "vulnerability"


STOPPING_HOLDS = (HoldKind.DECEASED, HoldKind.BANKRUPTCY, HoldKind.CEASE, HoldKind.DISPUTE, HoldKind.HARDSHIP)
"""The holds that stop collection contact, the gravest first (a vulnerability flag changes how
the bank speaks to the customer, not whether)."""

HOLD_NAMES = {
    HoldKind.DISPUTE: N_("dispute"),
    HoldKind.CEASE: N_("cease communication"),
    HoldKind.BANKRUPTCY: N_("bankruptcy"),
    HoldKind.DECEASED: N_("deceased"),
    HoldKind.HARDSHIP: N_("hardship"),
    HoldKind.VULNERABILITY: N_("vulnerability"),
}


class Hold(Versioned, Base):
    """Collection contact with the customer stops while a hold stands (the gate reads them)."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.case_id"))
    kind: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text, comment="what shows it: a document, a call, a notice")
    evidence_uri: Mapped[str | None] = mapped_column(String(1000))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    placed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index(None, "customer_id", "lifted_at"),)


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    """The customer was right: the debt or the amount is corrected."""
    REJECTED = "rejected"
    """Verified: the debt stands."""
    WITHDRAWN = "withdrawn"


class Dispute(Versioned, Base):
    """The customer contests the debt or its amount: a hold until resolved, verified by a deadline."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"))
    kind: Mapped[str] = mapped_column(String(16), comment="debt or amount")
    written: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verify_by: Mapped[date] = mapped_column(Date, comment="the verification deadline")
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "case_id"), Index(None, "status", "verify_by"))


class ComplaintStatus(StrEnum):
    OPEN = "open"
    RESPONDED = "responded"
    CLOSED = "closed"


class Complaint(Versioned, Base):
    """A grievance about conduct, with an owner and a response deadline."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    about_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="whose conduct")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    status: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    respond_by: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "case_id"), Index(None, "status", "respond_by"))
