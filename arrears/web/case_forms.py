"""The collector's case forms (issue #14 §2): log a contact, take a promise, propose a plan (with
its calculator) or a settlement, record a dispute, a complaint or a hold, schedule a callback, and
reveal a masked personal field with a reason.

Each form is its own small page under ``/cases/{case_id}/…``, opened from the case page's action
bar (or its key: ``c``, ``p``, …). Thin like the API's routes: each declares its access with a page
twin, parses its form fields (a mistake is a message on the form, never a 500), calls **the same
service function as the API route** in the request's unit of work, and answers 303 to the case
page (post/redirect/get). A refusal by a service (a 4xx domain error: the gate in quiet hours, a
limit, a standing hold) re-renders the form with the refusal in words and the typed values; what
the service wrote before it refused is undone (a savepoint), except a gate's refusal of a contact,
which stays on the record as the API keeps it. A case out of the reader's scope is the services'
404, shown as a page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from arrears import idempotency
from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now, today
from arrears.arrangements import plans, promises
from arrears.arrangements.limits import load_limits
from arrears.arrangements.plans import PlanRequest, SettlementRequest, Terms
from arrears.arrangements.schedule import Frequency, Method
from arrears.auth.permissions import ROLE_NAMES, Permission, PersonalField
from arrears.auth.principal import Principal
from arrears.auth.service import new_secret
from arrears.cases import views
from arrears.cases.scope import customer_filter
from arrears.clock import zone
from arrears.contacts import callbacks
from arrears.contacts import service as contacts
from arrears.contacts.api import gatekeeping
from arrears.contacts.callbacks import CallbackDraft
from arrears.contacts.dispositions import REFUSED_BY_GATE, dispositions
from arrears.contacts.models import Channel, Direction, Party
from arrears.disputes import complaints, disputes, holds
from arrears.disputes.complaints import ComplaintCategory
from arrears.disputes.disputes import DisputeKind
from arrears.disputes.holds import PLACED_BY_HAND
from arrears.errors import ArrearsError, InvalidInputError, NotFoundError
from arrears.i18n import N_, translate
from arrears.money import parse_major
from arrears.portfolio import repository as portfolio
from arrears.portfolio import reveal
from arrears.portfolio.models import ContactPoint, Customer
from arrears.portfolio.views import contact_card, contact_field
from arrears.scoring import repository as scoring
from arrears.scoring.reasons import Reason, phrase
from arrears.timeline.service import word
from arrears.web import form_values, once, render

router = APIRouter(include_in_schema=False)

Logger = Annotated[Principal, Depends(page_requires(Permission.CONTACT_LOG))]
Taker = Annotated[Principal, Depends(page_requires(Permission.PROMISE_TAKE))]
Proposer = Annotated[Principal, Depends(page_requires(Permission.ARRANGEMENT_PROPOSE))]
Recorder = Annotated[Principal, Depends(page_requires(Permission.HOLD_RECORD))]
CustomerReader = Annotated[Principal, Depends(page_requires(Permission.CUSTOMER_READ))]
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=100)]
Rows = Annotated[list[str], Form(max_length=40)]
T = TypeVar("T")

INSTALLMENT_ROWS = 3
"""The installment rows of the promise form (blank rows are left out)."""
CONTACT_CHANNELS = (Channel.CALL, Channel.SMS, Channel.EMAIL, Channel.WECHAT, Channel.VISIT, Channel.LETTER)


@dataclass(frozen=True)
class Action:
    """One form of the case page's action bar: its address part, words, key and permission."""

    form: str
    label: str
    key: str
    permission: Permission
    done: str
    """The notice on the case page after it succeeded."""


ACTIONS = (
    Action("contact", N_("Log a contact"), "c", Permission.CONTACT_LOG, N_("The contact is logged.")),
    Action("promise", N_("Take a promise"), "p", Permission.PROMISE_TAKE, N_("The promise is taken.")),
    Action("plan", N_("Propose a plan"), "l", Permission.ARRANGEMENT_PROPOSE, N_("The plan is proposed.")),
    Action(
        "settlement",
        N_("Propose a settlement"),
        "s",
        Permission.ARRANGEMENT_PROPOSE,
        N_("The settlement is proposed."),
    ),
    Action(
        "callback", N_("Schedule a callback"), "b", Permission.CONTACT_LOG, N_("The callback is scheduled.")
    ),
    Action("dispute", N_("Record a dispute"), "d", Permission.HOLD_RECORD, N_("The dispute is recorded.")),
    Action(
        "complaint", N_("Record a complaint"), "m", Permission.HOLD_RECORD, N_("The complaint is recorded.")
    ),
    Action("hold", N_("Place a hold"), "h", Permission.HOLD_RECORD, N_("The hold is placed.")),
)
BY_FORM = {action.form: action for action in ACTIONS}
REVEAL_REASONS = {
    reveal.RevealReason.IDENTITY_CHECK: N_("Confirming who the customer is"),
    reveal.RevealReason.CONTACT_ATTEMPT: N_("Calling, writing to or visiting the customer"),
    reveal.RevealReason.CUSTOMER_REQUEST: N_("The customer asked for their own data"),
    reveal.RevealReason.LEGAL: N_("A court, a lawyer or a regulator needs it"),
    reveal.RevealReason.COMPLAINT: N_("Handling a complaint"),
}
FIELD_NAMES = {
    PersonalField.NATIONAL_ID: N_("National id"),
    PersonalField.BIRTH_DATE: N_("Birth date"),
    PersonalField.PHONE: N_("Phone"),
    PersonalField.EMAIL: N_("E-mail"),
    PersonalField.ADDRESS: N_("Address"),
}


# --- the case page's part ---------------------------------------------------------------------


def case_page_extras(
    request: Request, session: Session, principal: Principal, case_id: str
) -> dict[str, Any]:
    """What the case page shows of this part: the action bar (the forms the reader may use, with
    their keys), the notice of the form just done, and the case's score with its reasons in the
    reader's language (the same read as GET /api/v1/cases/{id}). Call it before the case is read:
    reading the case records the look, and nothing should be read after that."""
    language = render.language_of(request)
    purpose = request.app.state.context.settings.scoring_purpose
    score = scoring.latest_case_scores(session, purpose, [case_id]).get(case_id)
    done = BY_FORM.get(request.query_params.get("done", ""))
    return {
        "actions": [action for action in ACTIONS if principal.may(action.permission)],
        "done": done.done if done else None,
        "works": principal.may(Permission.QUEUE_WORK),
        "score": score,
        "score_reasons": [phrase(Reason.from_dict(item), language) for item in (score.reasons or [])]
        if score is not None
        else [],
        "may_reveal": {field.value: principal.may_reveal(field) for field in PersonalField},
        "sees": {field.value: principal.sees(field) for field in PersonalField},
        "field_of": lambda contact_type: contact_field(contact_type).value,
    }


# --- helpers ----------------------------------------------------------------------------------


def _see_case(case_id: str, form: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}?done={form}", status_code=303)


@dataclass(frozen=True)
class Sent:
    """A form's POST done once (:mod:`arrears.web.once`): its key and what was typed."""

    request: Request
    principal: Principal
    key: str
    values: Mapping[str, Any]


def _attempt(
    session: Session,
    work: Callable[[], T],
    keep: tuple[type[ArrearsError], ...] = (),
    sent: Sent | None = None,
) -> T | ArrearsError | None:
    """``work()`` in a savepoint; a client's mistake or a refusal (a 4xx domain error) is given
    back, what ``work`` wrote undone, except for a refusal of the kinds in ``keep`` (kept on the
    record, as the API keeps it). A 404 (out of scope) and a 5xx are raised as they are. With
    ``sent``: done once for the form's key; None when the same form was sent before (or is being
    recorded at this moment)."""
    kept: ArrearsError | None = None
    if sent is not None:
        once.take_turns(session)
    try:
        with session.begin_nested():
            try:
                if sent is None:
                    return work()
                if once.claimed(sent.request, session, sent.principal, sent.key, sent.values) is not None:
                    return None
                done = work()
                # a case form answers with its case page, whatever the key keeps
                once.finished(session, sent.principal, sent.key, sent.request.url.path)
                return done
            except keep as refusal:
                kept = refusal
    except idempotency.KeyInUseError:
        return None
    except ArrearsError as error:
        if isinstance(error, NotFoundError) or error.http_status >= 500:
            raise
        return error
    assert kept is not None
    return kept


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _local(request: Request, value: str, field: str) -> datetime:
    """A ``datetime-local`` field's value as the bank's clock reads it (an aware instant)."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(N_("{field}: write a time like 2026-12-31T14:30"), field=field) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zone(request.app.state.context.settings.bank_timezone))


def _point(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise InvalidInputError(N_("Choose a contact point of the list"))
    return int(text)


def _refusal(error: ArrearsError, language: str) -> dict[str, Any]:
    """A refusal in words: the message, each rule in the reader's language, the next allowed time."""
    extensions: Mapping[str, Any] = getattr(error, "extensions", None) or {}
    next_at = extensions.get("next_allowed_at")
    return {
        "message": error.message(language),
        "rules": [reason.get(language) or reason.get("en", "") for reason in extensions.get("reasons", [])],
        "next_allowed_at": datetime.fromisoformat(next_at) if next_at else None,
        "status": error.http_status,
    }


def _likeliest(point: ContactPoint) -> tuple[bool, bool, bool, bool, int]:
    """The order of a form's contact points: the debtor's own first, those that may be contacted,
    phones before e-mail and addresses, the primary one, then as recorded."""
    return (
        point.party != "debtor",
        bool(point.do_not_contact),
        contact_field(point.type) is not PersonalField.PHONE,
        not point.is_primary,
        point.id,
    )


def _form(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: str,
    form: str,
    values: Mapping[str, Any] | None = None,
    *,
    refusal: ArrearsError | None = None,
    status: int | None = None,
    **more: Any,
) -> HTMLResponse:
    """The form page ``form`` of a case: the case's summary, the refusal if any, the typed values."""
    found = views.read_case(session, principal, case_id[:100], today=today(request), at=now(request))
    language = render.language_of(request)
    points = [
        contact_card(principal, p)
        for p in sorted(portfolio.contact_points_of(session, found.customer.customer_id), key=_likeliest)
    ]
    context = {
        "form": form,
        "title": BY_FORM[form].label if form in BY_FORM else N_("Reveal a personal field"),
        "case": found.case,
        "customer_name": found.customer.name,
        "accounts": found.accounts,
        "points": points,
        "values": dict(values or {}),
        "refusal": None if refusal is None else _refusal(refusal, language),
        "word": word,
        "flagged": None,
        "quote": None,
        "approvers": [],
        "revealed": None,
        "form_key": new_secret,
        **more,
    }
    answer_status = status if status is not None else (refusal.http_status if refusal is not None else 200)
    return render.render(request, f"case_{form}.html", context, status=answer_status)


# --- log a contact ----------------------------------------------------------------------------


@router.get("/cases/{case_id}/contact", response_class=HTMLResponse)
def contact_form(request: Request, session: DatabaseSession, principal: Logger, case_id: str) -> Response:
    """The form to log a contact on a case with its disposition."""
    return _contact_page(request, session, principal, case_id, {})


def _contact_page(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: str,
    values: Mapping[str, Any],
    **more: Any,
) -> HTMLResponse:
    language = render.language_of(request)
    codes = dispositions(request.app.state.context.settings.dispositions)
    choices = [(code, entry.label(language)) for code, entry in codes.items() if code != REFUSED_BY_GATE]
    return _form(
        request,
        session,
        principal,
        case_id,
        "contact",
        values,
        codes=choices,
        channels=CONTACT_CHANNELS,
        directions=tuple(Direction),
        parties=tuple(Party),
        **more,
    )


@router.post("/cases/{case_id}/contact", response_class=HTMLResponse)
def log_contact(
    request: Request,
    session: DatabaseSession,
    principal: Logger,
    case_id: str,
    disposition: Short,
    channel: Short = "call",
    direction: Short = "outbound",
    party: Short = "debtor",
    contact_point_id: Short = "",
    note: Text = "",
    callback_due_at: Short = "",
    keep_flagged: Short = "",
    after_the_fact: Short = "",
    started_at: Short = "",
    ended_at: Short = "",
    recording_uri: Annotated[str, Form(max_length=1000)] = "",
    recording_sha256: Short = "",
    idempotency_key: once.Key = "",
) -> Response:
    """Log a contact (the same service as POST /api/v1/cases/{id}/contacts): an outbound one is put
    to the compliance gate, and a refusal shows its rules and the next allowed time; a note that
    fails the content check is shown with the reasons before anything is saved."""
    values = {
        "disposition": disposition,
        "channel": channel,
        "direction": direction,
        "party": party,
        "contact_point_id": contact_point_id,
        "note": note,
        "callback_due_at": callback_due_at,
        "after_the_fact": after_the_fact,
        "started_at": started_at,
        "ended_at": ended_at,
        "recording_uri": recording_uri,
        "recording_sha256": recording_sha256,
    }
    ctx = gatekeeping(request)
    language = render.language_of(request)
    findings = contacts.note_findings(_blank(note), party, ctx.pack)
    if findings and not keep_flagged:
        flagged = [finding.get(language) or finding.get("en", "") for finding in findings]
        return _contact_page(request, session, principal, case_id, values, flagged=flagged, status=422)

    def work() -> object:
        point = _point(contact_point_id)
        agreed = None
        if _blank(callback_due_at):
            if point is None:
                raise InvalidInputError(N_("A callback names the contact point to call"))
            agreed = CallbackDraft(_local(request, callback_due_at, "callback_due_at"), point, None)
        draft = contacts.Draft(
            channel=channel,
            direction=direction,
            party=party,
            disposition=disposition,
            contact_point_id=point,
            note=_blank(note),
            started_at=_local(request, started_at, "started_at") if _blank(started_at) else None,
            ended_at=_local(request, ended_at, "ended_at") if _blank(ended_at) else None,
            recording_uri=_blank(recording_uri),
            recording_sha256=_blank(recording_sha256.lower()),
            after_the_fact=bool(after_the_fact),
        )
        return contacts.log_contact(
            session, principal, case_id[:100], draft, ctx=ctx, today=today(request), callback=agreed
        )

    sent = Sent(request, principal, idempotency_key, values)
    done = _attempt(session, work, keep=(contacts.ContactBlockedError,), sent=sent)
    if isinstance(done, ArrearsError):
        return _contact_page(request, session, principal, case_id, values, refusal=done)
    return _see_case(case_id, "contact")


# --- schedule a callback ----------------------------------------------------------------------


@router.get("/cases/{case_id}/callback", response_class=HTMLResponse)
def callback_form(request: Request, session: DatabaseSession, principal: Logger, case_id: str) -> Response:
    """The form to schedule a callback in an allowed window."""
    return _form(request, session, principal, case_id, "callback")


@router.post("/cases/{case_id}/callback", response_class=HTMLResponse)
def schedule_callback(
    request: Request,
    session: DatabaseSession,
    principal: Logger,
    case_id: str,
    due_at: Short,
    contact_point_id: Short,
    note: Annotated[str, Form(max_length=500)] = "",
    idempotency_key: once.Key = "",
) -> Response:
    """Schedule a callback (the same service as POST /api/v1/cases/{id}/callbacks); a time the gate
    refuses shows its rules and the next allowed time."""
    values = {"due_at": due_at, "contact_point_id": contact_point_id, "note": note}

    def work() -> object:
        point = _point(contact_point_id)
        if point is None:
            raise InvalidInputError(N_("A callback names the contact point to call"))
        draft = CallbackDraft(_local(request, due_at, "due_at"), point, _blank(note))
        return callbacks.schedule(
            session, principal, case_id[:100], draft, ctx=gatekeeping(request), today=today(request)
        )

    done = _attempt(session, work, sent=Sent(request, principal, idempotency_key, values))
    if isinstance(done, ArrearsError):
        return _form(request, session, principal, case_id, "callback", values, refusal=done)
    return _see_case(case_id, "callback")


# --- take a promise ---------------------------------------------------------------------------


@router.get("/cases/{case_id}/promise", response_class=HTMLResponse)
def promise_form(request: Request, session: DatabaseSession, principal: Taker, case_id: str) -> Response:
    """The form to take a promise to pay (one or a few dated amounts)."""
    return _form(request, session, principal, case_id, "promise", rows=INSTALLMENT_ROWS)


@router.post("/cases/{case_id}/promise", response_class=HTMLResponse)
def take_promise(
    request: Request,
    session: DatabaseSession,
    principal: Taker,
    case_id: str,
    currency: Annotated[str, Form(min_length=3, max_length=3)],
    due_on: Rows,
    amount: Rows,
    account_id: Short = "",
    idempotency_key: once.Key = "",
) -> Response:
    """Take a promise (the same service as POST /api/v1/cases/{id}/promises)."""
    values = {"currency": currency, "due_on": due_on, "amount": amount, "account_id": account_id}

    def work() -> object:
        rows = [
            (form_values.day(day, "due_on"), value.strip())
            for day, value in zip(due_on, amount, strict=False)
            if day.strip() or value.strip()
        ]
        if not rows:
            raise InvalidInputError(N_("Give the date and the amount promised"))
        terms = promises.Terms(installments=rows, currency=currency.upper(), account_id=_blank(account_id))
        return promises.take(session, principal, case_id[:100], terms, now=now(request), today=today(request))

    done = _attempt(session, work, sent=Sent(request, principal, idempotency_key, values))
    if isinstance(done, ArrearsError):
        return _form(
            request, session, principal, case_id, "promise", values, refusal=done, rows=INSTALLMENT_ROWS
        )
    return _see_case(case_id, "promise")


# --- plans and settlements, with the calculator -----------------------------------------------


def _minor(text: str, currency: str) -> int | None:
    return None if not text.strip() else parse_major(text, currency)


def _terms(values: Mapping[str, Any], currency: str, method: Method) -> Terms:
    custom = None
    if method is Method.CUSTOM:
        custom = [
            parse_major(part, currency) for part in str(values["installments"]).replace(",", " ").split()
        ]
        if not custom:
            raise InvalidInputError(N_("A custom plan lists its installments' amounts"))
    frequency = str(values["frequency"])
    if frequency not in set(Frequency):
        raise InvalidInputError(N_("Choose a frequency of the list"))
    return Terms(
        first_due_on=form_values.day(str(values["first_due_on"]), "first_due_on"),
        method=method,
        count=len(custom) if custom else form_values.whole_number(str(values["count"]), "count"),
        frequency=Frequency(frequency),
        amounts=custom,
    )


def _arrangement(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: str,
    form: str,
    values: dict[str, Any],
    make: Callable[[str], PlanRequest | SettlementRequest],
    calculate: bool,
    key: str,
) -> Response:
    limits = load_limits(request.app.state.context.settings.approval_limits)
    currency = str(values["currency"]).upper()

    def work() -> object:
        asked = make(currency)
        if calculate:
            return plans.quote(session, principal, case_id[:100], asked, limits, today=today(request))
        at, day = now(request), today(request)
        if isinstance(asked, PlanRequest):
            return plans.propose_plan(session, principal, case_id[:100], asked, limits, now=at, today=day)
        return plans.propose_settlement(session, principal, case_id[:100], asked, limits, now=at, today=day)

    sent = None if calculate else Sent(request, principal, key, values)
    done = _attempt(session, work, sent=sent)
    if isinstance(done, ArrearsError):
        return _form(request, session, principal, case_id, form, values, refusal=done)
    if isinstance(done, plans.Quote):
        roles = [translate(ROLE_NAMES[role], render.language_of(request)) for role in done.approvers]
        return _form(request, session, principal, case_id, form, values, quote=done, approvers=roles)
    return _see_case(case_id, form)


@router.get("/cases/{case_id}/plan", response_class=HTMLResponse)
def plan_form(request: Request, session: DatabaseSession, principal: Proposer, case_id: str) -> Response:
    """The form to propose a repayment plan, with its calculator."""
    return _form(request, session, principal, case_id, "plan", {"count": "3", "frequency": "monthly"})


@router.post("/cases/{case_id}/plan", response_class=HTMLResponse)
def propose_plan(
    request: Request,
    session: DatabaseSession,
    principal: Proposer,
    case_id: str,
    currency: Annotated[str, Form(min_length=3, max_length=3)],
    first_due_on: Short,
    method: Short = "equal",
    amount: Short = "",
    count: Short = "1",
    frequency: Short = "monthly",
    installments: Text = "",
    note: Annotated[str, Form(max_length=500)] = "",
    action: Short = "propose",
    idempotency_key: once.Key = "",
) -> Response:
    """Calculate a plan (the installments, their exact sum and the approval it needs; nothing
    kept) or propose it (the same service as POST /api/v1/cases/{id}/plans)."""
    values: dict[str, Any] = {
        "currency": currency,
        "first_due_on": first_due_on,
        "method": method,
        "amount": amount,
        "count": count,
        "frequency": frequency,
        "installments": installments,
        "note": note,
    }

    def make(money: str) -> PlanRequest:
        chosen = Method.CUSTOM if method == "custom" else Method.EQUAL
        return PlanRequest(
            terms=_terms(values, money, chosen),
            amount=_minor(amount, money),
            currency=money,
            note=_blank(note),
        )

    return _arrangement(
        request, session, principal, case_id, "plan", values, make, action == "calculate", idempotency_key
    )


@router.get("/cases/{case_id}/settlement", response_class=HTMLResponse)
def settlement_form(
    request: Request, session: DatabaseSession, principal: Proposer, case_id: str
) -> Response:
    """The form to propose a settlement (a discounted total), with its calculator."""
    return _form(request, session, principal, case_id, "settlement", {"count": "1", "frequency": "monthly"})


@router.post("/cases/{case_id}/settlement", response_class=HTMLResponse)
def propose_settlement(
    request: Request,
    session: DatabaseSession,
    principal: Proposer,
    case_id: str,
    currency: Annotated[str, Form(min_length=3, max_length=3)],
    first_due_on: Short,
    total: Short,
    waived_fees: Short = "",
    count: Short = "1",
    frequency: Short = "monthly",
    note: Annotated[str, Form(max_length=500)] = "",
    action: Short = "propose",
    idempotency_key: once.Key = "",
) -> Response:
    """Calculate a settlement or propose it (the same service as POST /api/v1/cases/{id}/settlements)."""
    values: dict[str, Any] = {
        "currency": currency,
        "first_due_on": first_due_on,
        "total": total,
        "waived_fees": waived_fees,
        "count": count,
        "frequency": frequency,
        "note": note,
    }

    def make(money: str) -> SettlementRequest:
        agreed = _minor(total, money)
        if agreed is None:
            raise InvalidInputError(N_("Give the settlement's total"))
        return SettlementRequest(
            terms=_terms(values, money, Method.EQUAL),
            total=agreed,
            waived_fees=_minor(waived_fees, money) or 0,
            currency=money,
            note=_blank(note),
        )

    return _arrangement(
        request,
        session,
        principal,
        case_id,
        "settlement",
        values,
        make,
        action == "calculate",
        idempotency_key,
    )


# --- dispute, complaint, hold ----------------------------------------------------------------


@router.get("/cases/{case_id}/dispute", response_class=HTMLResponse)
def dispute_form(request: Request, session: DatabaseSession, principal: Recorder, case_id: str) -> Response:
    """The form to record a dispute (contact pauses until it is resolved)."""
    return _form(request, session, principal, case_id, "dispute", kinds=tuple(DisputeKind))


@router.post("/cases/{case_id}/dispute", response_class=HTMLResponse)
def raise_dispute(
    request: Request,
    session: DatabaseSession,
    principal: Recorder,
    case_id: str,
    kind: Short,
    description: Text,
    written: Short = "",
    account_id: Short = "",
    idempotency_key: once.Key = "",
) -> Response:
    """Record a dispute (the same service as POST /api/v1/cases/{id}/disputes)."""
    values = {"kind": kind, "description": description, "written": written, "account_id": account_id}
    settings = request.app.state.context.settings
    done = _attempt(
        session,
        lambda: disputes.raise_dispute(
            session,
            principal,
            case_id[:100],
            kind=kind,
            written=bool(written),
            description=description,
            account_id=_blank(account_id),
            verify_days=settings.dispute_verify_days,
            now=now(request),
            today=today(request),
        ),
        sent=Sent(request, principal, idempotency_key, values),
    )
    if isinstance(done, ArrearsError):
        return _form(
            request, session, principal, case_id, "dispute", values, refusal=done, kinds=tuple(DisputeKind)
        )
    return _see_case(case_id, "dispute")


@router.get("/cases/{case_id}/complaint", response_class=HTMLResponse)
def complaint_form(request: Request, session: DatabaseSession, principal: Recorder, case_id: str) -> Response:
    """The form to record a complaint about conduct."""
    return _form(request, session, principal, case_id, "complaint", categories=tuple(ComplaintCategory))


@router.post("/cases/{case_id}/complaint", response_class=HTMLResponse)
def record_complaint(
    request: Request,
    session: DatabaseSession,
    principal: Recorder,
    case_id: str,
    category: Short,
    description: Text,
    idempotency_key: once.Key = "",
) -> Response:
    """Record a complaint (the same service as POST /api/v1/cases/{id}/complaints)."""
    values = {"category": category, "description": description}
    settings = request.app.state.context.settings
    done = _attempt(
        session,
        lambda: complaints.record_complaint(
            session,
            principal,
            case_id[:100],
            category=category,
            description=description,
            about_user_id=None,
            contact_id=None,
            respond_days=settings.complaint_respond_days,
            now=now(request),
            today=today(request),
        ),
        sent=Sent(request, principal, idempotency_key, values),
    )
    if isinstance(done, ArrearsError):
        return _form(
            request,
            session,
            principal,
            case_id,
            "complaint",
            values,
            refusal=done,
            categories=tuple(ComplaintCategory),
        )
    return _see_case(case_id, "complaint")


HOLD_KINDS = tuple(sorted(PLACED_BY_HAND))


@router.get("/cases/{case_id}/hold", response_class=HTMLResponse)
def hold_form(request: Request, session: DatabaseSession, principal: Recorder, case_id: str) -> Response:
    """The form to place a hold on contact with the case's customer."""
    return _form(request, session, principal, case_id, "hold", kinds=HOLD_KINDS)


@router.post("/cases/{case_id}/hold", response_class=HTMLResponse)
def place_hold(
    request: Request,
    session: DatabaseSession,
    principal: Recorder,
    case_id: str,
    kind: Short,
    evidence: Text,
    evidence_uri: Annotated[str, Form(max_length=1000)] = "",
    idempotency_key: once.Key = "",
) -> Response:
    """Place a hold on the case's customer (the same service as POST /api/v1/customers/{id}/holds)."""
    values = {"kind": kind, "evidence": evidence, "evidence_uri": evidence_uri}
    found = views.read_case(session, principal, case_id[:100], today=today(request), at=now(request))
    customer_id = found.customer.customer_id
    done = _attempt(
        session,
        lambda: holds.place(
            session,
            principal,
            customer_id,
            kind,
            evidence,
            _blank(evidence_uri),
            now=now(request),
            today=today(request),
        ),
        sent=Sent(request, principal, idempotency_key, values),
    )
    if isinstance(done, ArrearsError):
        return _form(request, session, principal, case_id, "hold", values, refusal=done, kinds=HOLD_KINDS)
    return _see_case(case_id, "hold")


# --- reveal a masked field with a reason -----------------------------------------------------


def _field(value: str) -> PersonalField:
    try:
        return PersonalField(value)
    except ValueError:
        raise InvalidInputError(N_("No such personal field")) from None


@router.get("/cases/{case_id}/reveal", response_class=HTMLResponse)
def reveal_form(
    request: Request,
    session: DatabaseSession,
    principal: CustomerReader,
    case_id: str,
    field: Annotated[str, Query(max_length=20)],
    point: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """The form to reveal one masked personal field of the case's customer, with a reason."""
    chosen = _field(field)
    return _form(
        request,
        session,
        principal,
        case_id,
        "reveal",
        {"field": chosen.value, "point": point},
        field_name=FIELD_NAMES[chosen],
        reasons=REVEAL_REASONS,
    )


@router.post("/cases/{case_id}/reveal", response_class=HTMLResponse)
def reveal_field(
    request: Request,
    session: DatabaseSession,
    principal: CustomerReader,
    case_id: str,
    field: Short,
    reason_code: Short,
    reason: Annotated[str, Form(max_length=500)],
    point: Short = "",
) -> Response:
    """Reveal the field (the same service as POST /api/v1/customers/{id}/reveal; audited, capped per
    day) and show it on this answer only: the value never goes into an address."""
    chosen = _field(field)
    values = {"field": chosen.value, "point": point, "reason_code": reason_code, "reason": reason}
    extra: dict[str, Any] = {"field_name": FIELD_NAMES[chosen], "reasons": REVEAL_REASONS}
    found = views.read_case(session, principal, case_id[:100], today=today(request), at=now(request))
    customer_id = found.customer.customer_id
    settings = request.app.state.context.settings
    if reason_code not in set(reveal.RevealReason):
        error: ArrearsError = InvalidInputError(N_("Choose a reason of the list"))
        return _form(request, session, principal, case_id, "reveal", values, refusal=error, **extra)

    def work() -> reveal.Revealed:
        return reveal.reveal(
            session,
            principal,
            customer_id,
            chosen,
            contact_point_id=_point(point),
            reason_code=reveal.RevealReason(reason_code),
            reason=reason,
            visible=customer_filter(principal, today(request), Customer.customer_id),
            now=now(request),
            bank_timezone=settings.bank_timezone,
            daily_cap=settings.reveal_daily_cap,
        )

    done = _attempt(session, work, keep=(reveal.RevealCapError,))
    if isinstance(done, ArrearsError):
        answer = _form(request, session, principal, case_id, "reveal", values, refusal=done, **extra)
        answer.headers.update(getattr(done, "headers", None) or {})
        return answer
    return _form(request, session, principal, case_id, "reveal", values, revealed=done, **extra)


__all__ = ["ACTIONS", "case_page_extras", "router"]
