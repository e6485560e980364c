"""Queries of holds, disputes and complaints. Every read that answers a caller takes the caller's
scope as a SQL filter (:mod:`arrears.cases.scope`), so an object out of scope is not found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from arrears.auth.models import TeamLeader, User
from arrears.cases.models import Case, CaseAccount, CaseAssignment
from arrears.disputes.models import Complaint, ComplaintStatus, Dispute, DisputeStatus, Hold
from arrears.portfolio.models import Customer


def visible_customer(session: Session, customer_id: str, visible: ColumnElement[bool]) -> Customer | None:
    """The customer if ``visible`` (a filter on ``customers.customer_id``) lets the caller see them."""
    query = select(Customer).where(Customer.customer_id == customer_id, visible)
    return session.execute(query).scalar_one_or_none()


def visible_case(session: Session, case_id: str, visible: ColumnElement[bool]) -> Case | None:
    return session.execute(select(Case).where(Case.case_id == case_id, visible)).scalar_one_or_none()


def case_holds_account(session: Session, case_id: str, account_id: str) -> bool:
    query = select(CaseAccount.account_id).where(
        CaseAccount.case_id == case_id, CaseAccount.account_id == account_id
    )
    return session.execute(query).first() is not None


def add(session: Session, row: Hold | Dispute | Complaint) -> None:
    session.add(row)
    session.flush()


def visible_hold(session: Session, hold_id: int, visible: ColumnElement[bool]) -> Hold | None:
    """The hold if its customer is visible (``visible``: a filter on ``holds.customer_id``)."""
    return session.execute(select(Hold).where(Hold.id == hold_id, visible)).scalar_one_or_none()


def standing_hold(session: Session, customer_id: str, kind: str) -> Hold | None:
    """A hold of ``kind`` on the customer not lifted yet (the oldest), if any."""
    query = (
        select(Hold)
        .where(Hold.customer_id == customer_id, Hold.kind == kind, Hold.lifted_at.is_(None))
        .order_by(Hold.id)
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def holds_of(session: Session, customer_id: str, *, standing: bool | None) -> Sequence[Hold]:
    """The customer's holds, newest first (``standing``: only those not lifted, or only lifted)."""
    query = select(Hold).where(Hold.customer_id == customer_id)
    if standing is True:
        query = query.where(Hold.lifted_at.is_(None))
    elif standing is False:
        query = query.where(Hold.lifted_at.is_not(None))
    return session.execute(query.order_by(Hold.id.desc())).scalars().all()


def dispute_of_hold(session: Session, hold_id: int) -> Dispute | None:
    return session.execute(select(Dispute).where(Dispute.hold_id == hold_id)).scalar_one_or_none()


def visible_dispute(session: Session, dispute_id: int, visible: ColumnElement[bool]) -> Dispute | None:
    """The dispute if its case is visible (``visible``: a filter on ``cases``)."""
    query = (
        select(Dispute).join(Case, Case.case_id == Dispute.case_id).where(Dispute.id == dispute_id, visible)
    )
    return session.execute(query).scalar_one_or_none()


def disputes(
    session: Session,
    visible: ColumnElement[bool],
    *,
    case_id: str | None,
    status: str | None,
    overdue_on: date | None,
    before_id: int | None,
    limit: int,
) -> Sequence[Dispute]:
    """Disputes of the visible cases, newest first (``overdue_on``: open with ``verify_by`` before it)."""
    query = select(Dispute).join(Case, Case.case_id == Dispute.case_id).where(visible)
    if case_id is not None:
        query = query.where(Dispute.case_id == case_id)
    if status is not None:
        query = query.where(Dispute.status == status)
    if overdue_on is not None:
        query = query.where(Dispute.status == str(DisputeStatus.OPEN), Dispute.verify_by < overdue_on)
    if before_id is not None:
        query = query.where(Dispute.id < before_id)
    return session.execute(query.order_by(Dispute.id.desc()).limit(limit)).scalars().all()


def team_leader_of(session: Session, case_id: str) -> int | None:
    """An active leader of the team the case is currently assigned to (the one named first)."""
    query = (
        select(User.id)
        .join(TeamLeader, TeamLeader.user_id == User.id)
        .join(CaseAssignment, CaseAssignment.team_id == TeamLeader.team_id)
        .where(CaseAssignment.case_id == case_id, CaseAssignment.ended_at.is_(None), User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def visible_complaint(session: Session, complaint_id: int, visible: ColumnElement[bool]) -> Complaint | None:
    query = (
        select(Complaint)
        .join(Case, Case.case_id == Complaint.case_id)
        .where(Complaint.id == complaint_id, visible)
    )
    return session.execute(query).scalar_one_or_none()


def open_complaint_of_case(session: Session, case_id: str) -> int | None:
    """The oldest complaint on the case not closed (None: every one is closed)."""
    return session.scalar(
        select(Complaint.id)
        .where(Complaint.case_id == case_id, Complaint.status != ComplaintStatus.CLOSED)
        .order_by(Complaint.id)
        .limit(1)
    )


def complaints(
    session: Session,
    visible: ColumnElement[bool],
    *,
    owner_id: int | None,
    unowned: bool,
    case_id: str | None,
    status: str | None,
    overdue_on: date | None,
    before_id: int | None,
    limit: int,
) -> Sequence[Complaint]:
    """Complaints of the visible cases, newest first (``overdue_on``: open, with ``respond_by``
    before it; ``unowned``: the compliance officers' queue, no owner)."""
    query = select(Complaint).join(Case, Case.case_id == Complaint.case_id).where(visible)
    if owner_id is not None:
        query = query.where(Complaint.owner_id == owner_id)
    if unowned:
        query = query.where(Complaint.owner_id.is_(None))
    if case_id is not None:
        query = query.where(Complaint.case_id == case_id)
    if status is not None:
        query = query.where(Complaint.status == status)
    if overdue_on is not None:
        query = query.where(Complaint.status == str(ComplaintStatus.OPEN), Complaint.respond_by < overdue_on)
    if before_id is not None:
        query = query.where(Complaint.id < before_id)
    return session.execute(query.order_by(Complaint.id.desc()).limit(limit)).scalars().all()
