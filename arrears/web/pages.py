"""The pages: sign-in and sign-out, the language switcher, my work (催收工作台), next case and the
case page.

Thin, like the API's routes: each declares its access with a page twin of ``arrears.api.access``,
calls the same service function as the API in the request's unit of work, and renders a template
(``arrears.web.render``). A form that changes something answers 303 to the page that shows the
result (post/redirect/get). Out-of-scope objects are the services' 404, shown as a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from arrears.api.access import (
    SESSION_COOKIE,
    DatabaseSession,
    page_public,
    page_requires,
    page_signed_in,
)
from arrears.api.paging import now, today
from arrears.auth import service as auth
from arrears.auth.api import sign_in as sign_in_service
from arrears.auth.models import CredentialKind
from arrears.auth.permissions import Permission, PersonalField
from arrears.auth.principal import Principal
from arrears.cases import views
from arrears.channels.call_scripts import script_for_case
from arrears.contacts.dispositions import dispositions
from arrears.contacts.gate import answers_now, pack_of
from arrears.disputes import disputes, holds
from arrears.disputes.models import DisputeStatus
from arrears.i18n import LANGUAGES, N_, normalise_language
from arrears.portfolio.views import contact_card, record_look, shown
from arrears.queues import calls, next_case
from arrears.queues import service as queues
from arrears.queues.calls import TaskState
from arrears.queues.service import QueueSize
from arrears.queues.today import my_day
from arrears.strategy import service as strategy_service
from arrears.timeline import service as timeline
from arrears.web import case_forms, render, strategy_pages
from arrears.web.render import CSRF_COOKIE, FORM_FIELD, LANGUAGE_COOKIE, YEAR

router = APIRouter(include_in_schema=False)

Signed = Annotated[Principal, Depends(page_signed_in)]
Worker = Annotated[Principal, Depends(page_requires(Permission.QUEUE_WORK))]
CaseReader = Annotated[Principal, Depends(page_requires(Permission.CASE_READ))]
Next = Annotated[str, Form(max_length=2000)]
FormToken = Annotated[str | None, Form(alias=FORM_FIELD, max_length=200)]


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


# --- sign-in, sign-out, language --------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse, dependencies=[Depends(page_public)])
def sign_in_page(
    request: Request,
    next: Annotated[str, Query(max_length=2000)] = "/",
    expired: Annotated[bool, Query()] = False,
) -> Response:
    """The sign-in form; says so when the session has expired."""
    return render.render(request, "sign_in.html", {"next": render.safe_next(next), "expired": expired})


@router.post("/sign-in", dependencies=[Depends(page_public)])
def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    form_token: FormToken = None,
    next: Next = "/",
) -> Response:
    """Sign in with the same service and session cookie as POST /api/v1/auth/session."""
    render.check_form_token(request, form_token)
    try:
        granted = sign_in_service(request, username, password, CredentialKind.SESSION)
    except (auth.SignInRefusedError, auth.TooManySignInsError) as refusal:
        context = {"next": render.safe_next(next), "expired": False, "refusal": refusal, "username": username}
        answer = render.render(request, "sign_in.html", context, status=refusal.http_status)
        answer.headers.update(getattr(refusal, "headers", None) or {})
        return answer
    response = _see_other(render.safe_next(next))
    lifetime = int(request.app.state.context.lifetimes.total.total_seconds())
    render.set_cookie(request, response, SESSION_COOKIE, granted.secret, max_age=lifetime)
    render.set_cookie(request, response, CSRF_COOKIE, granted.csrf_token or "", max_age=lifetime)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: DatabaseSession, principal: Signed) -> Response:
    """End the web session (the same service as DELETE /api/v1/auth/session)."""
    auth.sign_out(session, principal, now=now(request))
    response = _see_other("/portal/sign-in" if principal.customer_id else "/sign-in")
    render.end_session_cookies(request, response)
    return response


@router.post("/language", dependencies=[Depends(page_public)])
def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=20)],
    form_token: FormToken = None,
    next: Next = "/",
) -> Response:
    """Keep the reader's language (a cookie); zh-CN or en."""
    render.check_form_token(request, form_token)
    chosen = normalise_language(language)
    response = _see_other(render.safe_next(next))
    if chosen in LANGUAGES:
        render.set_cookie(request, response, LANGUAGE_COOKIE, chosen, max_age=YEAR)
    return response


# --- my work ----------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def my_work(
    request: Request,
    session: DatabaseSession,
    principal: Signed,
    empty: Annotated[bool, Query()] = False,
) -> Response:
    """My work (催收工作台): my queues with their counts, the next-case button, the strategy's
    calls of the day with their windows (audited, as GET /api/v1/call-tasks), the promises and
    callbacks due today on my cases and my numbers today."""
    if principal.may(Permission.PORTAL_USE):  # a customer's home is the portal
        return _see_other("/portal")
    if not principal.may(Permission.QUEUE_WORK):
        return render.render(request, "my_work.html", {"works": False})
    settings = request.app.state.context.settings
    business_day = today(request)
    sizes = queues.queues(session, principal, business_day)[1]
    day = my_day(
        session,
        principal,
        dispositions(settings.dispositions),
        today=business_day,
        bank_zone=settings.bank_timezone,
    )
    at = now(request)
    tasks = calls.call_tasks(session, principal, day=business_day, at=at)  # audited: the last read
    context = {
        "works": True,
        "queues": _by_queue(sizes),
        "total": sum(s.cases for s in sizes),
        "my_day": day,
        "call_tasks": [(task, task.state(at)) for task in tasks],
        "state_words": CALL_STATE_WORDS,
        "empty": empty,
    }
    return render.render(request, "my_work.html", context)


CALL_STATE_WORDS = {
    TaskState.DONE: N_("done"),
    TaskState.OPEN: N_("window open now"),
    TaskState.LATER: N_("window not open yet"),
    TaskState.PASSED: N_("window passed"),
}


@dataclass(frozen=True)
class QueueRow:
    """A queue on my work: its sizes in every currency together."""

    queue: str
    cases: int
    overdue: dict[str, int]
    mean_dpd: float
    oldest_entry: date | None


def _by_queue(sizes: list[QueueSize]) -> list[QueueRow]:
    """One row per queue (the service counts per queue and currency): the cases added up, the
    overdue amount per currency, the mean DPD weighted by cases, the oldest entry."""
    grouped: dict[tuple[int, str], list[QueueSize]] = {}
    for size in sizes:
        grouped.setdefault((size.team_id, size.queue), []).append(size)
    rows = []
    for (_, queue), parts in grouped.items():
        cases = sum(p.cases for p in parts)
        entries = [p.oldest_entry for p in parts if p.oldest_entry is not None]
        rows.append(
            QueueRow(
                queue=queue,
                cases=cases,
                overdue={p.currency: p.overdue for p in sorted(parts, key=lambda p: p.currency)},
                mean_dpd=sum(p.mean_dpd * p.cases for p in parts) / cases if cases else 0.0,
                oldest_entry=min(entries) if entries else None,
            )
        )
    return rows


@router.post("/next-case")
def take_next_case(request: Request, session: DatabaseSession, principal: Worker) -> Response:
    """Take the next case (the same service as POST /api/v1/queues/next) and open it; back to my
    work with a notice when no case can be worked now."""
    settings = request.app.state.context.settings
    try:
        handed = next_case.next_case(
            session,
            principal,
            now=now(request),
            today=today(request),
            lease_minutes=settings.lease_minutes,
            pack=pack_of(settings.compliance_pack, settings.compliance_policy),
        )
    except next_case.NoCaseToWorkError:
        return _see_other("/?empty=1")
    return _see_other(f"/cases/{handed.case_id}")


# --- the case ---------------------------------------------------------------------------------


TIMELINE_SHOWN = 20
"""The newest timeline entries the case page shows."""
STRATEGY_ACTIONS_SHOWN = 20
"""The newest actions the strategy chose that the case page shows."""


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, session: DatabaseSession, principal: CaseReader, case_id: str) -> Response:
    """One case: its standing holds and open disputes first, its customer (masked by role), the
    approved call script for its bucket in the reader's language, each contact point with the
    gate's answer now, accounts and newest timeline entries; 404 out of the reader's scope. Each
    look is audited as the API audits it (the case, holds, timeline)."""
    settings = request.app.state.context.settings
    day, at = today(request), now(request)
    extras = case_forms.case_page_extras(request, session, principal, case_id[:100])
    # before the case's read, as GET /api/v1/cases/{id} does (the look is recorded last)
    script = script_for_case(
        session, principal, case_id[:100], language=render.language_of(request), today=day
    )
    chosen = strategy_service.case_actions(session, principal, case_id[:100], today=day, at=at)
    found = views.read_case(session, principal, case_id[:100], today=day, at=at)
    customer, customer_id = found.customer, found.customer.customer_id
    standing = holds.holds_of(session, principal, customer_id, standing=True, today=day)
    record_look(session, principal, "hold.read", "customer", customer_id, customer_id, at=at)
    open_disputes = disputes.listing(
        session,
        principal,
        today=day,
        case_id=found.case.case_id,
        status=str(DisputeStatus.OPEN),
        overdue=False,
        before_id=None,
        limit=TIMELINE_SHOWN,
    )
    entries, names = timeline.timeline(
        session,
        principal,
        found.case.case_id,
        after=None,
        limit=TIMELINE_SHOWN,
        today=day,
        now=at,
        bank_zone=settings.bank_timezone,
        language=render.language_of(request),
    )
    answers = answers_now(
        session,
        customer_id,
        at=at,
        pack=pack_of(settings.compliance_pack, settings.compliance_policy),
        codes=dispositions(settings.dispositions),
    )
    return render.render(
        request,
        "case.html",
        {
            "case": found.case,
            "customer_name": customer.name,
            "national_id": shown(principal, PersonalField.NATIONAL_ID, customer.national_id),
            "accounts": found.accounts,
            "holds": [hold for hold in standing if hold.case_id in (None, found.case.case_id)],
            "disputes": open_disputes,
            "entries": entries,
            "names": names,
            "word": timeline.word,
            "points": [(contact_card(principal, answer.point), answer) for answer in answers],
            "script": script,
            "strategy_actions": chosen[:STRATEGY_ACTIONS_SHOWN],
            "more_strategy_actions": len(chosen) > STRATEGY_ACTIONS_SHOWN,
            "why": strategy_pages.why_reader(session, render.language_of(request)),
            "action_words": strategy_pages.ACTION_WORDS,
            "status_words": strategy_pages.STATUS_WORDS,
            **extras,
        },
    )
