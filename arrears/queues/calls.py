"""Call tasks in the collectors' work lists: the calls the nightly strategy asked for on a day, each
within its window (docs/strategy.md, "The day's actions").

Whose task it is, read when asked (an assignment may change during the day, the task follows the
case): the collector who holds the case; while no collector holds it, the collectors of the team
of the queue the step named (``call_tasks.team_id``), else of the case's own team (its current
assignment's, else its queue's). A task routed to a team is that team's pool: next case hands it
out (assigning the case to the collector who takes it) while its window is open.

A task's state at an instant: ``done`` (a contact was logged on the case that day), ``open`` (its
window holds the instant), ``later`` (not opened yet) or ``passed``.

Reading the list is a look at the customers' cases: audited (``call_task.read``), like every
read of personal data. Nothing here writes otherwise; nothing commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.models import Case, CaseAssignment, CaseStatus
from arrears.contacts.models import CallTask, CallTaskStatus
from arrears.i18n import N_, Text
from arrears.portfolio.views import record_looks
from arrears.queues.models import CaseQueue

MAX_LISTED = 200
"""Call tasks one list shows at most (the earliest windows first)."""


class TaskState(StrEnum):
    DONE = "done"
    OPEN = "open"
    LATER = "later"
    PASSED = "passed"


@dataclass(frozen=True)
class CallTaskItem:
    """One call task as the work list shows it (no personal data: the case id, times, the reason)."""

    id: int
    case_id: str
    customer_id: str
    due_on: date
    window_start: datetime
    window_end: datetime
    best: bool
    """The step asked for the customer's best time to call (docs/strategy.md)."""
    why: dict[str, Any]
    status: str
    contact_id: int | None
    pooled: bool
    """No collector holds the case: it is the team's to take (through next case)."""

    def state(self, at: datetime) -> TaskState:
        if self.status == CallTaskStatus.DONE:
            return TaskState.DONE
        if at < self.window_start:
            return TaskState.LATER
        return TaskState.OPEN if at < self.window_end else TaskState.PASSED

    @property
    def reason(self) -> Text:
        """The strategy step's reason, worded."""
        return reason_of(self.why)


def reason_of(why: dict[str, Any]) -> Text:
    return Text.of(
        N_("Strategy {strategy} v{version}, segment {segment}, path {path}, day {day}"),
        strategy=str(why.get("strategy", "")),
        version=str(why.get("version", "")),
        segment=str(why.get("segment", "")),
        path=str(why.get("path", "")),
        day=str(why.get("day", "")),
    )


def routed_to(
    principal: Principal, assignment: Any = CaseAssignment, queue: Any = CaseQueue
) -> ColumnElement[bool]:
    """The call task is the caller's: they hold its case, or no collector does and it is routed to
    their team (the step's queue's team, else the case's current team, else its queue's team).
    Over ``call_tasks`` outer-joined to the case's current ``assignment`` and ``queue``
    (:func:`_routing`)."""
    mine = assignment.collector_id == principal.user_id
    if principal.team_id is None:
        return mine  # type: ignore[no-any-return]
    team = func.coalesce(CallTask.team_id, assignment.team_id, queue.team_id)
    return or_(mine, and_(assignment.collector_id.is_(None), team == principal.team_id))


def _routing(
    query: Select[*tuple[Any, ...]], assignment: Any = CaseAssignment, queue: Any = CaseQueue
) -> Select[*tuple[Any, ...]]:
    """``query`` over ``call_tasks`` with the case's current assignment and queue, if any."""
    return query.outerjoin(
        assignment, and_(assignment.case_id == CallTask.case_id, assignment.ended_at.is_(None))
    ).outerjoin(queue, queue.case_id == CallTask.case_id)


def joined(query: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """``query`` over ``call_tasks`` with its open case, current assignment and queue."""
    return _routing(
        query.join(Case, and_(Case.case_id == CallTask.case_id, Case.status == str(CaseStatus.OPEN)))
    )


def open_now(day: date, at: datetime) -> ColumnElement[bool]:
    """An open task of ``day`` whose window holds ``at``."""
    return and_(
        CallTask.due_on == day,
        CallTask.status == str(CallTaskStatus.OPEN),
        CallTask.window_start <= at,
        CallTask.window_end > at,
    )


def routed_open_now(principal: Principal, case_id: Any, day: date, at: datetime) -> ColumnElement[bool]:
    """The case ``case_id`` (an outer query's column) has an open call task of ``day`` whose window
    holds ``at``, routed to the caller."""
    assignment, queue = aliased(CaseAssignment), aliased(CaseQueue)
    inner = _routing(select(CallTask.id).select_from(CallTask), assignment, queue).where(
        CallTask.case_id == case_id, open_now(day, at), routed_to(principal, assignment, queue)
    )
    return inner.correlate_except(CallTask, assignment, queue).exists()


def window_shut(case_id: Any, day: date, at: datetime) -> ColumnElement[bool]:
    """The case has an open call task of ``day`` whose window does not hold ``at`` (not opened
    yet, or passed): next case does not offer it, the strategy asked for the call in that window."""
    return (
        exists()
        .where(
            CallTask.case_id == case_id,
            CallTask.due_on == day,
            CallTask.status == str(CallTaskStatus.OPEN),
            or_(CallTask.window_start > at, CallTask.window_end <= at),
        )
        .correlate_except(CallTask)
    )


def call_tasks(session: Session, principal: Principal, *, day: date, at: datetime) -> list[CallTaskItem]:
    """The caller's call tasks of ``day`` (see the module), earliest window first; the look is
    audited, one entry per customer."""
    principal.require(Permission.QUEUE_WORK)
    query = joined(
        select(
            CallTask.id,
            CallTask.case_id,
            CallTask.customer_id,
            CallTask.due_on,
            CallTask.window_start,
            CallTask.window_end,
            CallTask.best,
            CallTask.why,
            CallTask.status,
            CallTask.contact_id,
            CaseAssignment.collector_id,
        ).select_from(CallTask)
    )
    rows = session.execute(
        query.where(CallTask.due_on == day, routed_to(principal))
        .order_by(CallTask.window_start, CallTask.case_id, CallTask.id)
        .limit(MAX_LISTED)
    ).all()
    items = [
        CallTaskItem(
            id=row.id,
            case_id=row.case_id,
            customer_id=row.customer_id,
            due_on=row.due_on,
            window_start=row.window_start,
            window_end=row.window_end,
            best=row.best,
            why=dict(row.why),
            status=row.status,
            contact_id=row.contact_id,
            pooled=row.collector_id is None,
        )
        for row in rows
    ]
    record_looks(session, principal, "call_task.read", "case", [item.customer_id for item in items], at=at)
    return items
