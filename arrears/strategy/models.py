"""Strategies (versioned documents with their life cycle), where each case stands in the active
strategy, the nights evaluated, and the actions each night chose with why."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.concurrency import Versioned
from arrears.db import Base, UTCDateTime


class StrategyStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETIRED = "retired"


class Strategy(Versioned, Base):
    """One version of a strategy, as the YAML document written. A strategy analyst drafts it,
    another person of a role that may approve approves it from a date; the night of ``as_of``
    follows the approved version with the latest ``active_from`` on or before it."""

    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer, comment="1, 2, … within the code: the version people name")
    document: Mapped[str] = mapped_column(Text, comment="the YAML as written")
    digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the document")
    status: Mapped[str] = mapped_column(String(16), comment="draft, approved, rejected or retired")
    note: Mapped[str | None] = mapped_column(String(500))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    drafted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active_from: Mapped[date | None] = mapped_column(Date, comment="the first night it chooses actions")

    __table_args__ = (UniqueConstraint("code", "number"), Index(None, "status", "active_from"))


class StrategyRun(Base):
    """One night's evaluation: the version followed and what it chose."""

    __tablename__ = "strategy_runs"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id"))
    engine: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseSegment(Base):
    """Where an open case stands: its segment (and experiment arm) and the day it entered them.
    Written when it changes; a case that leaves the open book leaves this table."""

    __tablename__ = "case_segments"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(64), comment="the strategy's code")
    segment: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str] = mapped_column(String(130), comment="experiment:arm, empty outside experiments")
    entered_on: Mapped[date] = mapped_column(Date)


class ActionStatus(StrEnum):
    PLANNED = "planned"
    """Passed the gate; becomes an outbox message or a call task."""
    RESCHEDULED = "rescheduled"
    """Refused by a time or frequency rule: planned again at ``next_allowed_at``."""
    ESCALATED = "escalated"
    """Refused with no time at which it would pass: a person looks at it."""
    PROPOSED = "proposed"
    """A serious step waiting for a person's confirmation."""
    CONFIRMED = "confirmed"
    """A serious step a person confirmed, carried out at once (:mod:`arrears.strategy.carrying`):
    the visit planned, the accounts placed or the referral recorded, their ids kept."""
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    """A proposal the night set aside: its case closed before a person answered (why in ``reasons``)."""
    DONE = "done"
    """Carried out: the message queued, the call made."""
    SKIPPED = "skipped"
    """Could not be carried out (a message with no approved template or no contact point)."""


class StrategyAction(Base):
    """One action a night chose for a case, with why: the strategy version, segment, arm and step,
    the facts its segment read, the score and its reason, and the gate's answer."""

    __tablename__ = "strategy_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True, comment="case, segment, entry, day, action")
    as_of: Mapped[date] = mapped_column(Date, comment="the night that chose it")
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id"))
    segment: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str] = mapped_column(String(130), comment="experiment:arm, empty outside experiments")
    path: Mapped[str] = mapped_column(String(64))
    day: Mapped[int] = mapped_column(Integer, comment="the day in the segment the step is for")
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, comment="template, window, queue, agency…")
    planned_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), comment="when it is to happen (a window's start)"
    )
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    needs_confirmation: Mapped[bool] = mapped_column(Boolean)
    verdict: Mapped[str | None] = mapped_column(String(8), comment="the gate's: allow, block or review")
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="the gate's reasons, in every language"
    )
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    why: Mapped[dict[str, Any]] = mapped_column(JSON, comment="facts matched, score and reason")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outbox_message_id: Mapped[int | None] = mapped_column(Integer)
    visit_id: Mapped[int | None] = mapped_column(Integer, comment="the field visit its confirmation planned")
    placement_ids: Mapped[list[int] | None] = mapped_column(
        JSON, comment="the placements its confirmation made (one per account of the case)"
    )
    case_event_id: Mapped[int | None] = mapped_column(
        Integer, comment="the case event of the legal referral its confirmation recorded"
    )

    __table_args__ = (
        Index(None, "case_id", "as_of"),
        Index(None, "status", "planned_at"),
        # The case too: the fairness report reads a night's cases by action from the index alone.
        Index(None, "as_of", "action", "case_id"),
    )


class ExperimentMember(Base):
    """A case in an experiment's arm, from the night it first entered it (the arm is the stable
    hash of experiment and customer: a customer never changes arm)."""

    __tablename__ = "experiment_members"

    experiment: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    arm: Mapped[str] = mapped_column(String(64))
    entered_on: Mapped[date] = mapped_column(Date)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id"))

    __table_args__ = (Index(None, "experiment", "entered_on"),)


class ExperimentDecision(Base):
    """A committee's decision on an experiment, with the evidence it was shown."""

    __tablename__ = "experiment_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16), comment="promote, keep_champion or extend")
    arm: Mapped[str | None] = mapped_column(String(64), comment="the arm promoted")
    note: Mapped[str] = mapped_column(String(2000))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the report the decision rested on")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SimulationRun(Base):
    """A run of the behavioural simulator kept by ``arrears sim strategy --record``: who ran it and
    when, the two documents as simulated (with the stored version each is, if any), the plan, and
    the comparison in a form the report is drawn again from
    (:mod:`arrears.strategy.simulation.stored`)."""

    __tablename__ = "simulation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), comment="when the run finished")
    ran_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ran_by_name: Mapped[str] = mapped_column(
        String(100), comment="the actor as the audit trail names it (system:<user> on the command line)"
    )
    champion_name: Mapped[str] = mapped_column(String(64), comment="the document's strategy code")
    champion_strategy_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategies.id"), comment="the stored version with the same text, if any"
    )
    champion_digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the document")
    champion_document: Mapped[str] = mapped_column(Text, comment="the YAML as simulated")
    challenger_name: Mapped[str] = mapped_column(String(64), comment="the document's strategy code")
    challenger_strategy_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategies.id"), comment="the stored version with the same text, if any"
    )
    challenger_digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the document")
    challenger_document: Mapped[str] = mapped_column(Text, comment="the YAML as simulated")
    customers: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    first_night: Mapped[date] = mapped_column(Date)
    seconds: Mapped[Decimal] = mapped_column(Numeric(12, 3), comment="elapsed, both strategies")
    result: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="the comparison: exact means, intervals, collected per day (see stored.py)"
    )
