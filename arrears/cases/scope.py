"""Row scoping: which cases, customers and accounts a caller sees, as SQL filters.

Each function returns a boolean SQL expression to put in the WHERE clause of the caller's query,
so that lists paginate over visible rows only and an object out of scope is simply not found
(404, the same body as an id that does not exist). Nothing here filters rows in Python.

The rules (see docs/access.md):
- a collector: cases currently assigned to them, and the unassigned cases of their team;
- a supervisor: cases currently assigned to the teams they lead;
- an agency user: accounts currently placed with their agency (from ``starts_on`` to
  ``ends_on``, until recalled), their customers, and the cases holding them;
- a field agent: the customers of the visits planned for them, and those customers' cases;
- a customer: their own accounts and cases;
- administrators, strategy analysts, compliance officers and auditors: everything.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import QueryableAttribute

from arrears.auth.permissions import Scope
from arrears.auth.principal import Principal
from arrears.cases.models import Case, CaseAccount, CaseAssignment, FieldVisit, Placement, VisitStatus
from arrears.portfolio.models import Account

Column = ColumnElement[str] | QueryableAttribute[str]
"""A SQL column expression holding an id (e.g. ``Customer.customer_id``)."""


def active_placements(today: date) -> ColumnElement[bool]:
    """Placements in force on ``today`` and not recalled."""
    return and_(Placement.recalled_at.is_(None), Placement.starts_on <= today, Placement.ends_on >= today)


def current_assignments() -> ColumnElement[bool]:
    return CaseAssignment.ended_at.is_(None)


def _assigned_case_ids(principal: Principal) -> Select[Any]:
    if principal.scope is Scope.TEAM:
        mine = CaseAssignment.collector_id == principal.user_id
        team_pool = and_(
            CaseAssignment.team_id == principal.team_id,
            CaseAssignment.collector_id.is_(None),
        )
        who = or_(mine, team_pool) if principal.team_id is not None else mine
    else:
        who = CaseAssignment.team_id.in_(sorted(principal.led_team_ids))
    return select(CaseAssignment.case_id).where(current_assignments(), who)


def _placed_account_ids(principal: Principal, today: date) -> Select[Any]:
    return select(Placement.account_id).where(
        active_placements(today), Placement.agency_id == principal.agency_id
    )


def _visited_customer_ids(principal: Principal) -> Select[Any]:
    return select(FieldVisit.customer_id).where(
        FieldVisit.agent_id == principal.user_id, FieldVisit.status == str(VisitStatus.PLANNED)
    )


def case_filter(principal: Principal, today: date) -> ColumnElement[bool]:
    """The cases ``principal`` sees (a filter on ``cases``)."""
    scope = principal.scope
    if scope is Scope.ALL:
        return true()
    if scope in (Scope.TEAM, Scope.LED_TEAMS):
        return Case.case_id.in_(_assigned_case_ids(principal))
    if scope is Scope.AGENCY and principal.agency_id is not None:
        held = select(CaseAccount.case_id).where(
            CaseAccount.account_id.in_(_placed_account_ids(principal, today))
        )
        return Case.case_id.in_(held)
    if scope is Scope.VISITS:
        return Case.customer_id.in_(_visited_customer_ids(principal))
    if scope is Scope.OWN and principal.customer_id is not None:
        return Case.customer_id == principal.customer_id
    return false()


def customer_filter(principal: Principal, today: date, customer_id: Column) -> ColumnElement[bool]:
    """The customers ``principal`` sees, as a filter on the column ``customer_id``."""
    scope = principal.scope
    if scope is Scope.ALL:
        return true()
    if scope in (Scope.TEAM, Scope.LED_TEAMS):
        return customer_id.in_(select(Case.customer_id).where(case_filter(principal, today)))
    if scope is Scope.AGENCY and principal.agency_id is not None:
        placed = select(Account.customer_id).where(
            Account.account_id.in_(_placed_account_ids(principal, today))
        )
        return customer_id.in_(placed)
    if scope is Scope.VISITS:
        return customer_id.in_(_visited_customer_ids(principal))
    if scope is Scope.OWN and principal.customer_id is not None:
        return customer_id == principal.customer_id
    return false()


def account_filter(principal: Principal, today: date, account_id: Column) -> ColumnElement[bool]:
    """The accounts ``principal`` sees, as a filter on the column ``account_id``: the accounts of
    the cases they see (an agency: only the accounts placed with it; a customer: all their own)."""
    scope = principal.scope
    if scope is Scope.ALL:
        return true()
    if scope is Scope.AGENCY and principal.agency_id is not None:
        return account_id.in_(_placed_account_ids(principal, today))
    if scope is Scope.OWN and principal.customer_id is not None:
        return account_id.in_(select(Account.account_id).where(Account.customer_id == principal.customer_id))
    if scope in (Scope.TEAM, Scope.LED_TEAMS, Scope.VISITS):
        in_cases = select(CaseAccount.account_id).join(Case, Case.case_id == CaseAccount.case_id)
        return account_id.in_(in_cases.where(case_filter(principal, today)))
    return false()
