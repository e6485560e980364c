"""Callbacks: a call the collector owes the customer at an agreed time.

The rules:
- the time is in the future and in an allowed window: the gate is asked about a call to the
  contact point at ``due_at`` (its decision recorded); blocked, the callback is refused at once
  (:class:`CallbackBlockedError`, 409, with the rule ids and the next allowed time) and nothing is kept;
- only an open callback is marked done or cancelled (409 ``callback_closed`` otherwise); the caller
  names the version they read (``If-Match``): a stale one is 412, a race lost 409;
- every write is audited.

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from arrears.audit.trail import record
from arrears.auth.masking import scrub
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.models import Case, CaseStatus
from arrears.cases.scope import case_filter
from arrears.compliance.decision import Verdict
from arrears.concurrency import check_version
from arrears.contacts import repository
from arrears.contacts.common import CaseClosedError, Gatekeeping, GateRefusalError, visible_case
from arrears.contacts.gate import check_contact
from arrears.contacts.models import Callback, CallbackStatus, Channel
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.portfolio import repository as portfolio

MAX_NOTE = 500
# a callback is agreed for the coming days; further ahead is a promise, a plan or a hold
FURTHEST_AHEAD = timedelta(days=90)


class CallbackBlockedError(GateRefusalError):
    """The gate would refuse a call at the time asked: choose another (``next_allowed_at``)."""

    code = "callback_not_allowed"
    refused = N_("A call at that time is not allowed ({rules})")
    refused_until = N_(
        "A call at that time is not allowed ({rules}); the next allowed time is {next_allowed_at}"
    )


class CallbackNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No callback {callback_id}")


class CallbackClosedError(ConflictError):
    code = "callback_closed"
    default_message = N_("Callback {callback_id} is {status}: only an open callback is closed")


@dataclass(frozen=True)
class CallbackDraft:
    due_at: datetime
    contact_point_id: int
    note: str | None = None


def schedule(
    session: Session,
    principal: Principal,
    case_id: str,
    draft: CallbackDraft,
    *,
    ctx: Gatekeeping,
    today: date,
    contact_id: int | None = None,
) -> Callback:
    """Schedule a callback on a visible case, at a time the gate allows."""
    principal.require(Permission.CONTACT_LOG)
    return schedule_on(
        session,
        principal,
        visible_case(session, principal, case_id, today),
        draft,
        ctx=ctx,
        contact_id=contact_id,
    )


def schedule_on(
    session: Session,
    principal: Principal,
    case: Case,
    draft: CallbackDraft,
    *,
    ctx: Gatekeeping,
    contact_id: int | None = None,
) -> Callback:
    """Schedule a callback on ``case`` (already found in the caller's scope)."""
    now = ctx.clock.now()
    if case.status != CaseStatus.OPEN:
        raise CaseClosedError(case_id=case.case_id)
    if draft.due_at <= now:
        raise InvalidInputError(N_("due_at ({due_at}) is not in the future"), due_at=draft.due_at.isoformat())
    if draft.due_at > now + FURTHEST_AHEAD:
        raise InvalidInputError(
            N_("due_at ({due_at}) is more than {days} days ahead"),
            due_at=draft.due_at.isoformat(),
            days=FURTHEST_AHEAD.days,
        )
    if portfolio.contact_point_of(session, case.customer_id, draft.contact_point_id) is None:
        raise InvalidInputError(
            N_("Contact point {contact_point_id} is not one of the customer's"),
            contact_point_id=draft.contact_point_id,
        )
    if draft.note is not None and len(draft.note) > MAX_NOTE:
        raise InvalidInputError(N_("A note has at most {maximum} characters"), maximum=MAX_NOTE)
    checked = check_contact(
        session,
        customer_id=case.customer_id,
        channel=Channel.CALL,
        contact_point_id=draft.contact_point_id,
        at=draft.due_at,
        pack=ctx.pack,
        clock=ctx.clock,
        requested_by=f"callback:{principal.role}:{principal.user_id}",
        codes=ctx.codes,
    )
    if checked.decision.verdict is Verdict.BLOCK:
        raise CallbackBlockedError(checked.decision, gate_decision_id=None)
    callback = repository.add_callback(
        session,
        Callback(
            case_id=case.case_id,
            contact_point_id=draft.contact_point_id,
            due_at=draft.due_at,
            status=CallbackStatus.OPEN,
            contact_id=contact_id,
            note=None if draft.note is None else scrub(draft.note.strip()) or None,
            created_at=now,
            created_by=principal.user_id,
        ),
    )
    record(
        session,
        principal.actor(),
        "callback.schedule",
        at=now,
        object_type="callback",
        object_id=str(callback.id),
        customer_id=case.customer_id,
        after=shown(callback) | {"gate_decision_id": checked.decision_id},
    )
    return callback


def listing(
    session: Session, principal: Principal, case_id: str, *, status: str | None, today: date
) -> list[Callback]:
    visible_case(session, principal, case_id, today)
    return repository.case_callbacks(session, case_id, status=status)


def close(
    session: Session,
    principal: Principal,
    callback_id: int,
    status: CallbackStatus,
    *,
    expected: int | None,
    now: datetime,
    today: date,
) -> Callback:
    """Mark an open callback done or cancelled (``expected``: the version the caller read)."""
    principal.require(Permission.CONTACT_LOG)
    found = repository.visible_callback(session, callback_id, case_filter(principal, today))
    if found is None:
        raise CallbackNotFoundError(callback_id=callback_id)
    callback, customer_id = found
    check_version(callback, expected, N_("callback"), callback_id)
    if callback.status != CallbackStatus.OPEN:
        raise CallbackClosedError(callback_id=callback_id, status=callback.status)
    before = shown(callback)
    callback.status = status.value
    callback.closed_at = now
    session.flush()  # the versioned UPDATE: a concurrent close makes this one fail (409)
    record(
        session,
        principal.actor(),
        f"callback.{'done' if status is CallbackStatus.DONE else 'cancel'}",
        at=now,
        object_type="callback",
        object_id=str(callback_id),
        customer_id=customer_id,
        before=before,
        after=shown(callback),
    )
    return callback


def shown(callback: Callback) -> dict[str, object]:
    return {
        "case_id": callback.case_id,
        "contact_point_id": callback.contact_point_id,
        "due_at": callback.due_at,
        "status": callback.status,
        "version": callback.version,
    }
