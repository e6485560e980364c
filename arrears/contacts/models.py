"""Contacts with customers and the people around them, callbacks, and what customers asked of
contact (consents to another time, inconvenient times, opt-outs, refusals)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from arrears.concurrency import Versioned
from arrears.db import Base, UTCDateTime


class Channel(StrEnum):
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    WECHAT = "wechat"
    IVR = "ivr"
    CHAT = "chat"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Party(StrEnum):
    DEBTOR = "debtor"
    SPOUSE = "spouse"
    EMERGENCY_CONTACT = "emergency_contact"
    GUARANTOR = "guarantor"
    EMPLOYER = "employer"
    OTHER = "other"


class ReviewStatus(StrEnum):
    NONE = "none"
    """Nothing to review."""
    PENDING = "pending"
    """Flagged (a violation found after the fact, a note the content check flagged)."""
    REVIEWED = "reviewed"


class Contact(Base):
    """One attempt or conversation, as it happened. Never changed afterwards except its review and,
    for a message the outbox sent, its delivery as the provider's receipt or bounce told it.

    An outbound contact was put to the compliance gate first (``gate_decision_id``); one recorded
    after the fact was checked when recorded, and its violations flagged for review."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8), comment="outbound or inbound")
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    party: Mapped[str] = mapped_column(String(32), comment="who was reached or sought")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disposition: Mapped[str] = mapped_column(String(32), comment="a code of the disposition list")
    note: Mapped[str | None] = mapped_column(Text)
    note_flags: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, comment="the content check's findings on the note (rule id, messages)"
    )
    recording_uri: Mapped[str | None] = mapped_column(String(1000))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    gate_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("compliance_decisions.id"), comment="the gate's decision on it; one contact per decision"
    )
    gate_verdict: Mapped[str | None] = mapped_column(String(8), comment="allow, block or review")
    violations: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="rule ids the contact broke (recorded after the fact)"
    )
    after_the_fact: Mapped[bool] = mapped_column(Boolean, default=False)
    review_status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.NONE)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_outcome: Mapped[str | None] = mapped_column(String(16), comment="cleared or confirmed")
    review_note: Mapped[str | None] = mapped_column(String(1000))
    delivery: Mapped[str | None] = mapped_column(
        String(16), comment="a message's delivery as its receipt told: delivered, failed, bounced"
    )
    delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="when the receipt told it")
    source: Mapped[str] = mapped_column(String(16), comment="collector, outbox, strategy, agency, system")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="none: the system")
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id"), comment="the team working the case when recorded (metrics per team)"
    )
    started_on: Mapped[date] = mapped_column(Date, comment="the bank's business day of started_at (metrics)")

    __table_args__ = (
        Index(None, "case_id", "started_at"),
        Index(None, "customer_id", "started_at"),
        Index(None, "review_status", "recorded_at"),
        Index(None, "started_on", "team_id"),
        Index(None, "gate_decision_id", unique=True),
    )


class CallbackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Callback(Versioned, Base):
    """A call the collector owes the customer at an agreed time (in an allowed window)."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), comment="open, done or cancelled")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), comment="where it was agreed")
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "case_id", "status"), Index(None, "status", "due_at"))


class CallTaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class CallTask(Base):
    """A call a strategy's step asks for on a case on one day, within a window: in the work list of
    the collector who holds the case (else of the team its step's queue names, else the case's
    team), done by the first contact a person logs on the case that day.

    Written by the nightly strategy step from its planned ``call`` actions (one task per action)."""

    __tablename__ = "call_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_actions.id"), unique=True, comment="the strategy's action it carries out"
    )
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    due_on: Mapped[date] = mapped_column(Date, comment="the business day of the call (the action day)")
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    best: Mapped[bool] = mapped_column(
        Boolean, comment="the step asked for the customer's best time (window: best)"
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id"),
        comment="the team of the step's queue: works it while no collector holds the case",
    )
    why: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the strategy step's reason (as on the action)")
    status: Mapped[str] = mapped_column(String(16), comment="open or done")
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id"), comment="the contact that did it"
    )
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index(None, "case_id", "due_on"), Index(None, "due_on", "window_end"))


class ReviewOutcome(StrEnum):
    CLEARED = "cleared"
    """Looked at: no breach (e.g. the customer had agreed to the time)."""
    CONFIRMED = "confirmed"
    """A breach: kept on the record for the compliance report and the collector's supervisor."""


class PreferenceKind(StrEnum):
    CONSENT = "consent"
    """Agreed to contact at another time (a window), until a date."""
    INCONVENIENT_TIME = "inconvenient_time"
    OPT_OUT = "opt_out"
    """No more of this channel (to this contact point, or at all)."""
    CONTACT_REFUSED = "contact_refused"
    """A contact person asked never to be contacted again."""


class ContactPreference(Base):
    """What a customer (or a contact person) asked of contact; the gate reads these."""

    __tablename__ = "contact_preferences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    window_start: Mapped[time | None] = mapped_column(Time, comment="local time, customer's zone")
    window_end: Mapped[time | None] = mapped_column(Time)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "customer_id"),)


class ContactDayTotal(Base):
    """Outbound contacts per business day, team, collector and disposition (the contacts' and the
    productivity figures). ``team_id`` and ``recorded_by`` 0: none (a contact of no team, of the
    system)."""

    __tablename__ = "contact_day_totals"

    started_on: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="teams.id; 0: none")
    recorded_by: Mapped[int] = mapped_column(Integer, primary_key=True, comment="users.id; 0: the system")
    disposition: Mapped[str] = mapped_column(String(32), primary_key=True)
    contacts: Mapped[int] = mapped_column(BigInteger)


class ContactDayChange(Base):
    """A business day an outbound contact was recorded for since the nightly totals (today's, or
    an earlier day's recorded after the fact): read from the contacts until the next night. A row
    per contact (never updated: a night clears the rows it read, and only those)."""

    __tablename__ = "contact_day_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_on: Mapped[date] = mapped_column(Date, index=True)
