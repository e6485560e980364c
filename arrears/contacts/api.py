"""Routes of contacts under /api/v1: logging contacts through the compliance gate, their review,
callbacks, contact preferences and contact metrics (see docs/casework.md, "Contacts").

Thin: parse, declare the permission, call the services of :mod:`arrears.contacts` in the request's
transaction, render. A refusal by the gate is on the record although the request fails: those
routes commit what the service wrote before the error is answered.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from arrears.api.access import DatabaseSession, requires
from arrears.api.concurrency import IfMatch
from arrears.api.paging import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_cursor,
    now,
    page_of,
    problem_responses,
    today,
)
from arrears.api.problems import language_of
from arrears.audit.trail import record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import case_filter
from arrears.concurrency import etag, parse_if_match
from arrears.contacts import callbacks, preferences, service
from arrears.contacts import repository as contacts
from arrears.contacts.callbacks import CallbackDraft
from arrears.contacts.common import Gatekeeping, visible_case
from arrears.contacts.dispositions import dispositions
from arrears.contacts.gate import pack_of
from arrears.contacts.metrics import GroupBy, MetricsRow, contact_metrics
from arrears.contacts.models import CallbackStatus, Contact
from arrears.contacts.preferences import PreferenceDraft
from arrears.contacts.schemas import (
    MAX_ID,
    AttemptIn,
    CallbackIn,
    CallbackOut,
    CallbacksOut,
    ClearanceOut,
    ContactIn,
    ContactOut,
    ContactsOut,
    MetricsOut,
    MetricsRowOut,
    PreferenceIn,
    PreferenceOut,
    PreferencesOut,
    ReviewIn,
)
from arrears.portfolio import repository as portfolio
from arrears.portfolio.views import record_looks

router = APIRouter(tags=["contacts"])
COUNTED = ("attempts", "connected", "third_party", "right_party", "promises")
CONTACTS_CURSOR = "contacts"
REVIEW_CURSOR = "contact-review"

Logger = Annotated[Principal, Depends(requires(Permission.CONTACT_LOG))]
CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
CustomerReader = Annotated[Principal, Depends(requires(Permission.CUSTOMER_READ))]
Reviewer = Annotated[Principal, Depends(requires(Permission.CONTACT_REVIEW))]
Reporter = Annotated[Principal, Depends(requires(Permission.REPORT_READ))]
ContactId = Annotated[int, Path(ge=1, le=MAX_ID)]
CallbackId = Annotated[int, Path(ge=1, le=MAX_ID)]
PreferenceId = Annotated[int, Path(ge=1, le=MAX_ID)]


def gatekeeping(request: Request) -> Gatekeeping:
    context = request.app.state.context
    settings = context.settings
    return Gatekeeping(
        pack=pack_of(settings.compliance_pack, settings.compliance_policy),
        codes=dispositions(settings.dispositions),
        clock=context.clock,
        bank_timezone=settings.bank_timezone,
    )


def _out(session: Session, request: Request, principal: Principal, rows: list[Contact]) -> list[ContactOut]:
    codes = dispositions(request.app.state.context.settings.dispositions)
    language = language_of(request)
    points = {
        p.id: p
        for customer_id in {row.customer_id for row in rows}
        for p in portfolio.contact_points_of(session, customer_id)
    }
    return [ContactOut.of(row, principal, language, codes, points) for row in rows]


@router.post(
    "/cases/{case_id}/contacts",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Log a contact (an outbound one through the compliance gate)",
)
def log_contact(
    case_id: str, body: ContactIn, principal: Logger, session: DatabaseSession, request: Request
) -> ContactOut:
    """An outbound contact made now is put to the gate first: blocked, it is refused with 409
    ``contact_blocked`` (``rules``, ``reasons``, ``next_allowed_at`` in the problem) and the refusal
    is recorded. One made earlier (``after_the_fact``) is checked at its start and stored with its
    violations flagged for review; a flagged note too. ``callback_requested`` needs ``callback``."""
    draft = service.Draft(
        channel=body.channel.value,
        direction=body.direction.value,
        party=body.party.value,
        disposition=body.disposition,
        contact_point_id=body.contact_point_id,
        started_at=body.started_at,
        ended_at=body.ended_at,
        note=body.note,
        recording_uri=body.recording_uri,
        recording_sha256=None if body.recording_sha256 is None else body.recording_sha256.lower(),
        after_the_fact=body.after_the_fact,
        gate_decision_id=body.gate_decision_id,
    )
    agreed = (
        None
        if body.callback is None
        else CallbackDraft(body.callback.due_at, body.callback.contact_point_id, body.callback.note)
    )
    try:
        contact, callback = service.log_contact(
            session,
            principal,
            case_id,
            draft,
            ctx=gatekeeping(request),
            today=today(request),
            callback=agreed,
        )
    except service.ContactBlockedError:
        session.commit()  # the refusal (its contact row, the gate's decision, the audit entry) is kept
        raise
    codes = dispositions(request.app.state.context.settings.dispositions)
    points = {p.id: p for p in portfolio.contact_points_of(session, contact.customer_id)}
    return ContactOut.of(contact, principal, language_of(request), codes, points, callback)


@router.post(
    "/cases/{case_id}/contacts/attempts",
    response_model=ClearanceOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Ask the compliance gate before making a contact now",
)
def attempt(
    case_id: str, body: AttemptIn, principal: Logger, session: DatabaseSession, request: Request
) -> ClearanceOut:
    """Allowed: a clearance (``gate_decision_id``) to log the contact with, within 15 minutes.
    Blocked: 409 ``contact_blocked`` with the rule ids and ``next_allowed_at``; the refusal is
    recorded."""
    try:
        cleared = service.clear_attempt(
            session,
            principal,
            case_id,
            channel=body.channel.value,
            contact_point_id=body.contact_point_id,
            party=body.party.value,
            ctx=gatekeeping(request),
            today=today(request),
        )
    except service.ContactBlockedError:
        session.commit()
        raise
    return ClearanceOut(
        gate_decision_id=cleared.gate_decision_id,
        case_id=cleared.case_id,
        channel=cleared.channel,
        contact_point_id=cleared.contact_point_id,
        decided_at=cleared.decided_at,
        expires_at=cleared.expires_at,
    )


@router.get(
    "/cases/{case_id}/contacts",
    response_model=ContactsOut,
    responses=problem_responses(400, 403, 404),
    summary="The contacts of a case, newest first",
)
def case_contacts(
    case_id: str,
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ContactsOut:
    """Contact points masked as the caller's role requires; the look is audited (contact.read)."""
    case = visible_case(session, principal, case_id, today(request))
    before = decode_cursor(cursor, CONTACTS_CURSOR, str, int)
    rows = contacts.case_contacts(
        session,
        case_id,
        before=None if before is None else (datetime.fromisoformat(before[0]), before[1]),
        limit=limit + 1,
    )
    page, following = page_of(rows, limit, CONTACTS_CURSOR, lambda r: (r.started_at.isoformat(), r.id))
    answer = ContactsOut(contacts=_out(session, request, principal, page), next_cursor=following)
    record(
        session,
        principal.actor(),
        "contact.read",
        at=now(request),
        object_type="case",
        object_id=case_id,
        customer_id=case.customer_id,
    )
    return answer


@router.get(
    "/contacts/review",
    response_model=ContactsOut,
    responses=problem_responses(400, 403),
    summary="The compliance review list: flagged contacts and notes, oldest first",
)
def review_list(
    principal: Reviewer,
    session: DatabaseSession,
    request: Request,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ContactsOut:
    """Contacts recorded after the fact with violations, flagged notes, and gate verdicts of
    review, waiting for a compliance officer; each customer's look audited (contact.read)."""
    after = decode_cursor(cursor, REVIEW_CURSOR, str, int)
    rows = contacts.review_list(
        session,
        case_filter(principal, today(request)),
        after=None if after is None else (datetime.fromisoformat(after[0]), after[1]),
        limit=limit + 1,
    )
    page, following = page_of(rows, limit, REVIEW_CURSOR, lambda r: (r.recorded_at.isoformat(), r.id))
    answer = ContactsOut(contacts=_out(session, request, principal, page), next_cursor=following)
    record_looks(
        session,
        principal,
        "contact.read",
        "contact_review",
        (row.customer_id for row in page),
        at=now(request),
    )
    return answer


@router.post(
    "/contacts/{contact_id}/review",
    response_model=ContactOut,
    responses=problem_responses(400, 403, 404, 409),
    summary="Close the compliance review of a flagged contact",
)
def review(
    contact_id: ContactId, body: ReviewIn, principal: Reviewer, session: DatabaseSession, request: Request
) -> ContactOut:
    """Once per flagged contact: a contact not waiting for review is 409 ``contact_not_pending``
    (also the second of two reviewers racing). Audited (contact.review)."""
    row = service.review(
        session, principal, contact_id, body.outcome, body.note, now=now(request), today=today(request)
    )
    return _out(session, request, principal, [row])[0]


# --- Callbacks. ---------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/callbacks",
    response_model=CallbackOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Schedule a callback in an allowed window",
)
def schedule_callback(
    case_id: str,
    body: CallbackIn,
    principal: Logger,
    session: DatabaseSession,
    request: Request,
    response: Response,
) -> CallbackOut:
    """The gate is asked about a call at ``due_at``: refused, 409 ``callback_not_allowed`` with the
    rule ids and the next allowed time."""
    row = callbacks.schedule(
        session,
        principal,
        case_id,
        CallbackDraft(body.due_at, body.contact_point_id, body.note),
        ctx=gatekeeping(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(row.version)
    return CallbackOut.of(row)


@router.get(
    "/cases/{case_id}/callbacks",
    response_model=CallbacksOut,
    responses=problem_responses(403, 404),
    summary="The callbacks of a case, soonest first",
)
def case_callbacks(
    case_id: str,
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
    status_: Annotated[CallbackStatus | None, Query(alias="status", description="Only these")] = None,
) -> CallbacksOut:
    rows = callbacks.listing(
        session, principal, case_id, status=None if status_ is None else status_.value, today=today(request)
    )
    return CallbacksOut(case_id=case_id, callbacks=[CallbackOut.of(row) for row in rows])


def _close(
    callback_id: int,
    to: CallbackStatus,
    principal: Principal,
    session: Session,
    request: Request,
    response: Response,
    if_match: str | None,
) -> CallbackOut:
    row = callbacks.close(
        session,
        principal,
        callback_id,
        to,
        expected=parse_if_match(if_match),
        now=now(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(row.version)
    return CallbackOut.of(row)


@router.post(
    "/callbacks/{callback_id}/done",
    response_model=CallbackOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Mark a callback done",
)
def callback_done(
    callback_id: CallbackId,
    principal: Logger,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> CallbackOut:
    """Only an open callback (409 ``callback_closed``); a stale If-Match is 412."""
    return _close(callback_id, CallbackStatus.DONE, principal, session, request, response, if_match)


@router.post(
    "/callbacks/{callback_id}/cancel",
    response_model=CallbackOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Cancel a callback",
)
def callback_cancel(
    callback_id: CallbackId,
    principal: Logger,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> CallbackOut:
    """Only an open callback (409 ``callback_closed``); a stale If-Match is 412."""
    return _close(callback_id, CallbackStatus.CANCELLED, principal, session, request, response, if_match)


# --- Contact preferences. -----------------------------------------------------------------------


@router.post(
    "/customers/{customer_id}/contact-preferences",
    response_model=PreferenceOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404),
    summary="Record what the customer asked of contact",
)
def record_preference(
    customer_id: str, body: PreferenceIn, principal: Logger, session: DatabaseSession, request: Request
) -> PreferenceOut:
    """A consent (window and until), an inconvenient time (window), an opt-out (channel, contact
    point) or a contact person's refusal (contact point); the gate reads them from now on."""
    row = preferences.record_preference(
        session,
        principal,
        customer_id,
        PreferenceDraft(
            kind=body.kind,
            channel=None if body.channel is None else body.channel.value,
            contact_point_id=body.contact_point_id,
            window_start=None if body.window is None else body.window.start,
            window_end=None if body.window is None else body.window.end,
            until=body.until,
            contact_id=body.contact_id,
        ),
        now=now(request),
        today=today(request),
    )
    return PreferenceOut.of(row)


@router.get(
    "/customers/{customer_id}/contact-preferences",
    response_model=PreferencesOut,
    responses=problem_responses(403, 404),
    summary="What the customer asked of contact, newest first",
)
def customer_preferences(
    customer_id: str,
    principal: CustomerReader,
    session: DatabaseSession,
    request: Request,
    standing: Annotated[bool, Query(description="Only those not withdrawn")] = False,
) -> PreferencesOut:
    rows = preferences.listing(session, principal, customer_id, standing_only=standing, today=today(request))
    return PreferencesOut(customer_id=customer_id, preferences=[PreferenceOut.of(row) for row in rows])


@router.delete(
    "/customers/{customer_id}/contact-preferences/{preference_id}",
    response_model=PreferenceOut,
    responses=problem_responses(403, 404, 409),
    summary="Withdraw a contact preference",
)
def withdraw_preference(
    customer_id: str,
    preference_id: PreferenceId,
    principal: Logger,
    session: DatabaseSession,
    request: Request,
) -> PreferenceOut:
    """Kept, with its ``withdrawn_at``: the gate reads it as it stood before. Withdrawn already: 409."""
    row = preferences.withdraw(
        session, principal, customer_id, preference_id, now=now(request), today=today(request)
    )
    return PreferenceOut.of(row)


# --- Metrics. -----------------------------------------------------------------------------------


@router.get(
    "/contacts/metrics",
    response_model=MetricsOut,
    response_model_by_alias=True,
    responses=problem_responses(400, 403),
    summary="Contact rate, right-party-contact rate and promise rate per collector, team and day",
)
def metrics(
    principal: Reporter,
    session: DatabaseSession,
    request: Request,
    first: Annotated[date, Query(alias="from", description="First business day")],
    last: Annotated[date, Query(alias="to", description="Last business day (at most 366 days)")],
    team_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    group_by: Annotated[GroupBy, Query(description="collector, team or day")] = GroupBy.COLLECTOR,
) -> MetricsOut:
    """Counted from the disposition codes' ``counts_as`` over outbound contacts, on the contacts the
    caller may report on (a supervisor: those of the teams they lead)."""
    rows = contact_metrics(
        session,
        principal,
        dispositions(request.app.state.context.settings.dispositions),
        first=first,
        last=last,
        team_id=team_id,
        group_by=group_by,
        today=today(request),
    )
    total = MetricsRow(
        None,
        team_id,
        None,
        *(sum(getattr(r, name) for r in rows) for name in COUNTED),
    )
    return MetricsOut(
        first=first,
        last=last,
        group_by=group_by,
        rows=[MetricsRowOut.of(r) for r in rows],
        total=MetricsRowOut.of(total),
    )
