"""Call transcripts from the bank's speech-to-text, their checked turns, and reviewers' verdicts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, UTCDateTime
from arrears.i18n import N_


class Speaker(StrEnum):
    COLLECTOR = "collector"
    CUSTOMER = "customer"
    OTHER = "other"


class ReviewState(StrEnum):
    NONE = "none"
    SAMPLED = "sampled"
    """Drawn for a person's review, not reviewed yet."""
    REVIEWED = "reviewed"


class Verdict(StrEnum):
    AGREE = "agree"
    """The checker's finding is right."""
    DISAGREE = "disagree"
    """The checker's finding is wrong (a false alarm)."""
    MISSED = "missed"
    """The reviewer found what the checker did not."""


VERDICT_NAMES = {
    Verdict.AGREE: N_("agree"),
    Verdict.DISAGREE: N_("false alarm"),
    Verdict.MISSED: N_("missed by the checker"),
}


class CallTranscript(Base):
    """A call's transcript, attached to the contact that recorded the call (one per contact)."""

    __tablename__ = "call_transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    collector_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), comment="who made the call (the contact's recorder)"
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    week: Mapped[date] = mapped_column(
        Date, comment="the Monday of the call's business day (scores per week)"
    )
    language: Mapped[str | None] = mapped_column(String(16), comment="as the speech-to-text gave it")
    source: Mapped[str] = mapped_column(String(8), comment="file or api")
    turn_count: Mapped[int] = mapped_column(Integer)
    finding_count: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(
        Integer, comment="100 less each finding's weight by severity, at least 0"
    )
    checked_with: Mapped[str] = mapped_column(String(200), comment="the conduct rules' version")
    review_state: Mapped[str] = mapped_column(String(16), default=ReviewState.NONE)
    sample_band: Mapped[str | None] = mapped_column(String(16), comment="the score band it was drawn from")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="none: the system")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index(None, "contact_id", unique=True),
        Index(None, "week", "collector_id"),
        Index(None, "review_state", "week"),
    )


class TranscriptTurn(Base):
    """One speaker's turn, with what the conduct checker found in it (spans into ``text``)."""

    __tablename__ = "transcript_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("call_transcripts.id"))
    seq: Mapped[int] = mapped_column(Integer, comment="the turn's place in the call, from 1")
    speaker: Mapped[str] = mapped_column(String(16))
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, comment="category, rule, rule_ids, severity, start, end, evidence"
    )

    __table_args__ = (UniqueConstraint("transcript_id", "seq"),)


class QaVerdict(Base):
    """A reviewer's word on one finding of a call, or on a category the checker missed in a turn."""

    __tablename__ = "qa_verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("call_transcripts.id"))
    seq: Mapped[int] = mapped_column(Integer, comment="the turn")
    category: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(1000))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("transcript_id", "seq", "category"),
        Index(None, "category", "verdict"),
    )
