"""Queries of the work people do on cases: assignments, placements with agencies, field visits.

Module-level functions over the caller's ``Session``; none commits. Every lookup of a case, an
account or a placement on behalf of a person takes the caller's row scope as a SQL filter
(:mod:`arrears.cases.scope`), so an object out of scope is simply not found.

(Kept apart from :mod:`arrears.cases.repository`, which holds the nightly batch's bulk queries.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseAssignment, CaseStatus, FieldVisit, Placement
from arrears.portfolio.models import Account

# --- Cases and accounts, as the caller sees them. -------------------------------------------


def visible_case(session: Session, case_id: str, visible: ColumnElement[bool]) -> Case | None:
    """The case ``case_id`` if ``visible`` (a filter on ``cases``) lets the caller see it."""
    return session.execute(select(Case).where(Case.case_id == case_id, visible)).scalar_one_or_none()


def visible_cases(session: Session, case_ids: Sequence[str], visible: ColumnElement[bool]) -> dict[str, Case]:
    """The cases among ``case_ids`` the caller sees, by id."""
    rows = session.execute(select(Case).where(Case.case_id.in_(sorted(set(case_ids))), visible)).scalars()
    return {case.case_id: case for case in rows}


def visible_accounts(
    session: Session, account_ids: Sequence[str], visible: ColumnElement[bool], *, lock: bool = False
) -> dict[str, Account]:
    """The accounts among ``account_ids`` the caller sees (a filter on ``accounts.account_id``),
    locked against concurrent placements when ``lock`` (PostgreSQL; SQLite has one writer)."""
    query = select(Account).where(Account.account_id.in_(sorted(set(account_ids))), visible)
    if lock:
        query = query.with_for_update(of=Account)
    return {account.account_id: account for account in session.execute(query).scalars()}


# --- Assignments. ----------------------------------------------------------------------------


def unassigned_case_ids(session: Session, *, bucket: str | None, limit: int) -> list[str]:
    """Open cases without a current assignment (of ``bucket``), worst DPD first then case id."""
    current = select(CaseAssignment.case_id).where(CaseAssignment.ended_at.is_(None))
    query = select(Case.case_id).where(Case.status == CaseStatus.OPEN, Case.case_id.not_in(current))
    if bucket is not None:
        query = query.where(Case.bucket == bucket)
    return list(session.execute(query.order_by(Case.worst_dpd.desc(), Case.case_id).limit(limit)).scalars())


def current_assignments(session: Session, case_ids: Sequence[str]) -> dict[str, CaseAssignment]:
    """The current assignment of each of ``case_ids`` that has one."""
    rows = session.execute(
        select(CaseAssignment).where(
            CaseAssignment.case_id.in_(sorted(set(case_ids))), CaseAssignment.ended_at.is_(None)
        )
    ).scalars()
    return {row.case_id: row for row in rows}


def end_assignment(session: Session, assignment_id: int, at: datetime) -> bool:
    """End the assignment ``assignment_id`` at ``at`` if it is still current; False when another
    writer ended it first (the caller read a stale state)."""
    result = session.execute(
        update(CaseAssignment)
        .where(CaseAssignment.id == assignment_id, CaseAssignment.ended_at.is_(None))
        .values(ended_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def add_assignments(session: Session, rows: Sequence[CaseAssignment]) -> None:
    """Insert new current assignments (the unique index on current rows refuses a second one)."""
    session.add_all(rows)
    session.flush()


def assignment_history(
    session: Session, case_id: str, visible: ColumnElement[bool]
) -> list[CaseAssignment] | None:
    """Every assignment of a visible case, newest first; None when the case is not visible."""
    if visible_case(session, case_id, visible) is None:
        return None
    query = (
        select(CaseAssignment)
        .where(CaseAssignment.case_id == case_id)
        .order_by(CaseAssignment.assigned_at.desc(), CaseAssignment.id.desc())
    )
    return list(session.execute(query).scalars())


# --- Placements. -----------------------------------------------------------------------------


def overlapping_placements(
    session: Session, account_ids: Sequence[str], starts_on: date, ends_on: date, *, excluding: Sequence[int]
) -> list[Placement]:
    """Placements not recalled of ``account_ids`` whose dates overlap [starts_on, ends_on]."""
    query = select(Placement).where(
        Placement.account_id.in_(sorted(set(account_ids))),
        Placement.recalled_at.is_(None),
        Placement.starts_on <= ends_on,
        Placement.ends_on >= starts_on,
        Placement.id.not_in(list(excluding)),
    )
    return list(session.execute(query.order_by(Placement.account_id, Placement.id)).scalars())


def add_placements(session: Session, rows: Sequence[Placement]) -> None:
    session.add_all(rows)
    session.flush()


def visible_placement(session: Session, placement_id: int, visible: ColumnElement[bool]) -> Placement | None:
    """The placement if ``visible`` (a filter on ``placements.account_id``) lets the caller see it."""
    query = select(Placement).where(Placement.id == placement_id, visible)
    return session.execute(query).scalar_one_or_none()


def recall_placement(session: Session, placement_id: int, at: datetime, by: int, reason: str) -> bool:
    """Recall a placement still in force; False when it was recalled first by another writer."""
    result = session.execute(
        update(Placement)
        .where(Placement.id == placement_id, Placement.recalled_at.is_(None))
        .values(recalled_at=at, recalled_by=by, recall_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def list_placements(
    session: Session,
    visible: ColumnElement[bool],
    *,
    agency_id: int | None,
    account_id: str | None,
    active: ColumnElement[bool] | None,
    before_id: int | None,
    limit: int,
) -> list[Placement]:
    """Placements the caller sees, newest first (by id), after the cursor ``before_id``."""
    conditions: list[ColumnElement[bool]] = [visible]
    if agency_id is not None:
        conditions.append(Placement.agency_id == agency_id)
    if account_id is not None:
        conditions.append(Placement.account_id == account_id)
    if active is not None:
        conditions.append(active)
    if before_id is not None:
        conditions.append(Placement.id < before_id)
    query = select(Placement).where(and_(*conditions)).order_by(Placement.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def customer_of_account(session: Session, account_id: str) -> str | None:
    return session.execute(select(Account.customer_id).where(Account.account_id == account_id)).scalar()


# --- Field visits. ---------------------------------------------------------------------------


def add_visit(session: Session, visit: FieldVisit) -> FieldVisit:
    session.add(visit)
    session.flush()
    return visit


def visible_visit(session: Session, visit_id: int, visible: ColumnElement[bool]) -> FieldVisit | None:
    """The visit if its case is visible (``visible``: a filter on ``cases``)."""
    query = (
        select(FieldVisit)
        .join(Case, Case.case_id == FieldVisit.case_id)
        .where(FieldVisit.id == visit_id, visible)
    )
    return session.execute(query).scalar_one_or_none()


def set_visit_status(session: Session, visit_id: int, expected: str, status: str) -> bool:
    """Move a visit from ``expected`` to ``status``; False when another writer moved it first."""
    result = session.execute(
        update(FieldVisit)
        .where(FieldVisit.id == visit_id, FieldVisit.status == expected)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
