"""Assigning field visits to field agents, and cancelling them.

The rules:
- the caller holds ``visit.assign`` (supervisors) and sees the case (else it is not found);
- the agent is an active field agent of a team the caller leads; the visit is planned for today
  or later; the case is open;
- a planned visit lets its agent see the customer (:mod:`arrears.cases.scope`); a cancelled one
  no longer does, from that moment;
- only a planned visit is cancelled (409 otherwise, also when two callers race);
- every assignment and cancellation leaves an audit entry with its reason.

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from arrears.auth import repository as people
from arrears.auth.models import User
from arrears.auth.permissions import Permission, Role
from arrears.auth.principal import Principal
from arrears.cases import work_repository as repository
from arrears.cases.models import CaseStatus, FieldVisit, VisitStatus
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError, UserNotEligibleError, audit, checked_reason
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_

MAX_DAYS_AHEAD = 366
"""How far ahead a visit may be planned (a date beyond is a slip of the keyboard, not a plan)."""


class VisitNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No visit {visit_id}")


class VisitNotPlannedError(ConflictError):
    code = "visit_not_planned"
    default_message = N_("Visit {visit_id} is {status}: only a planned visit is cancelled")


class CaseNotOpenError(ConflictError):
    code = "case_closed"
    default_message = N_("Case {case_id} is closed: no visit is planned for it")


def plan_visit(
    session: Session,
    principal: Principal,
    case_id: str,
    agent_id: int,
    planned_on: date,
    reason: str,
    *,
    now: datetime,
    today: date,
) -> FieldVisit:
    principal.require(Permission.VISIT_ASSIGN)
    reason = checked_reason(reason)
    case = repository.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError(N_("No case {case_id}"), case_id=case_id)
    if case.status != CaseStatus.OPEN:
        raise CaseNotOpenError(case_id=case_id)
    if planned_on < today:
        raise InvalidInputError(
            N_("planned_on ({planned_on}) is in the past: a visit is planned for today or later"),
            planned_on=planned_on.isoformat(),
        )
    if planned_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInputError(
            N_("planned_on ({planned_on}) is more than {days} days ahead: plan a visit nearer the time"),
            planned_on=planned_on.isoformat(),
            days=MAX_DAYS_AHEAD,
        )
    agent = people.user_by_id(session, agent_id)
    if (
        agent is None
        or agent.role != Role.FIELD_AGENT
        or not agent.active
        or agent.team_id not in principal.led_team_ids
    ):
        raise UserNotEligibleError(
            N_("User {user_id} is not an active field agent of a team you lead"), user_id=agent_id
        )
    visit = repository.add_visit(
        session,
        FieldVisit(
            case_id=case_id,
            customer_id=case.customer_id,
            agent_id=agent_id,
            planned_on=planned_on,
            status=str(VisitStatus.PLANNED),
            assigned_at=now,
            assigned_by=principal.user_id,
            reason=reason,
        ),
    )
    audit(
        session,
        principal,
        "visit.assign",
        at=now,
        object_type="visit",
        object_id=str(visit.id),
        customer_id=case.customer_id,
        reason=reason,
        after=_shown(visit),
    )
    return visit


def visit_agents(session: Session, principal: Principal) -> list[User]:
    """The users a visit may be given to by ``principal``: the active field agents of the teams
    they lead, by name."""
    principal.require(Permission.VISIT_ASSIGN)
    return people.active_users_of_teams(session, principal.led_team_ids, Role.FIELD_AGENT)


def cancel_visit(
    session: Session, principal: Principal, visit_id: int, reason: str, *, now: datetime, today: date
) -> FieldVisit:
    principal.require(Permission.VISIT_ASSIGN)
    reason = checked_reason(reason)
    visit = repository.visible_visit(session, visit_id, case_filter(principal, today))
    if visit is None:
        raise VisitNotFoundError(visit_id=visit_id)
    if visit.status != VisitStatus.PLANNED:
        raise VisitNotPlannedError(visit_id=visit_id, status=visit.status)
    before = _shown(visit)
    if not repository.set_visit_status(
        session, visit_id, str(VisitStatus.PLANNED), str(VisitStatus.CANCELLED)
    ):
        session.refresh(visit)
        raise VisitNotPlannedError(visit_id=visit_id, status=visit.status)
    session.refresh(visit)
    audit(
        session,
        principal,
        "visit.cancel",
        at=now,
        object_type="visit",
        object_id=str(visit_id),
        customer_id=visit.customer_id,
        reason=reason,
        before=before,
        after=_shown(visit),
    )
    return visit


def _shown(visit: FieldVisit) -> dict[str, object]:
    return {
        "case_id": visit.case_id,
        "agent_id": visit.agent_id,
        "planned_on": visit.planned_on.isoformat(),
        "status": visit.status,
    }
