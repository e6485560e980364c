"""The customer's portal (客户自助, issue #14 §4): sign in with an account number and a one-time
code sent through the outbox; see what is owed and why; promise to pay; accept a repayment plan;
raise a dispute or a complaint; stop a channel.

Thin, like the other pages: the sign-in pages are public and call
:mod:`arrears.channels.portal_codes` and :func:`arrears.auth.service.open_customer_session`; the
rest need ``portal.use`` (the customer role only) and call the same services as the API with the
customer's principal, whose scope (``own``) the services' queries apply: another customer's
case is their 404. Every form answers 303 to the page that shows the result; a refusal of a
service (a business conflict, a bad field) is the error page of its status.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from arrears import idempotency
from arrears.api.access import SESSION_COOKIE, DatabaseSession, page_public, page_requires
from arrears.api.paging import now, today
from arrears.arrangements import plans, promises
from arrears.arrangements.limits import load_limits
from arrears.arrangements.models import ArrangementStatus
from arrears.auth import service as auth
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.auth.service import new_secret
from arrears.cases import views
from arrears.cases.models import Case, CaseAccount, CaseStatus
from arrears.cases.repository import CaseFilters
from arrears.cases.scope import account_filter
from arrears.channels import opt_out, portal_codes
from arrears.disputes import complaints, disputes, holds
from arrears.disputes.complaints import ComplaintCategory
from arrears.disputes.disputes import DisputeKind
from arrears.disputes.models import Hold
from arrears.errors import ArrearsError, InvalidInputError, NotFoundError
from arrears.i18n import LANGUAGES, N_, normalise_language, translate
from arrears.money import MoneyError, parse_major
from arrears.portfolio import repository as portfolio
from arrears.portfolio import views as account_views
from arrears.portfolio.models import Account, Installment
from arrears.portfolio.views import record_look
from arrears.strategy import service as strategy_service
from arrears.web import once, render
from arrears.web.render import CSRF_COOKIE, FORM_FIELD

router = APIRouter(include_in_schema=False)

Customer = Annotated[Principal, Depends(page_requires(Permission.PORTAL_USE))]
FormToken = Annotated[str | None, Form(alias=FORM_FIELD, max_length=200)]
ACCOUNT_COOKIE = "arrears_portal_account"
"""The account number between asking for a code and giving it (HttpOnly, for the code's life)."""
CASES_SHOWN = 20
INSTALLMENTS_READ = 36
PLAN_COUNTS = (1, 2, 3, 4, 5, 6, 9, 12)
HORIZON_DAYS = 60
"""The self-service policy's horizon: a promised day, or a plan's first installment, falls
within this many days of today (a later one is a matter for the bank's staff)."""
MAX_TEXT = 4000
"""Characters of a dispute's or a complaint's words."""
MAX_POSTED_TEXT = 1_000_000
"""Characters of a text field taken from the form at all (longer: the framework's 422); between
:data:`MAX_TEXT` and this, the form says how long it may be."""
MAX_FIELD = 2000
DONE = {
    "promise": N_("Thank you: your promise to pay is recorded."),
    "plan_approved": N_("Your repayment plan is approved. Please pay each installment by its date."),
    "plan_pending": N_(
        "Your repayment plan is beyond what we can approve at once: the bank will review it and tell you."
    ),
    "dispute": N_("Your dispute is recorded. We stop asking you to pay while we look into it."),
    "complaint": N_("Your complaint is recorded. We will answer you by {day}."),
    "opt_out": N_("Done: we will not contact you that way any more."),
    "language": N_("Done: we will write to you in this language."),
    "received": N_("We have this form already: it is recorded once."),
}


class NotBefore(Response):
    """``inner``, sent no sooner than the instant ``at`` (:func:`time.monotonic`): the answer to a
    request for a code takes the same time whatever was found and written, its commit included
    (the request's transaction ends before the answer is sent)."""

    def __init__(self, inner: Response, at: float) -> None:  # a wrapper: not Response.__init__
        self.inner = inner
        self.at = at
        self.status_code = inner.status_code
        self.raw_headers = inner.raw_headers
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.sleep(max(0.0, self.at - time.monotonic()))
        await self.inner(scope, receive, send)
        if self.background is not None:
            await self.background()


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- sign-in with a one-time code -----------------------------------------------------------


@router.get("/portal/sign-in", response_class=HTMLResponse, dependencies=[Depends(page_public)])
def portal_sign_in_page(
    request: Request,
    next: Annotated[str, Query(max_length=2000)] = "/portal",
    expired: Annotated[bool, Query()] = False,
) -> Response:
    """The customer's sign-in: their account number, to be sent a one-time code."""
    return render.render(request, "portal_sign_in.html", {"expired": expired, "account": ""})


@router.post("/portal/sign-in", dependencies=[Depends(page_public)])
def portal_ask_code(
    request: Request,
    session: DatabaseSession,
    account: Annotated[str, Form(max_length=200)],
    form_token: FormToken = None,
) -> Response:
    """Ask for a one-time code (the same answer, in the same time, whether the account is ours or
    not: :class:`NotBefore`)."""
    not_before = time.monotonic() + request.app.state.context.settings.portal_code_answer_ms / 1000
    return NotBefore(_ask_code(request, session, account, form_token), not_before)


def _ask_code(request: Request, session: DatabaseSession, account: str, form_token: str | None) -> Response:
    render.check_form_token(request, form_token)
    account = account.strip()
    if not account:
        context = {"expired": False, "account": "", "problem": N_("Enter your account number.")}
        return render.render(request, "portal_sign_in.html", context, status=400)
    try:
        portal_codes.request_code(
            session,
            account,
            now=now(request),
            secret=request.app.state.context.settings.secret_key,
            client=_client(request),
            language=render.language_of(request),
        )
    except portal_codes.TooManyCodeRequestsError as refusal:
        context = {"expired": False, "account": account, "refusal": refusal}
        answer = render.render(request, "portal_sign_in.html", context, status=refusal.http_status)
        answer.headers.update(refusal.headers)
        return answer
    response = _see_other("/portal/code")
    lifetime = portal_codes.CODE_MINUTES * 60
    render.set_cookie(
        request, response, ACCOUNT_COOKIE, account[: portal_codes.ACCOUNT_LENGTH], max_age=lifetime
    )
    return response


@router.get("/portal/code", response_class=HTMLResponse, dependencies=[Depends(page_public)])
def portal_code_page(request: Request) -> Response:
    """The form for the one-time code just sent."""
    if not request.cookies.get(ACCOUNT_COOKIE):
        return _see_other("/portal/sign-in")
    return render.render(request, "portal_code.html", {"minutes": portal_codes.CODE_MINUTES})


@router.post("/portal/code", dependencies=[Depends(page_public)])
def portal_give_code(
    request: Request,
    session: DatabaseSession,
    code: Annotated[str, Form(max_length=20)],
    form_token: FormToken = None,
) -> Response:
    """Check the one-time code; right, open the customer's web session (made at the first
    sign-in) like a staff sign-in, and go to the portal."""
    render.check_form_token(request, form_token)
    context = request.app.state.context
    account = request.cookies.get(ACCOUNT_COOKIE, "")
    at = now(request)
    try:
        customer_id = portal_codes.check_code(
            session, account, code, now=at, secret=context.settings.secret_key
        )
    except portal_codes.CodeRefusedError as refusal:
        page = {"minutes": portal_codes.CODE_MINUTES, "refusal": refusal}
        return render.render(request, "portal_code.html", page, status=refusal.http_status)
    user = auth.customer_user(session, customer_id, now=at, language=render.language_of(request))
    granted = auth.open_customer_session(
        session,
        user,
        now=at,
        lifetimes=context.lifetimes,
        client=_client(request),
        request_id=getattr(request.state, "request_id", None),
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    response = _see_other("/portal")
    lifetime = int(context.lifetimes.total.total_seconds())
    render.set_cookie(request, response, SESSION_COOKIE, granted.secret, max_age=lifetime)
    render.set_cookie(request, response, CSRF_COOKIE, granted.csrf_token or "", max_age=lifetime)
    response.delete_cookie(
        ACCOUNT_COOKIE, path="/", secure=render.secure(request), httponly=True, samesite="strict"
    )
    return response


@router.post("/portal/sign-out")
def portal_sign_out(request: Request, session: DatabaseSession, principal: Customer) -> Response:
    """End the customer's web session (the same service as DELETE /api/v1/auth/session)."""
    auth.sign_out(session, principal, now=now(request))
    response = _see_other("/portal/sign-in")
    render.end_session_cookies(request, response)
    return response


# --- what is owed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    """One account of a case as the customer reads it."""

    member: CaseAccount
    product: str
    since: date | None
    missed: list[Installment]


def _owed(
    session: DatabaseSession,
    principal: Principal,
    member: CaseAccount,
    product: str,
    as_of: date,
    *,
    day: date,
    at: datetime,
) -> Owed:
    """Since when the account is behind (the due date of the oldest installment not fully paid,
    as of the case's last batch: the as-of date minus the DPD) and the installments due since,
    read as GET /api/v1/accounts/{id} reads them (in scope, the look audited)."""
    if member.dpd <= 0:
        return Owed(member, product, None, [])
    account = account_views.find_account(
        session, member.account_id, visible=account_filter(principal, day, Account.account_id)
    )
    since = as_of - timedelta(days=member.dpd)
    due = portfolio.installments_of(session, member.account_id, limit=INSTALLMENTS_READ)
    missed = sorted((i for i in due if since <= i.due_date <= as_of), key=lambda i: i.seq)
    account_views.record_account_look(session, principal, account, at=at)
    return Owed(member, product, since, missed)


@dataclass(frozen=True)
class Problem:
    """What was wrong with a form just sent: the form, its case, the field, the words."""

    form: str
    case_id: str
    field: str | None
    message: str


class FieldError(InvalidInputError):
    """A field of a portal form that cannot be used; its message names the field in the
    reader's words (the label the form shows)."""

    code = "invalid_field"

    def __init__(
        self, field: str, message: str, /, *, status: int = 400, label: str | None = None, **params: Any
    ) -> None:
        self.field = field
        self.label = label or FIELD_LABELS.get(field, field)
        self.http_status = status  # type: ignore[misc]  # a service's refusal keeps its status
        super().__init__(message, **params)

    def message(self, language: str) -> str:
        label = translate(self.label, language)
        return translate(N_("{field}: {problem}"), language, field=label, problem=super().message(language))


FIELD_LABELS = {
    "case_id": N_("Case"),
    "pay_on": N_("I will pay on"),
    "amount": N_("Amount"),
    "count": N_("Number of monthly installments"),
    "first_due_on": N_("First installment on"),
    "kind": N_("What is wrong"),
    "category": N_("About"),
    "channel": N_("Channel"),
    "language": N_("Language"),
    "idempotency_key": N_("Form"),
}
SERVICE_FIELDS = {
    "money": "amount",
    "promise_amount": "amount",
    "promise_over_outstanding": "amount",
    "promise_due_in_past": "pay_on",
    "promise_currency": "amount",
    "over_limit": "count",
}
"""The field a service's refusal is about, by its code (else the form as a whole)."""


@dataclass(frozen=True)
class Why:
    """Why the latest step was chosen, in the customer's terms: no internal score, a plain band."""

    action: str
    planned_at: datetime
    chosen_on: date
    version: int | None
    step_day: int | None
    dpd: int | None
    band: str | None


CUSTOMER_SEES = ("planned", "rescheduled", "confirmed", "done")
"""The statuses of a step the customer is told about: one that happens or has happened (not a
proposal a person has not confirmed, nor one declined, refused by the gate or not made)."""


def latest_why(
    session: DatabaseSession, principal: Principal, case: Case, *, day: date, at: datetime
) -> Why | None:
    """The latest step the strategy chose for the customer's case, with why (the same service as
    GET /api/v1/cases/{id}/actions: the case in the customer's scope, the look audited)."""
    chosen = strategy_service.case_actions(session, principal, case.case_id, today=day, at=at)
    latest = next((a for a in chosen if a.status in CUSTOMER_SEES), None)
    if latest is None:
        return None
    why = latest.why or {}
    facts = why.get("facts") or {}
    dpd = facts.get("dpd")
    if not isinstance(dpd, int):
        dpd = case.worst_dpd if case.updated_on == latest.as_of else None
    band = (why.get("score") or {}).get("band")
    return Why(
        action=latest.action,
        planned_at=latest.planned_at,
        chosen_on=latest.as_of,
        version=why.get("version"),
        step_day=why.get("day"),
        dpd=dpd,
        band=band if isinstance(band, str) and band != "none" else None,
    )


def _home_context(request: Request, session: DatabaseSession, principal: Principal) -> dict[str, Any]:
    """What the portal's page shows (see :func:`portal_home`); every look audited."""
    day, at = today(request), now(request)
    rows = views.list_cases(
        session, principal, CaseFilters(status=str(CaseStatus.OPEN)), today=day, limit=CASES_SHOWN
    )
    cases = []
    for row in rows:
        found = views.read_case(session, principal, row.case.case_id, today=day, at=at)
        owed = [
            _owed(session, principal, member, product, found.case.updated_on, day=day, at=at)
            for member, product in found.accounts
        ]
        arrangements = [
            a
            for a in plans.of_case(session, principal, found.case.case_id, day)
            if a.status in (ArrangementStatus.PROPOSED, ArrangementStatus.APPROVED, ArrangementStatus.ACTIVE)
        ]
        open_promises = [
            view
            for view in promises.history(session, principal, found.case.case_id, day, before_id=None, limit=5)
            if view.promise.status == "open"
        ]
        why = latest_why(session, principal, found.case, day=day, at=at)
        cases.append((found.case, owed, arrangements, open_promises, why))
    standing: Sequence[Hold] = []
    if principal.customer_id:
        standing = holds.holds_of(session, principal, principal.customer_id, standing=True, today=day)
        # audited as the case page and GET /api/v1/customers/{id}/holds audit it
        record_look(
            session, principal, "hold.read", "customer", principal.customer_id, principal.customer_id, at=at
        )
    return {
        "cases": cases,
        "holds": standing,
        "done": None,
        "done_day": None,
        "today": day,
        "last_day": day + timedelta(days=HORIZON_DAYS),
        "plan_counts": PLAN_COUNTS,
        "dispute_kinds": [str(kind) for kind in DisputeKind],
        "complaint_categories": [str(category) for category in ComplaintCategory],
        "channels": opt_out.PORTAL_CHANNELS,
        "stopped": opt_out.opted_out(session, principal),
        "messages_language": normalise_language(opt_out.language_of_own(session, principal)),
        "problem": None,
        "values": {},
        "form_key": new_secret,
        "max_text": MAX_TEXT,
        "bad": _invalid,
        "language_names": render.LANGUAGE_NAMES,
    }


def _invalid(wrong: str | None, field: str) -> dict[str, str]:
    """The attributes of a form's field that the refusal shown is about."""
    return {"aria-invalid": "true"} if wrong == field else {}


@router.get("/portal", response_class=HTMLResponse)
def portal_home(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    done: Annotated[str | None, Query(max_length=30)] = None,
    by: Annotated[date | None, Query()] = None,
) -> Response:
    """What the customer owes and why (each open case's accounts: how much, since when, the
    installments missed), their open plans and promises, standing holds, and the forms to
    promise, accept a plan, raise a dispute or a complaint, stop a channel and choose the
    language of our messages. Each look is audited as the API audits it."""
    context = _home_context(request, session, principal) | {"done": DONE.get(done or ""), "done_day": by}
    return render.render(request, "portal.html", context)


# --- what the customer does -----------------------------------------------------------------


Csrf = Annotated[str | None, Form(max_length=200)]
Field = Annotated[str, Form(max_length=MAX_FIELD)]
"""A form field as typed, checked here (not by the framework) so that a bad value is a message
on the form naming the field."""


def _text(value: str, field: str, label: str) -> str:
    text = value.strip()
    if not text:
        raise FieldError(field, N_("write it"), label=label)
    if len(text) > MAX_TEXT:
        raise FieldError(
            field,
            N_("at most {maximum} characters, not {count}"),
            label=label,
            maximum=MAX_TEXT,
            count=len(text),
        )
    return text


def _date(value: str, field: str, today: date) -> date:
    text = value.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise FieldError(field, N_("write a date like {example}"), example=today.isoformat())
    if day < today:
        raise FieldError(field, N_("{day} is in the past: choose today or a later day"), day=day.isoformat())
    last = today + timedelta(days=HORIZON_DAYS)
    if day > last:
        raise FieldError(
            field,
            N_("choose a day up to {last} ({days} days from today)"),
            last=last.isoformat(),
            days=HORIZON_DAYS,
        )
    return day


def _amount(value: str, currency: str, field: str) -> str:
    """The amount as the service takes it (major units as text): digits, a point and at most
    the currency's decimals, more than zero; anything else (a formula, a sign, a word) refused."""
    text = value.strip().replace(",", "")
    try:
        minor = parse_major(text, currency) if len(text) <= 20 else None
    except MoneyError as error:
        raise FieldError(field, error.template, **error.params) from None
    if minor is None or minor <= 0 or text.startswith(("+", "-")):
        raise FieldError(field, N_("write an amount more than zero, like 500.00"))
    return text


def _choice(value: str, valid: Sequence[str], field: str) -> str:
    if value not in valid:
        raise FieldError(field, N_("choose one of the list"))
    return value


def _case(value: str) -> str:
    if not value.strip() or len(value) > 100:
        raise FieldError("case_id", N_("choose one of your cases"))
    return value.strip()


def _act(
    request: Request,
    session: DatabaseSession,
    principal: Principal,
    form: str,
    values: dict[str, str],
    key: str,
    work: Callable[[], str],
) -> Response:
    """Do ``work`` (which answers where to go next) once for the form's idempotency key, in a
    savepoint: a refusal (a bad field, a business conflict) undoes it and shows the portal again
    with the refusal on the form, the typed values kept; the same form sent again (a double
    click) goes where the first went, nothing done twice. A case not the customer's is the
    services' 404, as a page."""
    once.take_turns(session)
    try:
        with session.begin_nested():
            try:
                target = once.done_once(request, session, principal, key, values, work)
            except once.FormSentBeforeError as error:
                raise FieldError("idempotency_key", error.template, status=422) from None
    except idempotency.KeyInUseError:  # the same form, sent a moment ago, is being recorded
        return _see_other("/portal?done=received")
    except ArrearsError as error:
        if isinstance(error, NotFoundError) or error.http_status >= 500:
            raise
        if not isinstance(error, FieldError) and error.code in SERVICE_FIELDS:
            error = FieldError(
                SERVICE_FIELDS[error.code], error.template, status=error.http_status, **error.params
            )
        field = error.field if isinstance(error, FieldError) else None
        problem = Problem(form, values.get("case_id", ""), field, error.message(render.language_of(request)))
        context = _home_context(request, session, principal) | {"problem": problem, "values": values}
        return render.render(request, "portal.html", context, status=error.http_status)
    return _see_other(target)


@router.post("/portal/promise")
def portal_promise(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: Field = "",
    currency: Field = "",
    pay_on: Field = "",
    amount: Field = "",
    idempotency_key: once.Key = "",
    csrf_token: Csrf = None,
) -> Response:
    """Promise to pay an amount on a date (the same service as POST /api/v1/cases/{id}/promises)."""
    auth.check_csrf(session, principal, csrf_token)
    values = {"case_id": case_id, "currency": currency, "pay_on": pay_on, "amount": amount}

    def work() -> str:
        day = today(request)
        money = currency.strip().upper()[:3]
        terms = promises.Terms(
            installments=[(_date(pay_on, "pay_on", day), _amount(amount, money, "amount"))], currency=money
        )
        promises.take(session, principal, _case(case_id), terms, now=now(request), today=day)
        return "/portal?done=promise"

    return _act(request, session, principal, "promise", values, idempotency_key, work)


@router.post("/portal/plan")
def portal_plan(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: Field = "",
    currency: Field = "",
    count: Field = "",
    first_due_on: Field = "",
    idempotency_key: once.Key = "",
    csrf_token: Csrf = None,
) -> Response:
    """Accept a plan of all that is owed in equal monthly installments (the same service as
    POST /api/v1/cases/{id}/plans): approved at once within the customer role's limits, else
    waiting in the approvals inbox."""
    auth.check_csrf(session, principal, csrf_token)
    values = {"case_id": case_id, "currency": currency, "count": count, "first_due_on": first_due_on}

    def work() -> str:
        day = today(request)
        counts = [str(n) for n in PLAN_COUNTS]
        asked = plans.PlanRequest(
            terms=plans.Terms(
                first_due_on=_date(first_due_on, "first_due_on", day),
                count=int(_choice(count.strip(), counts, "count")),
            ),
            amount=None,
            currency=currency.strip().upper()[:3],
            note="accepted by the customer in the self-service portal",
        )
        limits = load_limits(request.app.state.context.settings.approval_limits)
        made = plans.propose_plan(
            session, principal, _case(case_id), asked, limits, now=now(request), today=day
        )
        approved = made.status in (ArrangementStatus.APPROVED, ArrangementStatus.ACTIVE)
        return "/portal?done=" + ("plan_approved" if approved else "plan_pending")

    return _act(request, session, principal, "plan", values, idempotency_key, work)


@router.post("/portal/dispute")
def portal_dispute(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: Field = "",
    kind: Field = "",
    description: Annotated[str, Form(max_length=MAX_POSTED_TEXT)] = "",
    idempotency_key: once.Key = "",
    csrf_token: Csrf = None,
) -> Response:
    """Raise a dispute (the same service as POST /api/v1/cases/{id}/disputes): contact pauses."""
    auth.check_csrf(session, principal, csrf_token)
    values = {"case_id": case_id, "kind": kind, "description": description}

    def work() -> str:
        disputes.raise_dispute(
            session,
            principal,
            _case(case_id),
            kind=_choice(kind, [str(k) for k in DisputeKind], "kind"),
            written=True,
            description=_text(description, "description", N_("Tell us why")),
            account_id=None,
            verify_days=request.app.state.context.settings.dispute_verify_days,
            now=now(request),
            today=today(request),
        )
        return "/portal?done=dispute"

    return _act(request, session, principal, "dispute", values, idempotency_key, work)


@router.post("/portal/complaint")
def portal_complaint(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: Field = "",
    category: Field = "",
    description: Annotated[str, Form(max_length=MAX_POSTED_TEXT)] = "",
    idempotency_key: once.Key = "",
    csrf_token: Csrf = None,
) -> Response:
    """Make a complaint (the same service as POST /api/v1/cases/{id}/complaints)."""
    auth.check_csrf(session, principal, csrf_token)
    values = {"case_id": case_id, "category": category, "description": description}

    def work() -> str:
        made = complaints.record_complaint(
            session,
            principal,
            _case(case_id),
            category=_choice(category, [str(c) for c in ComplaintCategory], "category"),
            description=_text(description, "description", N_("What happened")),
            about_user_id=None,
            contact_id=None,
            respond_days=request.app.state.context.settings.complaint_respond_days,
            now=now(request),
            today=today(request),
        )
        return f"/portal?done=complaint&by={made.respond_by.isoformat()}"

    return _act(request, session, principal, "complaint", values, idempotency_key, work)


@router.post("/portal/opt-out")
def portal_opt_out(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    channel: Field = "",
    idempotency_key: once.Key = "",
    csrf_token: Csrf = None,
) -> Response:
    """Stop a channel (SMS, e-mail or calls) at all the customer's contact points, recorded as
    the customer's own request (the gate reads it: OPT-OUT)."""
    auth.check_csrf(session, principal, csrf_token)

    def work() -> str:
        opt_out.opt_out_own(
            session, principal, _choice(channel, opt_out.PORTAL_CHANNELS, "channel"), now=now(request)
        )
        return "/portal?done=opt_out"

    return _act(request, session, principal, "contact", {"channel": channel}, idempotency_key, work)


@router.post("/portal/language")
def portal_language(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    language: Field = "",
    next: Annotated[str, Form(max_length=2000)] = "/portal?done=language",
    csrf_token: Csrf = None,
) -> Response:
    """The customer's language, for the portal and for every message we send them (the
    header's switcher and the portal's form, for a customer), recorded as their own choice."""
    auth.check_csrf(session, principal, csrf_token)
    chosen = normalise_language(language) or language

    def work() -> str:
        opt_out.choose_language_own(
            session, principal, _choice(chosen, LANGUAGES, "language"), now=now(request)
        )
        return render.safe_next(next)

    answer = _act(request, session, principal, "contact", {"language": language}, "", work)
    if answer.status_code == 303 and chosen in LANGUAGES:
        render.set_cookie(request, answer, render.LANGUAGE_COOKIE, chosen, max_age=render.YEAR)
    return answer
