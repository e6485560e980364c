"""Routes of the auth context under /api/v1: sign-in, sign-out, who am I; users, teams, agencies.

Thin: each route declares its access, parses, calls the same service function as the command
line, and renders. The sign-in routes own their unit of work themselves: a refused attempt is
committed (kept for throttling and on the audit trail) before the refusal is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from arrears.api.access import SESSION_COOKIE, DatabaseSession, public, requires, signed_in
from arrears.api.paging import Cursor, decode_cursor, now, page_of
from arrears.api.paging import problem_responses as problems
from arrears.auth import repository
from arrears.auth import service as auth
from arrears.auth.models import Agency, CredentialKind, Team, User
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.auth.schemas import (
    AgencyCreate,
    AgencyList,
    AgencyOut,
    AgencyPatch,
    Leader,
    LeaderAdd,
    Me,
    SessionAnswer,
    TeamCreate,
    TeamList,
    TeamOut,
    TokenAnswer,
    UserCreate,
    UserList,
    UserOut,
    UserPatch,
)
from arrears.portfolio.models import Customer

router = APIRouter(tags=["auth"])

SIGNED_IN = (401, 403)
ADMIN = (401, 403, 422)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@contextmanager
def _unit_of_work(request: Request) -> Iterator[Session]:
    """A transaction of the route's own, committed when the block ends without an error."""
    with request.app.state.sessions() as session, session.begin():
        yield session


def _customers(session: Session) -> Callable[[str], bool]:
    return lambda customer_id: session.get(Customer, customer_id) is not None


# --- sign-in ---------------------------------------------------------------------------------


def sign_in(request: Request, username: str, password: str, kind: CredentialKind) -> auth.SignedIn:
    """Sign in for a way in (these routes, the web pages): the attempt committed, then the
    granted sign-in returned or the refusal raised."""
    context = request.app.state.context
    settings = context.settings
    with _unit_of_work(request) as session:
        outcome = auth.sign_in(
            session,
            username,
            password,
            kind=kind,
            now=context.clock.now(),
            lifetimes=context.lifetimes,
            throttle=auth.Throttle(
                max_failures=settings.sign_in_max_failures,
                window=timedelta(minutes=settings.sign_in_window_minutes),
            ),
            client=_client(request),
            request_id=getattr(request.state, "request_id", None),
            replaces=request.cookies.get(SESSION_COOKIE) if kind == CredentialKind.SESSION else None,
        )
    return outcome.result()  # after the commit: a refusal is on the record


@router.post(
    "/auth/token",
    response_model=TokenAnswer,
    dependencies=[Depends(public)],
    responses=problems(401, 422, 429),
)
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenAnswer:
    """Sign in with a user name and password (OAuth2 password form); answers an opaque bearer
    token. A refusal never says whether the user exists; too many failures answer 429."""
    granted = sign_in(request, form.username, form.password, CredentialKind.TOKEN)
    idle = request.app.state.context.lifetimes.idle
    return TokenAnswer(access_token=granted.secret, expires_in=int(idle.total_seconds()))


@router.post("/auth/logout", status_code=204, responses=problems(401, 403, 409))
def logout(
    request: Request, session: DatabaseSession, principal: Annotated[Principal, Depends(signed_in)]
) -> None:
    """Revoke the credential presented (a token or a web session)."""
    auth.sign_out(session, principal, now=now(request))


def _secure_cookie(request: Request) -> bool:
    settings = request.app.state.context.settings
    return bool(settings.session_cookie_secure or settings.environment == "production")


@router.post(
    "/auth/session",
    response_model=SessionAnswer,
    dependencies=[Depends(public)],
    responses=problems(401, 422, 429),
)
def open_session(
    request: Request, response: Response, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> SessionAnswer:
    """Web sign-in: sets the session cookie (HttpOnly, Secure, SameSite=Strict) and answers the
    CSRF token to send in X-CSRF-Token. A session presented is replaced by a new one."""
    granted = sign_in(request, form.username, form.password, CredentialKind.SESSION)
    lifetimes = request.app.state.context.lifetimes
    response.set_cookie(
        SESSION_COOKIE,
        granted.secret,
        max_age=int(lifetimes.total.total_seconds()),
        path="/",
        secure=_secure_cookie(request),
        httponly=True,
        samesite="strict",
    )
    assert granted.csrf_token is not None
    return SessionAnswer(
        csrf_token=granted.csrf_token,
        expires_in=int(lifetimes.idle.total_seconds()),
        username=granted.user.username,
        role=granted.user.role,
    )


@router.delete("/auth/session", status_code=204, responses=problems(401, 403, 409))
def close_session(
    request: Request,
    response: Response,
    session: DatabaseSession,
    principal: Annotated[Principal, Depends(signed_in)],
) -> None:
    """Web sign-out: the session ends and its cookie is cleared."""
    auth.sign_out(session, principal, now=now(request))
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=_secure_cookie(request), httponly=True, samesite="strict"
    )


@router.get("/auth/me", response_model=Me, responses=problems(401))
def me(principal: Annotated[Principal, Depends(signed_in)]) -> Me:
    """Who the credential signs in, and what their role allows."""
    return Me(
        user_id=principal.user_id,
        username=principal.username,
        role=str(principal.role),
        team_id=principal.team_id,
        led_team_ids=sorted(principal.led_team_ids),
        agency_id=principal.agency_id,
        customer_id=principal.customer_id,
        language=principal.language,
        permissions=sorted(str(p) for p in principal.permissions),
    )


# --- users -----------------------------------------------------------------------------------


def _user_out(session: Session, user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        machine=bool(user.is_machine),
        team_id=user.team_id,
        agency_id=user.agency_id,
        customer_id=user.customer_id,
        language=user.language,
        active=bool(user.active),
        led_team_ids=sorted(repository.led_team_ids(session, user.id)),
        created_at=user.created_at,
        password_changed_at=user.password_changed_at,
    )


@router.get("/users", response_model=UserList, responses=problems(*ADMIN))
def list_users(
    session: DatabaseSession,
    _: Annotated[Principal, Depends(requires(Permission.USER_READ))],
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UserList:
    """Users (people and machine clients), by id, a page at a time."""
    after = decode_cursor(cursor, "users", int)
    found = repository.users(session, after=after[0] if after else None, limit=limit + 1)
    page, following = page_of(found, limit, "users", lambda user: (user.id,))
    return UserList(items=[_user_out(session, user) for user in page], next_cursor=following)


@router.post("/users", response_model=UserOut, status_code=201, responses=problems(*ADMIN, 400, 409))
def create_user(
    request: Request,
    session: DatabaseSession,
    principal: Annotated[Principal, Depends(requires(Permission.USER_MANAGE))],
    body: UserCreate,
) -> UserOut:
    """Create a person who signs in with a password (machine clients: arrears apikeys create)."""
    user = auth.create_user(
        session,
        principal.actor(),
        now=now(request),
        username=body.username,
        role=body.role,
        password=body.password.get_secret_value(),
        team_id=body.team_id,
        agency_id=body.agency_id,
        customer_id=body.customer_id,
        display_name=body.display_name,
        language=body.language,
        customer_exists=_customers(session),
    )
    return _user_out(session, user)


@router.get("/users/{user_id}", response_model=UserOut, responses=problems(*ADMIN, 404))
def get_user(
    user_id: int,
    session: DatabaseSession,
    _: Annotated[Principal, Depends(requires(Permission.USER_READ))],
) -> UserOut:
    return _user_out(session, auth.user_with_id(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, responses=problems(*ADMIN, 400, 404, 409))
def change_user(
    request: Request,
    user_id: int,
    session: DatabaseSession,
    principal: Annotated[Principal, Depends(requires(Permission.USER_MANAGE))],
    body: UserPatch,
) -> UserOut:
    """Change a user's role, team, agency, customer, state, display name or language. Disabling
    (active false) revokes all their credentials at once."""
    given = body.model_fields_set
    changes = auth.UserChanges(
        **{
            name: getattr(body, name)
            for name in ("team_id", "agency_id", "customer_id", "display_name", "language")
            if name in given
        },
        **{name: getattr(body, name) for name in ("role", "active") if getattr(body, name) is not None},
    )
    user = auth.update_user(
        session,
        principal.actor(),
        auth.user_with_id(session, user_id),
        changes,
        now=now(request),
        customer_exists=_customers(session),
    )
    return _user_out(session, user)


# --- teams -----------------------------------------------------------------------------------


def _teams_out(session: Session, teams: list[Team]) -> list[TeamOut]:
    ids = [team.id for team in teams]
    leaders = repository.leaders(session, ids)
    members = repository.members(session, ids)
    return [
        TeamOut(
            id=team.id,
            code=team.code,
            name=team.name,
            leaders=[Leader(user_id=uid, username=name) for uid, name in leaders.get(team.id, [])],
            members=members.get(team.id, 0),
            created_at=team.created_at,
        )
        for team in teams
    ]


@router.get("/teams", response_model=TeamList, responses=problems(*SIGNED_IN))
def list_teams(
    session: DatabaseSession, _: Annotated[Principal, Depends(requires(Permission.USER_READ))]
) -> TeamList:
    """Every team with its leaders and number of members."""
    return TeamList(items=_teams_out(session, list(repository.teams(session))))


@router.post("/teams", response_model=TeamOut, status_code=201, responses=problems(*ADMIN, 400, 409))
def create_team(
    request: Request,
    session: DatabaseSession,
    principal: Annotated[Principal, Depends(requires(Permission.TEAM_MANAGE))],
    body: TeamCreate,
) -> TeamOut:
    leaders = [auth.user_with_id(session, user_id) for user_id in body.leader_ids]
    team = auth.create_team(
        session, principal.actor(), now=now(request), code=body.code, name=body.name, leaders=leaders
    )
    return _teams_out(session, [team])[0]


@router.post("/teams/{team_id}/leaders", response_model=TeamOut, responses=problems(*ADMIN, 400, 404))
def add_team_leader(
    request: Request,
    team_id: int,
    session: DatabaseSession,
    principal: Annotated[Principal, Depends(requires(Permission.TEAM_MANAGE))],
    body: LeaderAdd,
) -> TeamOut:
    """A supervisor leads this team too."""
    team = auth.team_with_id(session, team_id)
    auth.add_leader(
        session, principal.actor(), team, auth.user_with_id(session, body.user_id), now=now(request)
    )
    return _teams_out(session, [team])[0]


# --- agencies --------------------------------------------------------------------------------


def _agency_out(agency: Agency) -> AgencyOut:
    return AgencyOut(
        id=agency.id,
        code=agency.code,
        name=agency.name,
        active=bool(agency.active),
        created_at=agency.created_at,
    )


@router.get("/agencies", response_model=AgencyList, responses=problems(*SIGNED_IN))
def list_agencies(
    session: DatabaseSession, _: Annotated[Principal, Depends(requires(Permission.USER_READ))]
) -> AgencyList:
    return AgencyList(items=[_agency_out(agency) for agency in repository.agencies(session)])


@router.post("/agencies", response_model=AgencyOut, status_code=201, responses=problems(*ADMIN, 400, 409))
def create_agency(
    request: Request,
    session: DatabaseSession,
    principal: Annotated[Principal, Depends(requires(Permission.AGENCY_MANAGE))],
    body: AgencyCreate,
) -> AgencyOut:
    agency = auth.create_agency(session, principal.actor(), now=now(request), code=body.code, name=body.name)
    return _agency_out(agency)


@router.patch("/agencies/{agency_id}", response_model=AgencyOut, responses=problems(*ADMIN, 400, 404))
def change_agency(
    request: Request,
    agency_id: int,
    session: DatabaseSession,
    principal: Annotated[Principal, Depends(requires(Permission.AGENCY_MANAGE))],
    body: AgencyPatch,
) -> AgencyOut:
    """Rename an agency, or disable it (its users' credentials end at once) or enable it."""
    agency = auth.update_agency(
        session,
        principal.actor(),
        auth.agency_with_id(session, agency_id),
        now=now(request),
        name=body.name,
        active=body.active,
    )
    return _agency_out(agency)
