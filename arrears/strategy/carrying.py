"""Carrying out a serious step a person confirmed: a field visit planned through the visit flow
(:func:`arrears.cases.visits.plan_visit`), the case's open accounts placed with the step's agency
for the step's term through the placement flow (:func:`arrears.cases.placements.place`), a legal
referral recorded as the case's ``legal_referral`` event.

The rules:
- the confirmer holds ``action.confirm`` and the permission of the flow carried out
  (:data:`FLOW_PERMISSIONS`: ``visit.assign`` for a visit, ``placement.write`` for a placement;
  a legal referral is recorded by the confirmation alone);
- what the night knew is asked again (:func:`refusal`): the case still open and still owing, no
  standing hold on the customer that stops collection, no complaint open on the case; for a
  placement, the step's agency active and no account of the case placed already. A refusal is a
  409 naming why, and nothing is written: the step stays proposed, for a person to confirm once
  the reason is gone or to decline (the case closed or paid since the night: the message says so;
  a person answers every proposal, the system never answers for them);
- the flows audit what they create (``visit.assign``, ``placement.create``); the legal referral,
  which has no flow of its own, is audited here (``case.legal_referral``).

Nothing here commits; the caller (:func:`arrears.strategy.service.decide_action`) runs it in a
savepoint with the confirmation: all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import true
from sqlalchemy.orm import Session

from arrears.audit.trail import record
from arrears.auth import repository as people
from arrears.auth.models import Agency
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases import placements, visits, work_repository
from arrears.cases import repository as cases
from arrears.cases.models import Case, CaseEvent, CaseEventKind, CaseStatus
from arrears.cases.work import MAX_REASON
from arrears.disputes import repository as disputes
from arrears.disputes.models import HOLD_NAMES, STOPPING_HOLDS
from arrears.errors import ArrearsError, ConflictError, InvalidInputError
from arrears.i18n import N_, Text
from arrears.strategy.models import StrategyAction

FLOW_PERMISSIONS: Mapping[str, tuple[Permission, ...]] = {
    "field_visit": (Permission.VISIT_ASSIGN,),
    "agency_placement": (Permission.PLACEMENT_WRITE,),
    "legal_referral": (),
}
"""Besides ``action.confirm``, what the confirmer of each serious step must hold: the permission
of the flow that carries it out."""

CLOSED_ACCOUNT = "closed"
DEFAULT_PLACEMENT_DAYS = 90
"""A placement's term when the step names none (``placement_days``)."""


class StepClosedCaseError(ConflictError):
    code = "case_closed"
    default_message = N_(
        "Case {case_id} was closed on {closed_on} ({close_reason}) after the night proposed this step: "
        "nothing is carried out; decline the step"
    )


class StepPaidCaseError(ConflictError):
    code = "case_paid"
    default_message = N_(
        "Case {case_id} has nothing overdue since the night proposed this step: nothing is carried "
        "out; decline the step"
    )


class StepHeldError(ConflictError):
    code = "collection_held"
    default_message = N_(
        "The customer of case {case_id} is under a hold ({kind}): the step waits until it is lifted"
    )


class StepComplaintError(ConflictError):
    code = "complaint_open"
    default_message = N_(
        "Complaint {complaint_id} on case {case_id} is not closed: the step waits until it is"
    )


class StepAgencyError(ConflictError):
    code = "agency_inactive"
    default_message = N_("Agency {agency} of the step is unknown or disabled: it takes no placements")


class StepAlreadyPlacedError(ConflictError):
    code = "placement_overlap"
    default_message = N_(
        "Account {account_id} of case {case_id} is already placed until {ends_on} (placement "
        "{placement_id}): the step waits until it ends or is recalled"
    )


class StepNoAccountError(ConflictError):
    code = "no_open_account"
    default_message = N_("Case {case_id} has no open account to place")


class VisitAgentMissingError(InvalidInputError):
    code = "agent_required"
    default_message = N_("A field visit is confirmed with the field agent who makes it (agent_id)")


@dataclass(frozen=True)
class VisitChoice:
    """What a person adds to a confirmed field visit: who makes it, and on which day (default
    today)."""

    agent_id: int | None = None
    planned_on: date | None = None


@dataclass(frozen=True)
class Carried:
    """What carrying out a step created."""

    visit_id: int | None = None
    placement_ids: list[int] = field(default_factory=list)
    case_event_id: int | None = None

    def shown(self) -> dict[str, Any]:
        made: dict[str, Any] = {}
        if self.visit_id is not None:
            made["visit_id"] = self.visit_id
        if self.placement_ids:
            made["placement_ids"] = self.placement_ids
        if self.case_event_id is not None:
            made["case_event_id"] = self.case_event_id
        return made


def _needed(kind: str) -> tuple[Permission, ...]:
    return (Permission.ACTION_CONFIRM, *FLOW_PERMISSIONS.get(kind, ()))


def require(principal: Principal, kind: str) -> None:
    """The one check of who may confirm a step of ``kind``: ``action.confirm`` and its flow's."""
    for permission in _needed(kind):
        principal.require(permission)


def may_carry_out(principal: Principal, kind: str) -> bool:
    """:func:`require` as a yes or no (a page shows the confirm button only when it is yes)."""
    return all(principal.may(permission) for permission in _needed(kind))


def refusal(session: Session, action: StrategyAction, case: Case, today: date) -> ArrearsError | None:
    """Why the step cannot be carried out now (None: it can), asked again at confirmation."""
    case_id = case.case_id
    if case.status != CaseStatus.OPEN:
        closed_on = case.closed_on.isoformat() if case.closed_on else "?"
        return StepClosedCaseError(
            case_id=case_id, closed_on=closed_on, close_reason=case.close_reason or "?"
        )
    if case.overdue_total <= 0:
        return StepPaidCaseError(case_id=case_id)
    held = {hold.kind for hold in disputes.holds_of(session, case.customer_id, standing=True)}
    gravest = next((kind for kind in STOPPING_HOLDS if kind in held), None)
    if gravest is not None:
        return StepHeldError(case_id=case_id, kind=Text.of(HOLD_NAMES[gravest]))
    complaint = disputes.open_complaint_of_case(session, case_id)
    if complaint is not None:
        return StepComplaintError(case_id=case_id, complaint_id=complaint)
    if action.action == "agency_placement":
        return _placement_refusal(session, action, case, today)
    return None


def _placement_refusal(
    session: Session, action: StrategyAction, case: Case, today: date
) -> ArrearsError | None:
    agency = _agency(session, action)
    if agency is None or not agency.active:
        return StepAgencyError(agency=str(action.details.get("agency")))
    accounts = open_accounts(session, case.case_id)
    if not accounts:
        return StepNoAccountError(case_id=case.case_id)
    # in force today or later: not recalled, ending today or after
    in_force = work_repository.overlapping_placements(session, accounts, today, date.max, excluding=[])
    placed = in_force[0] if in_force else None
    if placed is not None:
        return StepAlreadyPlacedError(
            account_id=placed.account_id,
            case_id=case.case_id,
            ends_on=placed.ends_on.isoformat(),
            placement_id=placed.id,
        )
    return None


def open_accounts(session: Session, case_id: str) -> list[str]:
    """The accounts of the case not closed (a charged-off account is still collected), sorted."""
    rows = cases.accounts_of_case(session, case_id, true())
    return sorted(member.account_id for member, _ in rows if member.account_status != CLOSED_ACCOUNT)


def _agency(session: Session, action: StrategyAction) -> Agency | None:
    code = action.details.get("agency")
    return None if code is None else people.agency_by_code(session, str(code))


def carry_out(
    session: Session,
    principal: Principal,
    action: StrategyAction,
    case: Case,
    *,
    visit: VisitChoice,
    note: str | None,
    today: date,
    now: datetime,
) -> Carried:
    """Do what the confirmed step says, through its flow; what was created."""
    reason = _reason(action, note)
    if action.action == "field_visit":
        if visit.agent_id is None:
            raise VisitAgentMissingError()
        planned = visits.plan_visit(
            session,
            principal,
            case.case_id,
            visit.agent_id,
            visit.planned_on or today,
            reason,
            now=now,
            today=today,
        )
        return Carried(visit_id=planned.id)
    if action.action == "agency_placement":
        agency = _agency(session, action)
        assert agency is not None  # refusal() said so
        days = int(action.details.get("placement_days") or DEFAULT_PLACEMENT_DAYS)
        request = placements.PlacementRequest(
            account_ids=open_accounts(session, case.case_id),
            agency_id=agency.id,
            starts_on=today,
            ends_on=today + timedelta(days=days - 1),
            reason=reason,
        )
        made = placements.place(session, principal, request, now=now, today=today)
        return Carried(placement_ids=[p.id for p in made])
    return Carried(case_event_id=_refer(session, principal, case, reason, today=today, now=now))


def _refer(
    session: Session, principal: Principal, case: Case, reason: str, *, today: date, now: datetime
) -> int:
    event = CaseEvent(
        case_id=case.case_id, occurred_on=today, kind=str(CaseEventKind.LEGAL_REFERRAL), as_of=today
    )
    session.add(event)
    session.flush()
    record(
        session,
        principal.actor(),
        "case.legal_referral",
        at=now,
        object_type="case",
        object_id=case.case_id,
        customer_id=case.customer_id,
        after={"case_event_id": event.id, "occurred_on": today.isoformat()},
        reason=reason,
    )
    return event.id


def _reason(action: StrategyAction, note: str | None) -> str:
    """The reason the flows keep: the step the strategy chose, and the confirmer's note."""
    why = action.why or {}
    step = (
        f"strategy {why.get('strategy')} v{why.get('version')}, segment {action.segment}, "
        f"path {action.path} day {action.day} (action {action.id})"
    )
    text = f"{step}: {note.strip()}" if note and note.strip() else step
    return text[:MAX_REASON]
