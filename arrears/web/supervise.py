"""The supervisor's pages (催收主管): the approval inbox, the queues with their ageing,
reassignment of cases to a collector, the placements with agencies.

Thin, like the API's routes: each declares its access with a page twin, calls the same service as
the API (``arrangements.plans`` as ``plan_api``, ``cases.assignment`` as ``work_api``,
``queues.service.overview`` as ``GET /api/v1/queues/overview``, ``cases.placements.listing``) in
the request's unit of work, and renders a template. A refused form (a short reason, a stale
version, a closed case) is shown on the page with its 4xx status, its writes rolled back (a
savepoint); a permission refused is the 403 page, an object out of scope the 404 page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now, today
from arrears.arrangements import plans
from arrears.arrangements.limits import load_limits
from arrears.arrangements.plan_schemas import MAX_ID
from arrears.auth import repository as people
from arrears.auth.permissions import Permission, Role
from arrears.auth.principal import Principal
from arrears.cases import assignment, placements, views
from arrears.cases.assignment import Target
from arrears.cases.repository import CaseFilters
from arrears.errors import ConflictError, InvalidInputError
from arrears.i18n import N_, translate
from arrears.queues import service as queues
from arrears.web import render

router = APIRouter(include_in_schema=False)

Approver = Annotated[Principal, Depends(page_requires(Permission.ARRANGEMENT_APPROVE))]
QueueReader = Annotated[Principal, Depends(page_requires(Permission.QUEUE_READ))]
Assigner = Annotated[Principal, Depends(page_requires(Permission.CASE_ASSIGN))]
PlacementReader = Annotated[Principal, Depends(page_requires(Permission.PLACEMENT_READ))]
ArrangementId = Annotated[int, Path(ge=1, le=MAX_ID)]
Note = Annotated[str, Form(max_length=500)]
Version = Annotated[int | None, Form(ge=0, le=2**31 - 1)]
SmallId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]

NO_TARGET = N_("Choose the team or collector the cases go to")
SHOWN = 100
"""Rows a list shows at most (the oldest proposals, the worst cases, the newest placements)."""


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@contextmanager
def refusal(session: Session) -> Iterator[list[InvalidInputError | ConflictError]]:
    """Run a form's service call in a savepoint; a refusal the reader can fix (bad input, a
    conflict) rolls the savepoint back and is kept for the page to show."""
    caught: list[InvalidInputError | ConflictError] = []
    try:
        with session.begin_nested():
            yield caught
    except (InvalidInputError, ConflictError) as refused:
        caught.append(refused)


LIMITS = {
    "discount": N_("Discount {value}, the maker's limit {maximum}"),
    "waived_fees": N_("Fees waived {value}, the maker's limit {maximum}"),
    "waived_share": N_("Fees waived as a share {value}, the maker's limit {maximum}"),
    "months": N_("{value} months, the maker's limit {maximum}"),
    "installments": N_("{value} installments, the maker's limit {maximum}"),
}
"""Each limit a proposal may pass (``limits.Breach``), in words."""


def limits_passed(stored: str | None, language: str) -> list[str]:
    """The limits a proposal passes (stored as ``limit value > maximum; …``) in the reader's words."""
    said = []
    for part in (stored or "").split("; "):
        limit, _, rest = part.partition(" ")
        value, _, maximum = rest.partition(" > ")
        if limit in LIMITS and maximum:
            said.append(translate(LIMITS[limit], language, value=value, maximum=maximum))
        elif part:
            said.append(part)
    return said


def names_of(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    found: dict[int, str] = {}
    for user_id in user_ids:
        if user_id is not None and (user := people.user_by_id(session, user_id)) is not None:
            found[user_id] = user.display_name or user.username
    return found


# --- the approval inbox -----------------------------------------------------------------------


@router.get("/approvals", response_class=HTMLResponse)
def approvals(
    request: Request,
    session: DatabaseSession,
    principal: Approver,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The approval inbox (审批): plans and settlements waiting beyond their makers' limits on the
    cases of my teams, oldest first, with approve and reject (the same service as GET
    /api/v1/approvals)."""
    return _approvals(request, session, principal, done=done)


def _approvals(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    done: str | None = None,
    refused: InvalidInputError | ConflictError | None = None,
    failed_id: int | None = None,
) -> Response:
    rows = plans.inbox(session, principal, today(request), after=None, limit=SHOWN + 1)
    parts = plans.installments(session, [row.id for row in rows[:SHOWN]])
    language = render.language_of(request)
    context: dict[str, Any] = {
        "limits": {row.id: limits_passed(row.approval_reasons, language) for row in rows[:SHOWN]},
        "rows": rows[:SHOWN],
        "more": len(rows) > SHOWN,
        "parts": parts,
        "names": names_of(session, {row.proposed_by for row in rows}),
        "done": done if done in ("approved", "rejected") else None,
        "problem": refused.message(render.language_of(request)) if refused else None,
        "failed_id": failed_id,
    }
    return render.render(request, "approvals.html", context, status=refused.http_status if refused else 200)


def _decide(
    request: Request,
    session: Session,
    principal: Principal,
    arrangement_id: int,
    outcome: str,
    decide: Callable[[], object],
) -> Response:
    with refusal(session) as caught:
        decide()
    if caught:
        return _approvals(request, session, principal, refused=caught[0], failed_id=arrangement_id)
    return _see_other(f"/approvals?done={outcome}")


@router.post("/approvals/{arrangement_id}/approve")
def approve(
    request: Request,
    session: DatabaseSession,
    principal: Approver,
    arrangement_id: ArrangementId,
    version: Version = None,
    note: Note = "",
) -> Response:
    """Approve a proposal within my role's limits, never my own (the same service as POST
    /api/v1/arrangements/{id}/approve)."""
    limits = load_limits(request.app.state.context.settings.approval_limits)
    return _decide(
        request,
        session,
        principal,
        arrangement_id,
        "approved",
        lambda: plans.approve(
            session,
            principal,
            arrangement_id,
            version,
            note or None,
            limits,
            now=now(request),
            today=today(request),
        ),
    )


@router.post("/approvals/{arrangement_id}/reject")
def reject(
    request: Request,
    session: DatabaseSession,
    principal: Approver,
    arrangement_id: ArrangementId,
    version: Version = None,
    note: Note = "",
) -> Response:
    """Reject a proposal with the reason (the same service as POST /api/v1/arrangements/{id}/reject)."""
    return _decide(
        request,
        session,
        principal,
        arrangement_id,
        "rejected",
        lambda: plans.reject(
            session, principal, arrangement_id, version, note, now=now(request), today=today(request)
        ),
    )


# --- queues -----------------------------------------------------------------------------------


@router.get("/queues", response_class=HTMLResponse)
def queue_overview(request: Request, session: DatabaseSession, principal: QueueReader) -> Response:
    """The queues I watch with their sizes and ageing (the same service as GET
    /api/v1/queues/overview)."""
    active, sizes = queues.overview(session, principal, today(request))
    teams = people.team_codes(session, {size.team_id for size in sizes})
    context = {
        "active": active,
        "sizes": sizes,
        "teams": teams,
        "total": sum(s.cases for s in sizes),
        "may_assign": principal.may(Permission.CASE_ASSIGN),
    }
    return render.render(request, "queues.html", context)


# --- reassignment -----------------------------------------------------------------------------


def _targets(session: Session, principal: Principal) -> tuple[dict[int, str], list[tuple[int, str, int]]]:
    """The teams I lead (id → code) and their active collectors (id, name, team)."""
    led = people.team_codes(session, principal.led_team_ids)
    collectors = [
        (user.id, user.display_name or user.username, user.team_id)
        for user in people.users(session, machines=False)
        if user.role == Role.COLLECTOR and user.active and user.team_id in led
    ]
    return led, collectors


def _reassign_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    team: int | None = None,
    collector: int | None = None,
    bucket: str | None = None,
    moved: int | None = None,
    refused: InvalidInputError | ConflictError | None = None,
    chosen: tuple[list[str], int | None, int | None, str] = ([], None, None, ""),
) -> Response:
    filters = CaseFilters(status="open", bucket=bucket or None, team_id=team, collector_id=collector)
    rows = views.list_cases(session, principal, filters, today=today(request), limit=SHOWN + 1)
    teams, collectors = _targets(session, principal)
    context = {
        "rows": rows[:SHOWN],
        "more": len(rows) > SHOWN,
        "teams": teams | people.team_codes(session, {row.team_id for row in rows if row.team_id}),
        "led": teams,
        "collectors": collectors,
        "names": names_of(session, {row.collector_id for row in rows}),
        "filter": {"team": team, "collector": collector, "bucket": bucket or ""},
        "moved": moved,
        "problem": refused.message(render.language_of(request)) if refused else None,
        "chosen": {"cases": set(chosen[0]), "team": chosen[1], "collector": chosen[2], "reason": chosen[3]},
    }
    return render.render(request, "reassign.html", context, status=refused.http_status if refused else 200)


@router.get("/reassign", response_class=HTMLResponse)
def reassign_page(
    request: Request,
    session: DatabaseSession,
    principal: Assigner,
    team: SmallId = None,
    collector: SmallId = None,
    bucket: Annotated[str | None, Query(max_length=16)] = None,
    moved: Annotated[int | None, Query(ge=0, le=10_000)] = None,
) -> Response:
    """The open cases of my teams, worst first, to reassign one or many to a team and collector
    with a reason."""
    return _reassign_page(
        request, session, principal, team=team, collector=collector, bucket=bucket, moved=moved
    )


@router.post("/reassign")
def reassign(
    request: Request,
    session: DatabaseSession,
    principal: Assigner,
    case_id: Annotated[list[str], Form(max_length=assignment.MAX_BULK)] = [],  # noqa: B006 - FastAPI copies it
    target: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Reassign the cases ticked to a team (and collector), all or nothing, with the reason (the
    same service as POST /api/v1/cases/assignments; each case audited)."""
    team_id, collector_id = _target(target)
    ids = [value[:100] for value in case_id]
    with refusal(session) as caught:
        if team_id is None:
            raise InvalidInputError(NO_TARGET)
        made = assignment.assign(
            session,
            principal,
            ids,
            Target(team_id, collector_id),
            reason,
            now=now(request),
            today=today(request),
        )
    if caught:
        chosen = (ids, team_id, collector_id, reason)
        return _reassign_page(request, session, principal, refused=caught[0], chosen=chosen)
    return _see_other(f"/reassign?moved={len(made)}")


def _target(value: str) -> tuple[int | None, int | None]:
    """``team`` or ``team:collector`` (the target list's values) as ids; nothing readable: none."""
    team, _, collector = value.partition(":")
    try:
        return int(team), int(collector) if collector else None
    except ValueError:
        return None, None


# --- placements -------------------------------------------------------------------------------


@router.get("/placements", response_class=HTMLResponse)
def placement_list(
    request: Request,
    session: DatabaseSession,
    principal: PlacementReader,
    active: Annotated[bool | None, Query()] = None,
) -> Response:
    """The placements with agencies of the accounts I see, newest first (the same service as
    GET /api/v1/placements)."""
    day = today(request)
    rows = placements.listing(session, principal, today=day, active=active, limit=SHOWN)
    agencies = people.agency_codes(session, {row.agency_id for row in rows})
    context = {"rows": rows, "agencies": agencies, "today": day, "active": active}
    return render.render(request, "placements.html", context)
