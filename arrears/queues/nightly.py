"""The nightly step: place every open case in its queue and assign the book, set-based.

After the cases step (and the scores), with the active queue set: the plan of
:mod:`arrears.queues.planner`, then a few statements that write it — ``case_queues`` (closed cases
and cases no queue takes leave it; a case whose queue changed enters the new one that day), the
assignments (the current row of each moved case ended, a new one written, ``assigned_by`` empty:
the system, reason ``nightly assignment: queue X``) — and the audit entries of the moves.

Audit: one ``queue.assign`` entry per :data:`MOVES_PER_ENTRY` moves (not one per move: a night
that moves a million cases would write a million chained entries), each listing its moves as
``[case_id, queue, team before, collector before, team after, collector after]``; with the new
``case_assignments`` rows (history kept) every move is recoverable from the trail.

Without an active queue set the step does nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, String, and_, delete, exists, insert, literal, select, update
from sqlalchemy.orm import Session

from arrears.audit.trail import SYSTEM, Actor, record
from arrears.cases.models import CaseAssignment
from arrears.db import UTCDateTime
from arrears.queues import planner, reasons, repository
from arrears.queues.models import CaseQueue
from arrears.queues.planner import Plan, facts

NOTHING_DONE = "queues: nothing done"
"""How the note of a night without queue work begins (a run of several nights says it once)."""
MOVES_PER_ENTRY = 2000
"""Moves one audit entry lists at most."""
REASON = reasons.NIGHTLY


@dataclass
class NightlyOutcome:
    plan: Plan | None
    skipped_reason: str | None = None

    @property
    def moved(self) -> int:
        return 0 if self.plan is None else self.plan.collector_moves

    def note(self) -> str:
        if self.plan is None:
            return f"{NOTHING_DONE}: {self.skipped_reason} 未分案"
        p = self.plan
        placed = sum(p.cases.values())
        return (
            f"queues (set {p.queue_set}): {placed:,} cases in {len(p.cases)} queues, "
            f"{p.queue_moves:,} changed queue, {p.collector_moves:,} reassigned "
            f"({p.pooled:,} to a team's pool) 分案"
        )


def assign_book(
    connection: Connection,
    as_of: date,
    now: datetime,
    actor: Actor = SYSTEM,
    progress_from: date | None = None,
) -> NightlyOutcome:
    """Place and assign every open case by the active queue set, in the caller's transaction.
    ``progress_from``: the previous night's date (see :func:`arrears.queues.planner.plan`)."""
    with Session(bind=connection) as session:
        outcome = apply(session, as_of, now, actor, progress_from)
        session.flush()
    return outcome


def apply(
    session: Session, as_of: date, now: datetime, actor: Actor = SYSTEM, progress_from: date | None = None
) -> NightlyOutcome:
    active = repository.active_set(session)
    if active is None:
        return NightlyOutcome(None, "no active queue set")
    document = repository.document_of(active)
    teams = repository.resolve_teams(session, document)
    missing = [str(q.team) for q in document.queues if str(q.team) not in teams]
    if missing:
        return NightlyOutcome(None, f"team {missing[0]} of queue set {active.number} does not exist")
    connection = session.connection()
    planner.prepare(connection)
    try:
        found = planner.plan(connection, document, teams, active.number, as_of, progress_from)
        _write_queues(connection, active.number, as_of)
        moves = _write_assignments(connection, as_of, now)
        _audit(session, actor, active.number, as_of, now, moves)
    finally:
        planner.finish(connection)
    return NightlyOutcome(found)


def _write_queues(connection: Connection, number: int, as_of: date) -> None:
    c = facts.c
    placed = exists().where(c.case_id == CaseQueue.case_id, c.queue.is_not(None))
    connection.execute(delete(CaseQueue).where(~placed))  # NOT EXISTS: NOT IN is quadratic on PostgreSQL
    changed = select(c.case_id).where(c.queue.is_not(None), c.queue != c.prev_queue)
    new_queue = select(c.queue).where(c.case_id == CaseQueue.case_id).scalar_subquery()
    new_team = select(c.team_id).where(c.case_id == CaseQueue.case_id).scalar_subquery()
    connection.execute(
        update(CaseQueue)
        .where(CaseQueue.case_id.in_(changed))
        .values(queue=new_queue, team_id=new_team, entered_on=as_of, collector_since=None)
    )
    connection.execute(update(CaseQueue).where(CaseQueue.queue_set != number).values(queue_set=number))
    connection.execute(
        insert(CaseQueue).from_select(
            ["case_id", "queue", "team_id", "queue_set", "entered_on"],
            select(c.case_id, c.queue, c.team_id, literal(number), literal(as_of)).where(
                c.queue.is_not(None), c.prev_queue.is_(None)
            ),
        )
    )
    progress = select(c.progress_on).where(c.case_id == CaseQueue.case_id).scalar_subquery()
    connection.execute(
        update(CaseQueue)
        .where(CaseQueue.case_id.in_(select(c.case_id).where(c.progressed.is_(True))))
        .values(last_progress_on=progress)
    )


def _write_assignments(connection: Connection, as_of: date, now: datetime) -> list[list[object]]:
    c = facts.c
    moves = [
        list(row)
        for row in connection.execute(
            select(c.case_id, c.queue, c.cur_team, c.cur_collector, c.target_team, c.target)
            .where(planner.moved())
            .order_by(c.case_id)
        ).all()
    ]
    if not moves:
        return moves
    moved_ids = select(c.case_id).where(planner.moved())
    connection.execute(
        update(CaseAssignment)
        .where(CaseAssignment.ended_at.is_(None), CaseAssignment.case_id.in_(moved_ids))
        .values(ended_at=now)
    )
    connection.execute(
        insert(CaseAssignment).from_select(
            ["case_id", "team_id", "collector_id", "assigned_at", "assigned_by", "reason"],
            select(
                c.case_id,
                c.target_team,
                c.target,
                literal(now, UTCDateTime()),
                literal(None),
                (literal(REASON, String()) + c.queue),
            ).where(planner.moved()),
        )
    )
    connection.execute(
        update(CaseQueue)
        .where(CaseQueue.case_id.in_(select(c.case_id).where(and_(planner.moved(), c.target.is_not(None)))))
        .values(collector_since=as_of)
    )
    return moves


def _audit(
    session: Session, actor: Actor, number: int, as_of: date, now: datetime, moves: list[list[object]]
) -> None:
    for start in range(0, len(moves), MOVES_PER_ENTRY):
        chunk = moves[start : start + MOVES_PER_ENTRY]
        record(
            session,
            actor,
            "queue.assign",
            at=now,
            object_type="queue_set",
            object_id=str(number),
            after={
                "as_of": as_of.isoformat(),
                "columns": "case_id,queue,team_before,collector_before,team_after,collector_after",
                "moves": _compact(chunk),
            },
            reason=f"nightly assignment, queue set {number}",
        )


def _compact(moves: list[list[object]]) -> str:
    import json

    return json.dumps(moves, ensure_ascii=False, separators=(",", ":"))
