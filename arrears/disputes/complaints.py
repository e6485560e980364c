"""Complaints about conduct: an owner, a response deadline, open → responded → closed.

The rules:
- recorded on a case the caller sees (``hold.record``; else not found) with a category, a
  description, and optionally whose conduct (``about_user_id``, an existing user) and the contact
  it is about (a contact of that case);
- its owner: an active leader of the team the case is assigned to (the first by id); none when the
  case has no team or the team no active leader: then it waits in the compliance officers' queue
  (``GET /complaints?owner=none``) until assigned. Never the person complained about;
- its response deadline: ``ARREARS_COMPLAINT_RESPOND_DAYS`` (15) calendar days after the bank's
  business day of receipt; an open complaint past it is overdue;
- ``complaint.handle``: assign (open or responded; the new owner an active user whose role
  handles complaints, not the person complained about), respond (open → responded, the answer
  given to the customer), close (responded → closed, final: 409 ``complaint_closed``);
- ``If-Match`` names the version read (stale: 412); a lost race: 409; every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from arrears.auth import repository as people
from arrears.auth.permissions import Permission, Role, allows
from arrears.auth.principal import Principal
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError, UserNotEligibleError
from arrears.concurrency import check_version
from arrears.disputes import repository
from arrears.disputes.models import Complaint, ComplaintStatus
from arrears.disputes.texts import audit, checked_reason, checked_text
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_, Text


class ComplaintCategory(StrEnum):
    CONDUCT = "conduct"
    """Rudeness, pressure, misleading statements."""
    HARASSMENT = "harassment"
    """Too many contacts, at the wrong hours, threats."""
    THIRD_PARTY = "third_party"
    """The debt disclosed to, or pursued through, someone else."""
    PRIVACY = "privacy"
    """Personal data misused."""
    CHARGES = "charges"
    """Fees, interest or the amount asked."""
    SERVICE = "service"
    """Anything else about how the bank served the customer."""
    OTHER = "other"


_CONTACTS = table("contacts", column("id"), column("case_id"))
"""The contacts table by its shape: the complaint checks its contact is one of the case's (the
layer table lets contacts import disputes, not the reverse)."""


class ComplaintNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No complaint {complaint_id}")


class ComplaintStateError(ConflictError):
    code = "complaint_state"
    default_message = N_("Complaint {complaint_id} is {status}: it cannot be {action} now")


class ComplaintClosedError(ComplaintStateError):
    code = "complaint_closed"
    default_message = N_("Complaint {complaint_id} is closed: a closed complaint stays closed")


def record_complaint(
    session: Session,
    principal: Principal,
    case_id: str,
    *,
    category: str,
    description: str,
    about_user_id: int | None,
    contact_id: int | None,
    respond_days: int,
    now: datetime,
    today: date,
) -> Complaint:
    principal.require(Permission.DISPUTE_RAISE)
    if category not in set(ComplaintCategory):
        raise InvalidInputError(
            N_("A complaint's category is one of {categories}"), categories=", ".join(ComplaintCategory)
        )
    description = checked_text(description, N_("description"))
    case = repository.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError(case_id=case_id)
    if about_user_id is not None and people.user_by_id(session, about_user_id) is None:
        raise InvalidInputError(N_("No user {user_id}"), user_id=about_user_id)
    if contact_id is not None:
        found = session.execute(
            select(_CONTACTS.c.id).where(_CONTACTS.c.id == contact_id, _CONTACTS.c.case_id == case_id)
        ).first()
        if found is None:
            raise InvalidInputError(
                N_("Contact {contact_id} is not one of case {case_id}"),
                contact_id=contact_id,
                case_id=case_id,
            )
    owner = repository.team_leader_of(session, case_id)
    complaint = Complaint(
        case_id=case_id,
        customer_id=case.customer_id,
        category=category,
        description=description,
        about_user_id=about_user_id,
        contact_id=contact_id,
        status=str(ComplaintStatus.OPEN),
        owner_id=None if owner == about_user_id else owner,
        respond_by=today + timedelta(days=respond_days),
        received_at=now,
        recorded_by=principal.user_id,
    )
    repository.add(session, complaint)
    audit(
        session,
        principal,
        "complaint.record",
        complaint_id=complaint.id,
        customer_id=case.customer_id,
        at=now,
        after=shown(complaint),
    )
    return complaint


def assign(
    session: Session,
    principal: Principal,
    complaint_id: int,
    *,
    owner_id: int,
    reason: str,
    expected: int | None,
    now: datetime,
    today: date,
) -> Complaint:
    principal.require(Permission.COMPLAINT_HANDLE)
    reason = checked_reason(reason)
    complaint = _found(session, principal, complaint_id, expected, today)
    if complaint.status == ComplaintStatus.CLOSED:
        raise ComplaintClosedError(complaint_id=complaint_id)
    owner = people.user_by_id(session, owner_id)
    if (
        owner is None
        or not owner.active
        or not allows(Role(owner.role), Permission.COMPLAINT_HANDLE)
        or owner_id == complaint.about_user_id
    ):
        raise UserNotEligibleError(
            N_("User {user_id} cannot own this complaint (not a handler, inactive, or complained about)"),
            user_id=owner_id,
        )
    before = shown(complaint)
    complaint.owner_id = owner_id
    return _changed(session, principal, complaint, "complaint.assign", before, reason, now)


def respond(
    session: Session,
    principal: Principal,
    complaint_id: int,
    *,
    response: str,
    expected: int | None,
    now: datetime,
    today: date,
) -> Complaint:
    principal.require(Permission.COMPLAINT_HANDLE)
    response = checked_text(response, N_("response"))
    complaint = _found(session, principal, complaint_id, expected, today)
    _require_status(complaint, ComplaintStatus.OPEN, N_("answered"))
    before = shown(complaint)
    complaint.status = str(ComplaintStatus.RESPONDED)
    complaint.response = response
    complaint.responded_at = now
    if complaint.owner_id is None:
        complaint.owner_id = principal.user_id
    return _changed(session, principal, complaint, "complaint.respond", before, response[:500], now)


def close(
    session: Session,
    principal: Principal,
    complaint_id: int,
    *,
    reason: str,
    expected: int | None,
    now: datetime,
    today: date,
) -> Complaint:
    principal.require(Permission.COMPLAINT_HANDLE)
    reason = checked_reason(reason)
    complaint = _found(session, principal, complaint_id, expected, today)
    _require_status(complaint, ComplaintStatus.RESPONDED, N_("closed before it is answered"))
    before = shown(complaint)
    complaint.status = str(ComplaintStatus.CLOSED)
    complaint.closed_at = now
    return _changed(session, principal, complaint, "complaint.close", before, reason, now)


def _found(
    session: Session, principal: Principal, complaint_id: int, expected: int | None, today: date
) -> Complaint:
    complaint = repository.visible_complaint(session, complaint_id, case_filter(principal, today))
    if complaint is None:
        raise ComplaintNotFoundError(complaint_id=complaint_id)
    check_version(complaint, expected, N_("complaint"), complaint_id)
    return complaint


def _require_status(complaint: Complaint, wanted: ComplaintStatus, action: str) -> None:
    if complaint.status == ComplaintStatus.CLOSED:
        raise ComplaintClosedError(complaint_id=complaint.id)
    if complaint.status != wanted:
        raise ComplaintStateError(complaint_id=complaint.id, status=complaint.status, action=Text.of(action))


def _changed(
    session: Session,
    principal: Principal,
    complaint: Complaint,
    action: str,
    before: dict[str, object],
    reason: str,
    now: datetime,
) -> Complaint:
    session.flush()
    audit(
        session,
        principal,
        action,
        complaint_id=complaint.id,
        customer_id=complaint.customer_id,
        at=now,
        before=before,
        after=shown(complaint),
        reason=reason,
    )
    return complaint


def listing(
    session: Session,
    principal: Principal,
    *,
    today: date,
    owner: str | None,
    case_id: str | None,
    status: str | None,
    overdue: bool,
    before_id: int | None,
    limit: int,
) -> Sequence[Complaint]:
    """Complaints of the cases the caller sees, newest first. ``owner``: ``me``, ``none`` (the
    compliance officers' queue) or a user id."""
    principal.require(Permission.COMPLAINT_HANDLE)
    owner_id: int | None = None
    if owner == "me":
        owner_id = principal.user_id
    elif owner not in (None, "none"):
        if not (owner.isascii() and owner.isdigit() and len(owner) <= 9):
            raise InvalidInputError(N_("owner is me, none or a user id, not {owner}"), owner=owner[:40])
        owner_id = int(owner)
    return repository.complaints(
        session,
        case_filter(principal, today),
        owner_id=owner_id,
        unowned=owner == "none",
        case_id=case_id,
        status=status,
        overdue_on=today if overdue else None,
        before_id=before_id,
        limit=limit,
    )


def read(session: Session, principal: Principal, complaint_id: int, *, today: date) -> Complaint:
    principal.require(Permission.COMPLAINT_HANDLE)
    return _found(session, principal, complaint_id, None, today)


def shown(complaint: Complaint) -> dict[str, object]:
    return {
        "case_id": complaint.case_id,
        "category": complaint.category,
        "status": complaint.status,
        "owner_id": complaint.owner_id,
        "about_user_id": complaint.about_user_id,
        "contact_id": complaint.contact_id,
        "respond_by": complaint.respond_by.isoformat(),
        "response": complaint.response,
    }
