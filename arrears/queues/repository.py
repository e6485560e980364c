"""Queries of the queues context: queue sets, case queues, collector profiles, retentions.
Flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from arrears.auth import repository as people
from arrears.cases.models import Case, CaseAssignment, CaseStatus
from arrears.queues.models import CaseQueue, CollectorProfile, QueueSet, QueueSetStatus, Retention
from arrears.queues.rules import QueueSetDocument, parse_document


def active_set(session: Session) -> QueueSet | None:
    return session.execute(
        select(QueueSet).where(QueueSet.status == str(QueueSetStatus.ACTIVE))
    ).scalar_one_or_none()


def queue_set(session: Session, number: int) -> QueueSet | None:
    return session.execute(select(QueueSet).where(QueueSet.number == number)).scalar_one_or_none()


def queue_sets(session: Session) -> Sequence[QueueSet]:
    return session.execute(select(QueueSet).order_by(QueueSet.number.desc())).scalars().all()


def next_number(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(QueueSet.number), 0))).scalar_one()) + 1


def add(session: Session, row: Any) -> None:
    session.add(row)
    session.flush()


def retire_active(session: Session) -> None:
    current = active_set(session)
    if current is not None:
        current.status = str(QueueSetStatus.RETIRED)
        session.flush()


def document_of(row: QueueSet) -> QueueSetDocument:
    return parse_document(row.document, f"queue set {row.number}")


def resolve_teams(session: Session, document: QueueSetDocument) -> dict[str, int]:
    """The id of each team the queues name (by code, or id); a team that does not exist is left out."""
    found: dict[str, int] = {}
    for queue in document.queues:
        team = (
            people.team_by_id(session, queue.team)
            if isinstance(queue.team, int)
            else people.team_by_code(session, queue.team)
        )
        if team is not None:
            found[str(queue.team)] = team.id
    return found


def profile(session: Session, user_id: int) -> CollectorProfile | None:
    return session.get(CollectorProfile, user_id)


def open_case(session: Session, case_id: str, visible: ColumnElement[bool]) -> Case | None:
    return session.execute(select(Case).where(Case.case_id == case_id, visible)).scalar_one_or_none()


def current_assignment(session: Session, case_id: str) -> CaseAssignment | None:
    return session.execute(
        select(CaseAssignment).where(CaseAssignment.case_id == case_id, CaseAssignment.ended_at.is_(None))
    ).scalar_one_or_none()


def active_retention(session: Session, case_id: str, today: date) -> Retention | None:
    return session.execute(
        select(Retention)
        .where(Retention.case_id == case_id, Retention.released_at.is_(None), Retention.until >= today)
        .order_by(Retention.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def release_retentions(session: Session, case_id: str, today: date, now: datetime) -> int:
    result = session.execute(
        update(Retention)
        .where(Retention.case_id == case_id, Retention.released_at.is_(None), Retention.until >= today)
        .values(released_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def queue_sizes(
    session: Session, team_ids: Sequence[int] | None, collector_id: int | None
) -> list[tuple[Any, ...]]:
    """Per team, queue and currency: open cases, their overdue total, their mean DPD and the
    earliest date one entered the queue; only the teams named (None: all) and, with
    ``collector_id``, that collector's cases."""
    where = [Case.status == str(CaseStatus.OPEN)]
    query = select(
        CaseQueue.team_id,
        CaseQueue.queue,
        Case.currency,
        func.count(),
        func.sum(Case.overdue_total),
        func.avg(Case.worst_dpd),
        func.min(CaseQueue.entered_on),
    ).join(Case, Case.case_id == CaseQueue.case_id)
    if team_ids is not None:
        where.append(CaseQueue.team_id.in_(sorted(team_ids)))
    if collector_id is not None:
        query = query.join(
            CaseAssignment,
            and_(CaseAssignment.case_id == CaseQueue.case_id, CaseAssignment.ended_at.is_(None)),
        )
        where.append(CaseAssignment.collector_id == collector_id)
    grouped = query.where(*where).group_by(CaseQueue.team_id, CaseQueue.queue, Case.currency)
    ordered = grouped.order_by(CaseQueue.team_id, CaseQueue.queue, Case.currency)
    return [tuple(row) for row in session.execute(ordered).all()]
