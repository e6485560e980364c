"""Queries of the QA context. Module-level functions over the caller's ``Session``; none commits.
A look-up for a person takes the caller's row scope as a SQL filter on ``cases`` (``visible``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.cases.models import Case
from arrears.qa.models import CallTranscript, QaVerdict, ReviewState, TranscriptTurn


def visible_transcript(
    session: Session, transcript_id: int, visible: ColumnElement[bool]
) -> CallTranscript | None:
    return session.execute(
        select(CallTranscript)
        .join(Case, Case.case_id == CallTranscript.case_id)
        .where(CallTranscript.id == transcript_id, visible)
    ).scalar_one_or_none()


def transcript_of_contact(session: Session, contact_id: int) -> CallTranscript | None:
    return session.execute(
        select(CallTranscript).where(CallTranscript.contact_id == contact_id)
    ).scalar_one_or_none()


def turns_of(session: Session, transcript_id: int) -> list[TranscriptTurn]:
    return list(
        session.scalars(
            select(TranscriptTurn)
            .where(TranscriptTurn.transcript_id == transcript_id)
            .order_by(TranscriptTurn.seq)
        )
    )


def verdicts_of(session: Session, transcript_id: int) -> list[QaVerdict]:
    return list(
        session.scalars(
            select(QaVerdict)
            .where(QaVerdict.transcript_id == transcript_id)
            .order_by(QaVerdict.seq, QaVerdict.category)
        )
    )


@dataclass(frozen=True)
class WeekRow:
    collector_id: int | None
    collector: str | None
    calls: int
    mean_score: float
    lowest_score: int
    findings: int
    flagged_calls: int


def week_scores(session: Session, week: date, visible: ColumnElement[bool]) -> list[WeekRow]:
    """Per collector, the week's checked calls: how many, their mean and lowest score, findings."""
    flagged = func.sum(case((CallTranscript.finding_count > 0, 1), else_=0))
    query = (
        select(
            CallTranscript.collector_id,
            User.username,
            func.count(),
            func.avg(CallTranscript.score),
            func.min(CallTranscript.score),
            func.sum(CallTranscript.finding_count),
            flagged,
        )
        .join(Case, Case.case_id == CallTranscript.case_id)
        .outerjoin(User, User.id == CallTranscript.collector_id)
        .where(CallTranscript.week == week, visible)
        .group_by(CallTranscript.collector_id, User.username)
        .order_by(func.avg(CallTranscript.score), User.username)
    )
    return [
        WeekRow(row[0], row[1], row[2], float(row[3]), row[4], int(row[5] or 0), int(row[6] or 0))
        for row in session.execute(query)
    ]


def latest_week(session: Session, visible: ColumnElement[bool]) -> date | None:
    """The Monday of the newest week with a transcript the caller sees."""
    query = (
        select(func.max(CallTranscript.week))
        .join(Case, Case.case_id == CallTranscript.case_id)
        .where(visible)
    )
    return session.scalar(query)


def unsampled(session: Session, week: date, visible: ColumnElement[bool]) -> Sequence[tuple[int, int]]:
    """(id, score) of the week's transcripts not drawn for review yet."""
    query = (
        select(CallTranscript.id, CallTranscript.score)
        .join(Case, Case.case_id == CallTranscript.case_id)
        .where(CallTranscript.week == week, CallTranscript.review_state == ReviewState.NONE, visible)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def mark_sampled(session: Session, drawn: dict[int, str]) -> None:
    for transcript_id, band in drawn.items():
        session.execute(
            update(CallTranscript)
            .where(CallTranscript.id == transcript_id, CallTranscript.review_state == ReviewState.NONE)
            .values(review_state=ReviewState.SAMPLED, sample_band=band)
        )


def review_queue(
    session: Session, visible: ColumnElement[bool], *, week: date | None, limit: int
) -> list[CallTranscript]:
    """Transcripts drawn for review and not reviewed yet, lowest score first."""
    query = (
        select(CallTranscript)
        .join(Case, Case.case_id == CallTranscript.case_id)
        .where(CallTranscript.review_state == ReviewState.SAMPLED, visible)
    )
    if week is not None:
        query = query.where(CallTranscript.week == week)
    return list(session.scalars(query.order_by(CallTranscript.score, CallTranscript.id).limit(limit)))


def close_review(session: Session, transcript_id: int, *, at: datetime, by: int | None) -> bool:
    """Mark a transcript reviewed; False when another reviewer closed it first."""
    result = session.execute(
        update(CallTranscript)
        .where(CallTranscript.id == transcript_id, CallTranscript.review_state != ReviewState.REVIEWED)
        .values(review_state=ReviewState.REVIEWED, reviewed_at=at, reviewed_by=by)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def verdict_counts(session: Session, visible: ColumnElement[bool]) -> list[tuple[str, str, int]]:
    """(category, verdict, count) over every review of transcripts on the ``visible`` cases."""
    query = (
        select(QaVerdict.category, QaVerdict.verdict, func.count())
        .join(CallTranscript, CallTranscript.id == QaVerdict.transcript_id)
        .join(Case, Case.case_id == CallTranscript.case_id)
        .where(visible)
        .group_by(QaVerdict.category, QaVerdict.verdict)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(query)]
