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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from arrears.api.access import SESSION_COOKIE, DatabaseSession, page_public, page_requires
from arrears.api.paging import now, today
from arrears.arrangements import plans, promises
from arrears.arrangements.limits import load_limits
from arrears.arrangements.models import ArrangementStatus
from arrears.auth import service as auth
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases import views
from arrears.cases.models import CaseAccount, CaseStatus
from arrears.cases.repository import CaseFilters
from arrears.cases.scope import account_filter
from arrears.channels import opt_out, portal_codes
from arrears.disputes import complaints, disputes, holds
from arrears.disputes.complaints import ComplaintCategory
from arrears.disputes.disputes import DisputeKind
from arrears.disputes.models import Hold
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.portfolio import repository as portfolio
from arrears.portfolio import views as account_views
from arrears.portfolio.models import Account, Installment
from arrears.portfolio.views import record_look
from arrears.web import render
from arrears.web.render import CSRF_COOKIE, FORM_FIELD

router = APIRouter(include_in_schema=False)

Customer = Annotated[Principal, Depends(page_requires(Permission.PORTAL_USE))]
FormToken = Annotated[str | None, Form(alias=FORM_FIELD, max_length=200)]
CaseId = Annotated[str, Form(max_length=100)]
ACCOUNT_COOKIE = "arrears_portal_account"
"""The account number between asking for a code and giving it (HttpOnly, for the code's life)."""
CASES_SHOWN = 20
INSTALLMENTS_READ = 36
PLAN_COUNTS = (1, 2, 3, 4, 5, 6, 9, 12)
DONE = {
    "promise": N_("Thank you: your promise to pay is recorded."),
    "plan_approved": N_("Your repayment plan is approved. Please pay each installment by its date."),
    "plan_pending": N_(
        "Your repayment plan is beyond what we can approve at once: the bank will review it and tell you."
    ),
    "dispute": N_("Your dispute is recorded. We stop asking you to pay while we look into it."),
    "complaint": N_("Your complaint is recorded. We will answer you by {day}."),
    "opt_out": N_("Done: we will not contact you that way any more."),
}


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
    """Ask for a one-time code (the same answer whether the account is ours or not)."""
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
    promise, accept a plan, raise a dispute or a complaint and stop a channel. Each look is
    audited as the API audits it."""
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
        cases.append((found.case, owed, arrangements, open_promises))
    standing: Sequence[Hold] = []
    if principal.customer_id:
        standing = holds.holds_of(session, principal, principal.customer_id, standing=True, today=day)
        # audited as the case page and GET /api/v1/customers/{id}/holds audit it
        record_look(
            session, principal, "hold.read", "customer", principal.customer_id, principal.customer_id, at=at
        )
    context = {
        "cases": cases,
        "holds": standing,
        "done": DONE.get(done or ""),
        "done_day": by,
        "today": day,
        "plan_counts": PLAN_COUNTS,
        "dispute_kinds": [str(kind) for kind in DisputeKind],
        "complaint_categories": [str(category) for category in ComplaintCategory],
        "channels": opt_out.PORTAL_CHANNELS,
        "stopped": opt_out.opted_out(session, principal),
    }
    return render.render(request, "portal.html", context)


# --- what the customer does -----------------------------------------------------------------


def _csrf(session: DatabaseSession, principal: Principal, token: str | None) -> None:
    auth.check_csrf(session, principal, token)


Csrf = Annotated[str | None, Form(max_length=200)]


@router.post("/portal/promise")
def portal_promise(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: CaseId,
    currency: Annotated[str, Form(max_length=3)],
    pay_on: Annotated[date, Form()],
    amount: Annotated[str, Form(max_length=30)],
    csrf_token: Csrf = None,
) -> Response:
    """Promise to pay an amount on a date (the same service as POST /api/v1/cases/{id}/promises)."""
    _csrf(session, principal, csrf_token)
    terms = promises.Terms(installments=[(pay_on, amount.strip().replace(",", ""))], currency=currency)
    promises.take(session, principal, case_id, terms, now=now(request), today=today(request))
    return _see_other("/portal?done=promise")


@router.post("/portal/plan")
def portal_plan(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: CaseId,
    currency: Annotated[str, Form(max_length=3)],
    count: Annotated[int, Form(ge=1, le=60)],
    first_due_on: Annotated[date, Form()],
    csrf_token: Csrf = None,
) -> Response:
    """Accept a plan of all that is owed in equal monthly installments (the same service as
    POST /api/v1/cases/{id}/plans): approved at once within the customer role's limits, else
    waiting in the approvals inbox."""
    _csrf(session, principal, csrf_token)
    asked = plans.PlanRequest(
        terms=plans.Terms(first_due_on=first_due_on, count=count),
        amount=None,
        currency=currency,
        note="accepted by the customer in the self-service portal",
    )
    limits = load_limits(request.app.state.context.settings.approval_limits)
    made = plans.propose_plan(
        session, principal, case_id, asked, limits, now=now(request), today=today(request)
    )
    approved = made.status in (ArrangementStatus.APPROVED, ArrangementStatus.ACTIVE)
    return _see_other("/portal?done=" + ("plan_approved" if approved else "plan_pending"))


@router.post("/portal/dispute")
def portal_dispute(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: CaseId,
    kind: Annotated[str, Form(max_length=20)],
    description: Annotated[str, Form(max_length=4000)],
    csrf_token: Csrf = None,
) -> Response:
    """Raise a dispute (the same service as POST /api/v1/cases/{id}/disputes): contact pauses."""
    _csrf(session, principal, csrf_token)
    disputes.raise_dispute(
        session,
        principal,
        case_id,
        kind=kind,
        written=True,
        description=description,
        account_id=None,
        verify_days=request.app.state.context.settings.dispute_verify_days,
        now=now(request),
        today=today(request),
    )
    return _see_other("/portal?done=dispute")


@router.post("/portal/complaint")
def portal_complaint(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    case_id: CaseId,
    category: Annotated[str, Form(max_length=20)],
    description: Annotated[str, Form(max_length=4000)],
    csrf_token: Csrf = None,
) -> Response:
    """Make a complaint (the same service as POST /api/v1/cases/{id}/complaints)."""
    _csrf(session, principal, csrf_token)
    made = complaints.record_complaint(
        session,
        principal,
        case_id,
        category=category,
        description=description,
        about_user_id=None,
        contact_id=None,
        respond_days=request.app.state.context.settings.complaint_respond_days,
        now=now(request),
        today=today(request),
    )
    return _see_other(f"/portal?done=complaint&by={made.respond_by.isoformat()}")


@router.post("/portal/opt-out")
def portal_opt_out(
    request: Request,
    session: DatabaseSession,
    principal: Customer,
    channel: Annotated[str, Form(max_length=10)],
    csrf_token: Csrf = None,
) -> Response:
    """Stop a channel (SMS, e-mail or calls) at all the customer's contact points, recorded as
    the customer's own request (the gate reads it: OPT-OUT)."""
    _csrf(session, principal, csrf_token)
    if channel not in opt_out.PORTAL_CHANNELS:
        raise InvalidInputError(N_("Choose SMS, e-mail or calls"))
    opt_out.opt_out_own(session, principal, channel, now=now(request))
    return _see_other("/portal?done=opt_out")
