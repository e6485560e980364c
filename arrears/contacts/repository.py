"""Queries of the contacts context: contacts, callbacks, contact preferences.

Module-level functions over the caller's ``Session``; none commits. A look-up on behalf of a person
takes the caller's row scope as a SQL filter (``visible``, from :mod:`arrears.cases.scope`), so an
object out of scope is simply not found. The one insert of a contact is ``add_contact``, called only
by :func:`arrears.contacts.service.record_contact` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.contacts.models import (
    Callback,
    CallbackStatus,
    CallTask,
    CallTaskStatus,
    Contact,
    ContactPreference,
    ReviewStatus,
)

# --- Gate decisions and contacts. ---------------------------------------------------------------


def decision_used(session: Session, decision_id: int) -> bool:
    return session.scalar(select(Contact.id).where(Contact.gate_decision_id == decision_id)) is not None


def add_contact(session: Session, contact: Contact) -> Contact:
    session.add(contact)
    session.flush()
    return contact


def case_contacts(
    session: Session, case_id: str, *, before: tuple[datetime, int] | None, limit: int
) -> list[Contact]:
    """The contacts of a case, newest first (started_at, id), after the cursor ``before``."""
    query = select(Contact).where(Contact.case_id == case_id)
    if before is not None:
        at, ident = before
        query = query.where(or_(Contact.started_at < at, and_(Contact.started_at == at, Contact.id < ident)))
    query = query.order_by(Contact.started_at.desc(), Contact.id.desc()).limit(limit)
    return list(session.scalars(query))


def review_list(
    session: Session, visible: ColumnElement[bool], *, after: tuple[datetime, int] | None, limit: int
) -> list[Contact]:
    """Contacts waiting for compliance review, oldest recorded first, on the cases ``visible``."""
    query = (
        select(Contact)
        .join(Case, Case.case_id == Contact.case_id)
        .where(Contact.review_status == ReviewStatus.PENDING, visible)
    )
    if after is not None:
        at, ident = after
        query = query.where(
            or_(Contact.recorded_at > at, and_(Contact.recorded_at == at, Contact.id > ident))
        )
    query = query.order_by(Contact.recorded_at, Contact.id).limit(limit)
    return list(session.scalars(query))


def visible_contact(session: Session, contact_id: int, visible: ColumnElement[bool]) -> Contact | None:
    return session.execute(
        select(Contact).join(Case, Case.case_id == Contact.case_id).where(Contact.id == contact_id, visible)
    ).scalar_one_or_none()


def close_review(
    session: Session, contact_id: int, *, outcome: str, note: str | None, at: datetime, by: int
) -> bool:
    """Mark a pending contact reviewed; False when it is no longer pending (another reviewer won)."""
    result = session.execute(
        update(Contact)
        .where(Contact.id == contact_id, Contact.review_status == ReviewStatus.PENDING)
        .values(
            review_status=ReviewStatus.REVIEWED,
            review_outcome=outcome,
            review_note=note,
            reviewed_at=at,
            reviewed_by=by,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


# --- Callbacks. ---------------------------------------------------------------------------------


def add_callback(session: Session, callback: Callback) -> Callback:
    session.add(callback)
    session.flush()
    return callback


def case_callbacks(session: Session, case_id: str, *, status: str | None) -> list[Callback]:
    """The callbacks of a case, soonest due first."""
    query = select(Callback).where(Callback.case_id == case_id)
    if status is not None:
        query = query.where(Callback.status == status)
    return list(session.scalars(query.order_by(Callback.due_at, Callback.id)))


def visible_callback(
    session: Session, callback_id: int, visible: ColumnElement[bool]
) -> tuple[Callback, str] | None:
    """The callback, with its case's customer, if the caller sees the case."""
    found = session.execute(
        select(Callback, Case.customer_id)
        .join(Case, Case.case_id == Callback.case_id)
        .where(Callback.id == callback_id, visible)
    ).first()
    return None if found is None else (found[0], found[1])


def open_callbacks_due(session: Session, case_ids: Sequence[str], until: datetime) -> list[Callback]:
    """Open callbacks of ``case_ids`` due by ``until`` (for the queues' priority)."""
    return list(
        session.scalars(
            select(Callback).where(
                Callback.case_id.in_(sorted(set(case_ids))),
                Callback.status == CallbackStatus.OPEN,
                Callback.due_at <= until,
            )
        )
    )


# --- Contact preferences. -----------------------------------------------------------------------


def add_preference(session: Session, preference: ContactPreference) -> ContactPreference:
    session.add(preference)
    session.flush()
    return preference


def customer_preferences(
    session: Session, customer_id: str, *, standing_only: bool
) -> list[ContactPreference]:
    """What the customer asked, newest first (only those not withdrawn when ``standing_only``)."""
    query = select(ContactPreference).where(ContactPreference.customer_id == customer_id)
    if standing_only:
        query = query.where(ContactPreference.withdrawn_at.is_(None))
    return list(
        session.scalars(query.order_by(ContactPreference.recorded_at.desc(), ContactPreference.id.desc()))
    )


def preference_of(session: Session, customer_id: str, preference_id: int) -> ContactPreference | None:
    return session.execute(
        select(ContactPreference).where(
            ContactPreference.id == preference_id, ContactPreference.customer_id == customer_id
        )
    ).scalar_one_or_none()


def withdraw_preference(session: Session, preference_id: int, at: datetime) -> bool:
    """Withdraw a standing preference; False when it was withdrawn already (another writer won)."""
    result = session.execute(
        update(ContactPreference)
        .where(ContactPreference.id == preference_id, ContactPreference.withdrawn_at.is_(None))
        .values(withdrawn_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def open_call_task(session: Session, case_id: str, day: date) -> CallTask | None:
    """The case's open call task of ``day`` (the earliest window first), locked for the update."""
    return session.scalars(
        select(CallTask)
        .where(
            CallTask.case_id == case_id, CallTask.due_on == day, CallTask.status == str(CallTaskStatus.OPEN)
        )
        .order_by(CallTask.window_start, CallTask.id)
        .limit(1)
        .with_for_update()
    ).first()
