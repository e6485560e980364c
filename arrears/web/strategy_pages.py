"""The strategy analyst's and the approver's pages (催收策略): the strategies and their versions,
a version with its document, checks and preview, a new draft from pasted YAML, the diff of two
versions; and the serious steps the nights proposed, confirmed or declined by a person.

Thin, like the API's routes (``arrears.strategy.api``): each page declares its permission with a
page twin and calls the same service (``arrears.strategy.service``), which checks it again, in
the request's unit of work. A form that creates something (a draft, a decision) is done once for
its key (:mod:`arrears.web.once`); a refusal (a document that does not parse or pass its checks,
a stale version, one's own draft) is shown on the page with its 4xx status, its writes rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from arrears import idempotency
from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now, today
from arrears.auth.permissions import Permission, PersonalField
from arrears.auth.principal import Principal
from arrears.auth.service import new_secret
from arrears.cases import visits
from arrears.errors import ArrearsError, InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.strategy import carrying, service, simulations
from arrears.strategy.document import StrategyDocument
from arrears.strategy.evaluation import DuckDBStrategyEngine
from arrears.strategy.models import Strategy, StrategyAction, StrategyStatus
from arrears.strategy.preview import Preview, preview
from arrears.strategy.repository import parse_document
from arrears.strategy.validation import Problem, Report
from arrears.web import form_values, once, render
from arrears.web.supervise import names_of
from arrears.yamlfile import parse_yaml

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(page_requires(Permission.STRATEGY_READ))]
Writer = Annotated[Principal, Depends(page_requires(Permission.STRATEGY_WRITE))]
Approver = Annotated[Principal, Depends(page_requires(Permission.STRATEGY_APPROVE))]
Confirmer = Annotated[Principal, Depends(page_requires(Permission.ACTION_CONFIRM))]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[int | None, Form(ge=0, le=2**31 - 1)]
Reason = Annotated[str, Form(max_length=500)]
Done = Annotated[str | None, Query(max_length=20)]

SIMULATIONS_SHOWN = 10
"""The newest simulation runs a strategy's page lists (the rest on /simulations)."""

ACTION_WORDS = {
    "sms": N_("SMS"),
    "email": N_("E-mail"),
    "letter": N_("Letter"),
    "call": N_("Call"),
    "field_visit": N_("Field visit"),
    "agency_placement": N_("Agency placement"),
    "legal_referral": N_("Legal referral"),
}
STATUS_WORDS = {
    "draft": N_("draft"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "retired": N_("retired"),
    "planned": N_("planned"),
    "rescheduled": N_("rescheduled"),
    "escalated": N_("escalated"),
    "proposed": N_("proposed"),
    "confirmed": N_("confirmed"),
    "declined": N_("declined"),
    "withdrawn": N_("set aside"),
    "done": N_("done"),
    "skipped": N_("skipped"),
}
DONE = {
    "drafted": N_("The draft is saved. Another person approves it."),
    "approved": N_("The version is approved."),
    "rejected": N_("The draft is rejected."),
    "retired": N_("The version is retired: from the next night the version before it chooses."),
    "confirmed": N_("The step is confirmed and carried out."),
    "declined": N_("The step is declined."),
}
INTENTS = ("check", "save")


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def attempt(
    request: Request,
    session: Session,
    principal: Principal,
    key: str,
    values: Mapping[str, Any],
    work: Callable[[], str],
) -> str | ArrearsError:
    """``work()`` (which answers where to go next) in a savepoint, done once for the form's key
    (none: each time); the same form sent again answers where the first went. A refusal of the
    reader's to fix (a 4xx domain error) undoes the work and is given back to be shown; out of
    scope (404) and a failure (5xx) are raised as they are."""
    if key:
        once.take_turns(session)
    try:
        with session.begin_nested():
            return once.done_once(request, session, principal, key, values, work)
    except idempotency.KeyInUseError:
        return request.url.path
    except ArrearsError as error:
        if isinstance(error, NotFoundError) or error.http_status >= 500:
            raise
        return error


def _bank(request: Request) -> service.Bank:
    return service.bank_of(request.app.state.context.settings)


def preview_of(session: Session, document: StrategyDocument, day: date) -> Preview:
    """What the document would do to today's open cases (the API's preview, the same SQL)."""
    engine = DuckDBStrategyEngine()
    try:
        return preview(session.connection(), engine, document, day)
    finally:
        engine.close()


@dataclass(frozen=True)
class Finding:
    """A problem of a check as the page shows it: the line of the document it is on."""

    line: int
    where: str
    message: str
    warning: bool


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def findings(text: str, report: Report, language: str) -> list[Finding]:
    """The report's problems, each with the line of the text its place (``paths.a.steps[0]``) is on."""
    document = parse_yaml(text, "document")
    return [
        _finding(document.line(_as_written(document.data, _key(p.where))), p, language)
        for p in report.problems
    ]


def _as_written(data: Any, key: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The key of a place in the text as written: a path's steps are read sorted by day and
    action (``document.Path``), so a problem's step index is one of the sorted list."""
    if len(key) < 4 or key[0] != "paths" or key[2] != "steps" or not isinstance(key[3], int):
        return key
    try:
        steps = data["paths"][key[1]]["steps"]
        written = sorted(range(len(steps)), key=lambda i: (steps[i]["day"], steps[i]["action"]))
        return (*key[:3], written[key[3]], *key[4:])
    except (KeyError, IndexError, TypeError):
        return key


def _finding(line: int, problem: Problem, language: str) -> Finding:
    return Finding(line, problem.where, problem.message.render(language), problem.warning)


def _key(where: str) -> tuple[str | int, ...]:
    return tuple(int(index) if index else name for name, index in _STEP.findall(where))


# --- the strategies ---------------------------------------------------------------------------


@router.get("/strategies", response_class=HTMLResponse)
def strategy_list(request: Request, session: DatabaseSession, principal: Reader) -> Response:
    """Every version of every strategy, each code's newest first (the same service as GET
    /api/v1/strategies): status, the night it starts, who drafted and who decided."""
    rows = service.strategies(session, principal)
    language = render.language_of(request)
    context = {
        "rows": rows,
        "titles": {row.id: service.document_of(row).names.of(language) for row in rows},
        "names": names_of(session, {r.drafted_by for r in rows} | {r.decided_by for r in rows}),
        "statuses": STATUS_WORDS,
        "may_write": principal.may(Permission.STRATEGY_WRITE),
    }
    return render.render(request, "strategies.html", context)


def _version_page(
    request: Request,
    session: Session,
    principal: Principal,
    strategy_id: int,
    *,
    done: str | None = None,
    refused: ArrearsError | None = None,
) -> Response:
    row = service.strategy(session, principal, strategy_id)
    day, language = today(request), render.language_of(request)
    document = service.document_of(row)
    report = service.check(session, principal, document, _bank(request), day)
    versions = [r for r in service.strategies(session, principal) if r.code == row.code]
    context = {
        "row": row,
        "title": document.names.of(language),
        "findings": findings(row.document, report, language),
        "valid": report.valid,
        "preview": preview_of(session, document, day),
        "experiments": [e.code for e in document.experiments],
        "simulation_runs": simulations.runs(session, principal, strategy_id=row.id, limit=SIMULATIONS_SHOWN)
        if principal.may(Permission.SIMULATION_READ)
        else [],
        "versions": versions,
        "names": names_of(session, {row.drafted_by, row.decided_by}),
        "statuses": STATUS_WORDS,
        "actions": ACTION_WORDS,
        "today": day,
        "may_decide": principal.may(Permission.STRATEGY_APPROVE)
        and row.status == StrategyStatus.DRAFT
        and row.drafted_by != principal.user_id,
        "own_draft": row.drafted_by == principal.user_id,
        "may_retire": principal.may(Permission.STRATEGY_APPROVE) and row.status == StrategyStatus.APPROVED,
        "may_write": principal.may(Permission.STRATEGY_WRITE),
        "done": DONE.get(done or ""),
        "problem": refused.message(language) if refused else None,
    }
    status = refused.http_status if refused else 200
    return render.render(request, "strategy.html", context, status=status)


@router.get("/strategies/new", response_class=HTMLResponse)
def new_strategy(
    request: Request,
    session: DatabaseSession,
    principal: Writer,
    start: Annotated[int | None, Query(alias="from", ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The form to draft a strategy from pasted YAML (``from``: start from a stored version's text)."""
    text = "" if start is None else service.strategy(session, principal, start).document
    return _new_page(request, {"document": text, "note": ""})


def _new_page(
    request: Request,
    values: Mapping[str, str],
    *,
    refused: ArrearsError | None = None,
    shown: list[Finding] | None = None,
    checked: Preview | None = None,
    status: int | None = None,
) -> Response:
    language = render.language_of(request)
    context = {
        "values": values,
        "problem": refused.message(language) if refused else None,
        "findings": shown or [],
        "checked": checked is not None,
        "valid": checked is not None and not any(not f.warning for f in shown or []),
        "preview": checked,
        "actions": ACTION_WORDS,
        "form_key": new_secret,
    }
    answer = status if status is not None else (refused.http_status if refused else 200)
    return render.render(request, "strategy_new.html", context, status=answer)


@router.post("/strategies/new")
def draft_strategy(
    request: Request,
    session: DatabaseSession,
    principal: Writer,
    document: Annotated[str, Form(max_length=service.MAX_DOCUMENT + 1)] = "",
    note: Reason = "",
    intent: Annotated[str, Form(max_length=10)] = "save",
    idempotency_key: once.Key = "",
) -> Response:
    """Check the pasted YAML and preview it (``intent=check``, nothing stored), or store it as the
    next draft of its code (the same service as POST /api/v1/strategies) once it passes every
    check: a draft that cannot pass could never be approved. Whatever is wrong is shown beside
    the text, which is kept."""
    values = {"document": document, "note": note}
    day, language = today(request), render.language_of(request)
    if intent not in INTENTS:
        intent = "save"
    try:
        parsed = parse_document(document, "document") if document.strip() else None
    except ArrearsError as error:
        return _new_page(request, values, refused=error)
    if parsed is None:
        return _new_page(request, values, refused=InvalidInputError(N_("Paste the strategy's YAML")))
    report = service.check(session, principal, parsed, _bank(request), day)
    shown = findings(document, report, language)
    if intent == "check" or not report.valid:
        status = 200 if intent == "check" else 422
        return _new_page(
            request, values, shown=shown, checked=preview_of(session, parsed, day), status=status
        )

    def work() -> str:
        made = service.draft(session, principal, document, "document", note=note or None, now=now(request))
        return f"/strategies/{made.id}?done=drafted"

    target = attempt(request, session, principal, idempotency_key, values, work)
    if isinstance(target, ArrearsError):
        return _new_page(request, values, refused=target, shown=shown)
    return _see_other(target)


@router.get("/strategies/{strategy_id}", response_class=HTMLResponse)
def strategy_page(
    request: Request, session: DatabaseSession, principal: Reader, strategy_id: RowId, done: Done = None
) -> Response:
    """One version: its YAML, the checks' findings, what it would do to today's open cases per
    segment and step with the cost (the same services as GET /api/v1/strategies/{id} and its
    check), and approve, reject or retire for who may."""
    return _version_page(request, session, principal, strategy_id, done=done)


def _decide(
    request: Request, session: Session, principal: Principal, strategy_id: int, work: Callable[[], str]
) -> Response:
    target = attempt(request, session, principal, "", {}, work)
    if isinstance(target, ArrearsError):
        return _version_page(request, session, principal, strategy_id, refused=target)
    return _see_other(target)


@router.post("/strategies/{strategy_id}/approve")
def approve_strategy(
    request: Request,
    session: DatabaseSession,
    principal: Approver,
    strategy_id: RowId,
    active_from: Annotated[str, Form(max_length=20)] = "",
    version: Version = None,
) -> Response:
    """Approve a draft from a day (today or later), never one's own; it must pass every check
    (the same service as POST /api/v1/strategies/{id}/approve)."""
    day = today(request)

    def work() -> str:
        start = _day(active_from, day)
        service.approve(
            session,
            principal,
            strategy_id,
            active_from=start,
            bank=_bank(request),
            today=day,
            expected=version,
            now=now(request),
        )
        return f"/strategies/{strategy_id}?done=approved"

    return _decide(request, session, principal, strategy_id, work)


def _day(value: str, default: date) -> date:
    text = value.strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            N_("Active from: write a date like {example}"), example=default.isoformat()
        ) from None


def _reason(value: str) -> str:
    if not value.strip():
        raise InvalidInputError(N_("Say why"))
    return value.strip()


@router.post("/strategies/{strategy_id}/reject")
def reject_strategy(
    request: Request,
    session: DatabaseSession,
    principal: Approver,
    strategy_id: RowId,
    reason: Reason = "",
    version: Version = None,
) -> Response:
    """Reject a draft, saying why (the same service as POST /api/v1/strategies/{id}/reject)."""

    def work() -> str:
        service.reject(
            session, principal, strategy_id, reason=_reason(reason), expected=version, now=now(request)
        )
        return f"/strategies/{strategy_id}?done=rejected"

    return _decide(request, session, principal, strategy_id, work)


@router.post("/strategies/{strategy_id}/retire")
def retire_strategy(
    request: Request,
    session: DatabaseSession,
    principal: Approver,
    strategy_id: RowId,
    reason: Reason = "",
    version: Version = None,
) -> Response:
    """Stop an approved version from the next night, saying why (the same service as POST
    /api/v1/strategies/{id}/retire)."""

    def work() -> str:
        service.retire(
            session, principal, strategy_id, reason=_reason(reason), expected=version, now=now(request)
        )
        return f"/strategies/{strategy_id}?done=retired"

    return _decide(request, session, principal, strategy_id, work)


@router.get("/strategies/{strategy_id}/diff/{other_id}", response_class=HTMLResponse)
def strategy_diff(
    request: Request, session: DatabaseSession, principal: Reader, strategy_id: RowId, other_id: RowId
) -> Response:
    """What changed from one version's document to the other's (the same service as GET
    /api/v1/strategies/{a}/diff/{b})."""
    first = service.strategy(session, principal, strategy_id)
    second = service.strategy(session, principal, other_id)
    lines = [(_kind(line), line) for line in service.diff(first, second)]
    context = {"first": first, "second": second, "lines": lines}
    return render.render(request, "strategy_diff.html", context)


def _kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "added", "-": "removed"}.get(line[:1], "same")


# --- the proposals ----------------------------------------------------------------------------


@router.get("/strategy-actions/proposed", response_class=HTMLResponse)
def proposals_page(
    request: Request,
    session: DatabaseSession,
    principal: Confirmer,
    done: Done = None,
    action: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The serious steps (field visits, agency placements, legal referrals) waiting for a person on
    the cases I see, oldest first, each with why and what confirming it does, to confirm (carried
    out at once: the visit planned with the agent chosen, the accounts placed, the referral
    recorded) or decline with a note (the same services as GET /api/v1/strategy-actions/proposed)."""
    answered = service.answered_action(session, principal, action, today=today(request)) if action else None
    return _proposals(request, session, principal, done=done, answered=answered)


def _proposals(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    done: str | None = None,
    refused: ArrearsError | None = None,
    answered: StrategyAction | None = None,
) -> Response:
    rows = service.proposals(session, principal, today=today(request), at=now(request))
    may_visit = principal.may(Permission.VISIT_ASSIGN)
    context = {
        "rows": rows,
        "actions": ACTION_WORDS,
        "done": DONE.get(done or ""),
        "answered": answered,
        "made": made_links(answered) if answered is not None else [],
        "problem": refused.message(render.language_of(request)) if refused else None,
        "form_key": new_secret,
        "why": why_reader(session, render.language_of(request)),
        "may_carry_out": carrying.may_carry_out,
        "agents": visits.visit_agents(session, principal) if may_visit else [],
        "today": today(request),
        "last_visit_day": today(request) + timedelta(days=visits.MAX_DAYS_AHEAD),
        "default_days": carrying.DEFAULT_PLACEMENT_DAYS,
    }
    status = refused.http_status if refused else 200
    return render.render(request, "strategy_proposals.html", context, status=status)


def made_links(action: StrategyAction) -> list[tuple[str, dict[str, Any], str]]:
    """What a confirmation made, each as (words, their values, the address on the case page)."""
    case = f"/cases/{action.case_id}"
    links: list[tuple[str, dict[str, Any], str]] = []
    if action.visit_id is not None:
        links.append((N_("Field visit {id}"), {"id": action.visit_id}, f"{case}#visit-{action.visit_id}"))
    for placement_id in action.placement_ids or []:
        links.append((N_("Placement {id}"), {"id": placement_id}, f"{case}#placement-{placement_id}"))
    if action.case_event_id is not None:
        links.append(
            (
                N_("Legal referral on the case's timeline"),
                {},
                f"{case}#case_legal_referral-{action.case_event_id}",
            )
        )
    return links


UPLIFT_BANDS = {
    "persuadable": N_("persuadable: pays more often when contacted"),
    "sure_thing": N_("sure thing: likely to pay without contact"),
    "lost_cause": N_("lost cause: unlikely to pay either way"),
    "do_not_disturb": N_("do not disturb: pays less often when contacted"),
}
"""The uplift model's bands (:mod:`arrears.scoring.uplift`), as the staff pages name them."""


def why_lines(action: StrategyAction, principal: Principal) -> dict[str, Any]:
    """An action's why as the staff pages show it: version, segment, arm, path and day, the facts
    matched (a personal one masked unless the reader may see it), the score, band and reason, and
    the uplift band when the segment read it (its msgid; "—" when the case had none) with the
    gain behind it."""
    why = action.why or {}
    facts = dict(why.get("facts") or {})
    if "age" in facts and not principal.sees(PersonalField.BIRTH_DATE):
        facts["age"] = "••"
    return {
        "strategy": why.get("strategy"),
        "version": why.get("version"),
        "segment": why.get("segment"),
        "arm": why.get("arm") or "",
        "path": why.get("path"),
        "day": why.get("day"),
        "facts": facts,
        "score": why.get("score") or {},
        "uplift_band": UPLIFT_BANDS.get(str(facts.get("uplift_band"))) if "uplift_band" in facts else None,
        "uplift_gain": why.get("uplift_gain"),
        "names": {},
    }


def why_reader(session: Session, language: str) -> Callable[[StrategyAction, Principal], dict[str, Any]]:
    """:func:`why_lines` with the names the strategy's document gives its code, segment and path in
    the reader's language (each version's document read once a page)."""
    documents: dict[int, StrategyDocument | None] = {}

    def why(action: StrategyAction, principal: Principal) -> dict[str, Any]:
        if action.strategy_id not in documents:
            row = session.get(Strategy, action.strategy_id)
            documents[action.strategy_id] = None if row is None else service.document_of(row)
        lines = why_lines(action, principal)
        document = documents[action.strategy_id]
        if document is not None:
            lines["names"] = _names(document, lines, language)
        return lines

    return why


def _names(document: StrategyDocument, lines: dict[str, Any], language: str) -> dict[str, str]:
    segments = {segment.code: segment.names.of(language) for segment in document.all_segments}
    path = document.paths.get(str(lines["path"]))
    named = {"strategy": document.names.of(language)}
    if lines["segment"] in segments:
        named["segment"] = segments[lines["segment"]]
    if path is not None:
        named["path"] = path.names.of(language)
    return named


def _answer(
    request: Request,
    session: Session,
    principal: Principal,
    action_id: int,
    key: str,
    note: str,
    confirm: bool,
    visit: carrying.VisitChoice | None = None,
) -> Response:
    outcome = "confirmed" if confirm else "declined"

    def work() -> str:
        service.decide_action(
            session,
            principal,
            action_id,
            confirm=confirm,
            reason=note.strip() or None,
            today=today(request),
            now=now(request),
            visit=visit,
        )
        return f"/strategy-actions/proposed?done={outcome}&action={action_id}"

    values: dict[str, Any] = {"action": action_id, "confirm": confirm, "note": note}
    if visit is not None:
        values |= {"agent_id": visit.agent_id, "planned_on": str(visit.planned_on or "")}
    target = attempt(request, session, principal, key, values, work)
    if isinstance(target, ArrearsError):
        return _proposals(request, session, principal, refused=target)
    return _see_other(target)


@router.post("/strategy-actions/{action_id}/confirm")
def confirm_action(
    request: Request,
    session: DatabaseSession,
    principal: Confirmer,
    action_id: RowId,
    note: Reason = "",
    agent_id: Annotated[str, Form(max_length=12)] = "",
    planned_on: Annotated[str, Form(max_length=10)] = "",
    idempotency_key: once.Key = "",
) -> Response:
    """Confirm a proposed step, carried out at once (a field visit with the agent and day chosen);
    who confirmed, when and why is kept (the same service as POST
    /api/v1/strategy-actions/{id}/confirm)."""
    try:
        visit = carrying.VisitChoice(
            agent_id=form_values.whole_number(agent_id, "agent_id") if agent_id.strip() else None,
            planned_on=form_values.day(planned_on, "planned_on") if planned_on.strip() else None,
        )
    except InvalidInputError as error:
        return _proposals(request, session, principal, refused=error)
    return _answer(request, session, principal, action_id, idempotency_key, note, True, visit)


@router.post("/strategy-actions/{action_id}/decline")
def decline_action(
    request: Request,
    session: DatabaseSession,
    principal: Confirmer,
    action_id: RowId,
    note: Reason = "",
    idempotency_key: once.Key = "",
) -> Response:
    """Decline a proposed step with a note (the same service as POST
    /api/v1/strategy-actions/{id}/decline)."""
    return _answer(request, session, principal, action_id, idempotency_key, note, False)
