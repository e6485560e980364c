"""Reading cases for a person: the list and one case, within the caller's scope (the filters of
:mod:`arrears.cases.scope`, applied in the SQL), the look at a case audited.

A case out of scope is not found, with exactly the error of a case that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from arrears.auth.permissions import Permission, Scope
from arrears.auth.principal import Principal
from arrears.cases import repository
from arrears.cases.models import Case, CaseAccount, Placement
from arrears.cases.repository import AssignmentRow, CaseFilters, CaseKey, CaseRow
from arrears.cases.scope import account_filter, case_filter
from arrears.errors import NotFoundError
from arrears.i18n import N_
from arrears.portfolio import repository as portfolio
from arrears.portfolio.models import Customer
from arrears.portfolio.views import record_look


class CaseNotFoundError(NotFoundError):
    """No such case, or one out of the caller's scope (the two are not told apart)."""

    code = "case_not_found"
    default_message = N_("There is no such case")


def list_cases(
    session: Session,
    principal: Principal,
    filters: CaseFilters,
    *,
    today: date,
    limit: int,
    after: CaseKey | None = None,
    also: Sequence[ColumnElement[bool]] = (),
) -> list[CaseRow]:
    """The cases ``principal`` sees, narrowed by ``filters`` (and ``also``), worst DPD first."""
    return repository.list_cases(
        session, case_filter(principal, today), filters, limit=limit, after=after, also=also
    )


@dataclass(frozen=True)
class CaseFile:
    """One case as its reader sees it (personal fields still raw: the way in masks them)."""

    case: Case
    customer: Customer
    accounts: list[tuple[CaseAccount, str]]
    """The case's accounts the reader sees (an agency: those placed with it), with products."""
    assignment: AssignmentRow | None
    placements: list[tuple[Placement, str]] | None
    """Placements in force of those accounts, with agency names; None for a role without
    placement.read (an agency user sees its own only)."""


def read_case(session: Session, principal: Principal, case_id: str, *, today: date, at: datetime) -> CaseFile:
    """The case, if ``principal`` sees it; the look audited (case.read), last: the way in reads
    nothing after it (see arrears.portfolio.views.record_look)."""
    case = repository.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError()
    customer = portfolio.visible_customer(session, case.customer_id, true())
    if customer is None:  # a foreign key holds it: never
        raise CaseNotFoundError()
    accounts = repository.accounts_of_case(
        session, case_id, account_filter(principal, today, CaseAccount.account_id)
    )
    placements = None
    if principal.may(Permission.PLACEMENT_READ) or principal.scope is Scope.AGENCY:
        own = principal.agency_id if principal.scope is Scope.AGENCY else None
        held = [member.account_id for member, _ in accounts]
        placements = repository.placements_in_force(session, held, today, agency_id=own)
    assignment = repository.current_assignment_of(session, case_id)
    record_look(session, principal, "case.read", "case", case_id, case.customer_id, at=at)
    return CaseFile(case, customer, accounts, assignment, placements)
