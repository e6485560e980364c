"""The administrator's pages (系统管理): users (list, create, change role, team and state), teams and
agencies (list, create).

Thin, like ``arrears.auth.api``: the same permissions (``user.read`` to list, ``user.manage``,
``team.manage``, ``agency.manage`` to change) and the same services of ``arrears.auth.service``,
each change audited there. A refused form (a weak password, a taken name, the last
administrator disabled) is shown on the page with its 4xx status, nothing written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now
from arrears.auth import repository as people
from arrears.auth import service as auth
from arrears.auth.permissions import ROLE_NAMES, Permission, Role
from arrears.auth.principal import Principal
from arrears.errors import ConflictError, InvalidInputError
from arrears.i18n import N_
from arrears.portfolio.models import Customer
from arrears.web import render
from arrears.web.supervise import refusal

router = APIRouter(include_in_schema=False)

UserReader = Annotated[Principal, Depends(page_requires(Permission.USER_READ))]
UserManager = Annotated[Principal, Depends(page_requires(Permission.USER_MANAGE))]
TeamManager = Annotated[Principal, Depends(page_requires(Permission.TEAM_MANAGE))]
AgencyManager = Annotated[Principal, Depends(page_requires(Permission.AGENCY_MANAGE))]
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=200)]

SHOWN = 500
"""Users the page lists at most."""
DONE = {
    "created": N_("The user is created."),
    "changed": N_("The user is changed."),
    "team": N_("The team is created."),
    "agency": N_("The agency is created."),
    "leader": N_("The team has its new leader."),
}


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def _exists(session: Session) -> Any:
    return lambda customer_id: session.get(Customer, customer_id) is not None


def _id(value: str) -> int | None:
    """A select's id ("" for none); anything else than digits: invalid input."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise InvalidInputError(N_("Choose from the list"))
    return int(value)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInputError(N_("Choose a role from the list")) from None


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    done: str | None = None,
    refused: InvalidInputError | ConflictError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    users = list(people.users(session, limit=SHOWN))
    teams = list(people.teams(session))
    agencies = list(people.agencies(session))
    context = {
        "users": users,
        "teams": teams,
        "team_codes": {team.id: team.code for team in teams},
        "agencies": agencies,
        "agency_codes": {agency.id: agency.code for agency in agencies},
        "leaders": people.leaders(session, [team.id for team in teams]),
        "members": people.members(session, [team.id for team in teams]),
        "supervisors": [u for u in users if u.role == Role.SUPERVISOR and u.active],
        "roles": [(str(role), ROLE_NAMES[role]) for role in Role],
        "role_names": {str(role): ROLE_NAMES[role] for role in Role},
        "may": {
            "users": principal.may(Permission.USER_MANAGE),
            "teams": principal.may(Permission.TEAM_MANAGE),
            "agencies": principal.may(Permission.AGENCY_MANAGE),
        },
        "done": DONE.get(done or ""),
        "problem": refused.message(render.language_of(request)) if refused else None,
        "form": form or {},
    }
    return render.render(request, "admin.html", context, status=refused.http_status if refused else 200)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request,
    session: DatabaseSession,
    principal: UserReader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Users, teams and agencies (the same lists as GET /api/v1/users, /teams, /agencies), with
    the forms the reader's permissions allow."""
    return _page(request, session, principal, done=done)


@router.post("/admin/users")
def create_user(
    request: Request,
    session: DatabaseSession,
    principal: UserManager,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    team_id: Annotated[str, Form(max_length=12)] = "",
    agency_id: Annotated[str, Form(max_length=12)] = "",
    display_name: Text = "",
) -> Response:
    """Create a person who signs in with a password (the same service as POST /api/v1/users)."""
    with refusal(session) as caught:
        auth.create_user(
            session,
            principal.actor(),
            now=now(request),
            username=username,
            role=_role(role),
            password=password,
            team_id=_id(team_id),
            agency_id=_id(agency_id),
            display_name=display_name or None,
            customer_exists=_exists(session),
        )
    if caught:
        form = {"username": username, "role": role, "display_name": display_name, "team_id": team_id}
        return _page(request, session, principal, refused=caught[0], form=form)
    return _see_other("/admin?done=created")


@router.post("/admin/users/{user_id}")
def change_user(
    request: Request,
    session: DatabaseSession,
    principal: UserManager,
    user_id: UserId,
    role: Annotated[str, Form(max_length=32)] = "",
    team_id: Annotated[str, Form(max_length=12)] = "",
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Change a user's role, team or state; disabling revokes their credentials at once (the same
    service as PATCH /api/v1/users/{id})."""
    with refusal(session) as caught:
        changes = auth.UserChanges(
            role=_role(role),
            team_id=_id(team_id),
            active=active == "true",
        )
        auth.update_user(
            session,
            principal.actor(),
            auth.user_with_id(session, user_id),
            changes,
            now=now(request),
            customer_exists=_exists(session),
        )
    if caught:
        return _page(request, session, principal, refused=caught[0])
    return _see_other("/admin?done=changed")


@router.post("/admin/teams")
def create_team(
    request: Request,
    session: DatabaseSession,
    principal: TeamManager,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Text = "",
) -> Response:
    """Create a team (the same service as POST /api/v1/teams)."""
    with refusal(session) as caught:
        auth.create_team(session, principal.actor(), now=now(request), code=code, name=name)
    if caught:
        return _page(request, session, principal, refused=caught[0])
    return _see_other("/admin?done=team")


@router.post("/admin/teams/{team_id}/leaders")
def add_team_leader(
    request: Request,
    session: DatabaseSession,
    principal: TeamManager,
    team_id: UserId,
    user_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """A supervisor leads this team too (the same service as POST /api/v1/teams/{id}/leaders)."""
    with refusal(session) as caught:
        leader = _id(user_id)
        if leader is None:
            raise InvalidInputError(N_("Choose from the list"))
        auth.add_leader(
            session,
            principal.actor(),
            auth.team_with_id(session, team_id),
            auth.user_with_id(session, leader),
            now=now(request),
        )
    if caught:
        return _page(request, session, principal, refused=caught[0])
    return _see_other("/admin?done=leader")


@router.post("/admin/agencies")
def create_agency(
    request: Request,
    session: DatabaseSession,
    principal: AgencyManager,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Text = "",
) -> Response:
    """Create an agency (the same service as POST /api/v1/agencies)."""
    with refusal(session) as caught:
        auth.create_agency(session, principal.actor(), now=now(request), code=code, name=name)
    if caught:
        return _page(request, session, principal, refused=caught[0])
    return _see_other("/admin?done=agency")
