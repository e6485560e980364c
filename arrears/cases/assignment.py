"""Assigning cases to a team and, optionally, one of its collectors.

The rules:
- the caller holds ``case.assign`` (supervisors) and sees every case named (their row scope:
  a case out of scope is not found, exactly like one that does not exist);
- the target team is one the caller leads; the collector, when named, is an active collector of
  that team; a closed case is not assigned;
- the current assignment ends (``ended_at``) and a new one is written: history is kept;
- many cases go to one target in one step, all or nothing, at most :data:`MAX_BULK` at a time;
- no lost update: a caller who states the assignment they expect to replace is refused (409)
  when it is no longer current, and of two callers racing on one case exactly one wins, the
  other is refused (the conditional end of the current row, and the unique index on current rows);
- every change leaves an audit entry with the team and collector before and after, and the reason.

The command line (``arrears cases assign``, :func:`assign_as_system`) gives cases their first
assignment, which no supervisor can (they see only the cases already assigned to their teams):
it acts as the system, over every case and to any team, with the same rules otherwise.

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import ColumnElement, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor
from arrears.auth import repository as people
from arrears.auth.permissions import Permission, Role
from arrears.auth.principal import Principal
from arrears.cases import work_repository as repository
from arrears.cases.models import CaseAssignment, CaseStatus
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError, UserNotEligibleError, audit, checked_reason
from arrears.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from arrears.i18n import N_

MAX_BULK = 500
"""Cases one bulk assignment may move at most."""

UNASSIGNED: Literal["unassigned"] = "unassigned"
Expected = int | Literal["unassigned"] | None
"""The assignment a caller expects to replace: its id, ``unassigned`` (none yet), or None (no check)."""


class TeamNotLedError(PermissionDeniedError):
    code = "team_not_led"
    default_message = N_("You may assign cases only to a team you lead")


class StaleAssignmentError(ConflictError):
    code = "stale_assignment"
    default_message = N_(
        "The assignment of case {case_id} changed since you read it: read it again and retry"
    )


class CaseClosedError(ConflictError):
    code = "case_closed"
    default_message = N_("Case {case_id} is closed: it is no longer assigned")


@dataclass(frozen=True)
class Target:
    team_id: int
    collector_id: int | None = None


def assign(
    session: Session,
    principal: Principal,
    case_ids: Sequence[str],
    target: Target,
    reason: str,
    *,
    now: datetime,
    today: date,
    expected: Expected = None,
) -> list[CaseAssignment]:
    """Assign every case of ``case_ids`` to ``target``, all or nothing; the new assignments."""
    principal.require(Permission.CASE_ASSIGN)
    if target.team_id not in principal.led_team_ids:
        raise TeamNotLedError()
    return _assign(
        session,
        principal,
        principal.user_id,
        case_ids,
        target,
        reason,
        now=now,
        visible=case_filter(principal, today),
        expected=expected,
    )


def assign_as_system(
    session: Session, actor: Actor, case_ids: Sequence[str], target: Target, reason: str, *, now: datetime
) -> list[CaseAssignment]:
    """As :func:`assign`, by the system (the command line): any open case, to any team; the
    actor is recorded in the audit entries, the assignments have no ``assigned_by``."""
    if people.team_by_id(session, target.team_id) is None:
        raise NotFoundError(N_("There is no team with id {id}"), id=target.team_id)
    return _assign(session, actor, None, case_ids, target, reason, now=now, visible=true())


def unassigned_cases(session: Session, *, bucket: str | None, limit: int) -> list[str]:
    """Open cases with no current assignment (of ``bucket``), worst DPD first, at most ``limit``."""
    return repository.unassigned_case_ids(session, bucket=bucket, limit=limit)


def _assign(
    session: Session,
    who: Principal | Actor,
    assigned_by: int | None,
    case_ids: Sequence[str],
    target: Target,
    reason: str,
    *,
    now: datetime,
    visible: ColumnElement[bool],
    expected: Expected = None,
) -> list[CaseAssignment]:
    reason = checked_reason(reason)
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise InvalidInputError(N_("Name at least one case"))
    if len(ids) > MAX_BULK:
        raise InvalidInputError(
            N_("At most {maximum} cases are assigned at once, not {count}"), maximum=MAX_BULK, count=len(ids)
        )
    if expected is not None and len(ids) != 1:
        raise InvalidInputError(N_("An expected assignment is stated for one case at a time"))
    _check_collector(session, target)
    cases = repository.visible_cases(session, ids, visible)
    for case_id in ids:
        if case_id not in cases:
            raise CaseNotFoundError(N_("No case {case_id}"), case_id=case_id)
        if cases[case_id].status != CaseStatus.OPEN:
            raise CaseClosedError(case_id=case_id)
    current = repository.current_assignments(session, ids)
    if expected is not None:
        found = current.get(ids[0])
        if (found.id if found else UNASSIGNED) != expected:
            raise StaleAssignmentError(case_id=ids[0])
    ordered = sorted(ids)  # one lock order for every writer: no deadlock between two bulk moves
    for case_id in ordered:
        previous = current.get(case_id)
        if previous is not None and not repository.end_assignment(session, previous.id, now):
            raise StaleAssignmentError(case_id=case_id)
    made = [
        CaseAssignment(
            case_id=case_id,
            team_id=target.team_id,
            collector_id=target.collector_id,
            assigned_at=now,
            assigned_by=assigned_by,
            reason=reason,
        )
        for case_id in ordered
    ]
    try:
        repository.add_assignments(session, made)
    except IntegrityError:  # another writer gave an unassigned case its first assignment meanwhile
        raise StaleAssignmentError(case_id=ordered[0]) from None
    for row in made:
        previous = current.get(row.case_id)
        audit(
            session,
            who,
            "case.assign",
            at=now,
            object_type="case",
            object_id=row.case_id,
            customer_id=cases[row.case_id].customer_id,
            reason=reason,
            before=None if previous is None else _shown(previous),
            after=_shown(row),
        )
    return made


def history(session: Session, principal: Principal, case_id: str, today: date) -> list[CaseAssignment]:
    """Every assignment of a case the caller sees, newest first."""
    principal.require(Permission.CASE_READ)
    rows = repository.assignment_history(session, case_id, case_filter(principal, today))
    if rows is None:
        raise CaseNotFoundError(N_("No case {case_id}"), case_id=case_id)
    return rows


def _check_collector(session: Session, target: Target) -> None:
    if target.collector_id is None:
        return
    user = people.user_by_id(session, target.collector_id)
    if user is None or user.role != Role.COLLECTOR or not user.active or user.team_id != target.team_id:
        raise UserNotEligibleError(
            N_("User {user_id} is not an active collector of team {team_id}"),
            user_id=target.collector_id,
            team_id=target.team_id,
        )


def _shown(row: CaseAssignment) -> dict[str, int | None]:
    return {"assignment_id": row.id, "team_id": row.team_id, "collector_id": row.collector_id}
