"""How a route declares who may call it, checked in one place.

Every route of the API takes exactly one of these as a dependency:

- ``Depends(public)``: anyone, signed in or not (health checks, sign-in itself);
- ``Depends(signed_in)``: anyone signed in, whatever the role (sign-out, "who am I");
- ``Depends(requires(Permission.X))``: a role that holds X in :data:`ROLE_PERMISSIONS`.

A page of the web interface (``arrears/web/``) takes the page twin of one of them instead:
``page_public``, ``page_signed_in`` or ``page_requires(Permission.X)``. They sign in with the
session cookie only, check a form's CSRF token from its ``csrf_token`` field, and raise
:class:`SignInNeededError` (the pages answer it with a redirect to the sign-in page) instead of
the API's 401.

The signed-in ones give the route its :class:`Principal`. The route-matrix test finds the declaration
of each route through the ``access`` attribute these dependencies carry, and fails for a route
that declares none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, FastAPI, Form, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from arrears.auth import service as auth
from arrears.auth.models import CredentialKind
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal

SESSION_COOKIE = "arrears_session"
CSRF_HEADER = "X-CSRF-Token"
API_KEY_HEADER = "X-API-Key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
"""The hidden field of a page's form that carries the session's CSRF token."""

_bearer = HTTPBearer(auto_error=False, description="An opaque token from POST /api/v1/auth/token")
_api_key = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="A machine client's API key")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="A web session")


@dataclass(frozen=True)
class Access:
    kind: str
    """public, signed_in or permission"""
    permission: Permission | None = None
    page: bool = False
    """A page of the web interface (session cookie only; not signed in: a redirect to sign in)."""


async def database(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back when it raises.

    At most ``database_pool_size`` requests of a worker hold one at a time; the others wait here,
    on the event loop, without a worker thread. Routes run in a worker's 40 threads, and FastAPI
    also needs a thread to check a route's answer before the commit: were every thread waiting
    for a lock (the audit chain's head) or a connection, the transaction holding that lock could
    never end. The pool is smaller than the threads, so a thread is always free for it (the
    50-client benchmark stalled without this)."""
    context = request.app.state.context
    async with context.units_of_work():
        with request.app.state.sessions() as session, session.begin():
            yield session


DatabaseSession = Annotated[Session, Depends(database, scope="function")]


def _principal(
    request: Request,
    session: DatabaseSession,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    common = _facts(request)
    if bearer is not None:
        principal = auth.principal_for(session, bearer.credentials, kinds=(CredentialKind.TOKEN,), **common)
    elif api_key is not None:
        principal = auth.principal_for(session, api_key, kinds=(CredentialKind.API_KEY,), **common)
    elif cookie is not None:
        principal = auth.principal_for(session, cookie, kinds=(CredentialKind.SESSION,), **common)
        if request.method not in SAFE_METHODS:
            auth.check_csrf(session, principal, request.headers.get(CSRF_HEADER))
    else:
        raise auth.NotSignedInError()
    request.state.principal = principal
    return principal


def _facts(request: Request) -> dict[str, Any]:
    """What checking a credential needs to know of the request."""
    context = request.app.state.context
    return {
        "now": context.clock.now(),
        "lifetimes": context.lifetimes,
        "request_id": getattr(request.state, "request_id", None),
        "client": request.client.host if request.client else None,
    }


def public() -> None:
    """Open to anyone."""


public.access = Access("public")  # type: ignore[attr-defined]


def signed_in(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    return principal


signed_in.access = Access("signed_in")  # type: ignore[attr-defined]


def requires(permission: Permission) -> Callable[..., Principal]:
    """A dependency that signs the caller in and checks they hold ``permission`` (else 403)."""

    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        principal.require(permission)
        return principal

    check.access = Access("permission", permission)  # type: ignore[attr-defined]
    check.__name__ = f"requires_{permission.value.replace('.', '_')}"
    return check


# --- the pages' twins ----------------------------------------------------------------------


class SignInNeededError(auth.NotSignedInError):
    """A page asked for without a live web session; ``expired``: a session cookie was presented
    but has ended (idle, too old, revoked), so the sign-in page says so."""

    code = "sign_in_needed"

    def __init__(self, *, expired: bool) -> None:
        super().__init__()
        self.expired = expired


def _page_principal(
    request: Request,
    session: DatabaseSession,
    cookie: Annotated[str | None, Depends(_cookie)],
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD, include_in_schema=False)] = None,
) -> Principal:
    if cookie is None:
        raise SignInNeededError(expired=False)
    try:
        principal = auth.principal_for(session, cookie, kinds=(CredentialKind.SESSION,), **_facts(request))
    except auth.NotSignedInError:
        raise SignInNeededError(expired=True) from None
    if request.method not in SAFE_METHODS:
        auth.check_csrf(session, principal, csrf_token)
    request.state.principal = principal
    return principal


def page_public() -> None:
    """A page open to anyone (the sign-in page)."""


page_public.access = Access("public", page=True)  # type: ignore[attr-defined]


def page_signed_in(principal: Annotated[Principal, Depends(_page_principal)]) -> Principal:
    return principal


page_signed_in.access = Access("signed_in", page=True)  # type: ignore[attr-defined]


def page_requires(permission: Permission) -> Callable[..., Principal]:
    """The page twin of :func:`requires`: a web session holding ``permission`` (else 403)."""

    def check(principal: Annotated[Principal, Depends(_page_principal)]) -> Principal:
        principal.require(permission)
        return principal

    check.access = Access("permission", permission, page=True)  # type: ignore[attr-defined]
    check.__name__ = f"page_requires_{permission.value.replace('.', '_')}"
    return check


@dataclass(frozen=True)
class Endpoint:
    """A route of the app as it is served: its full path template (with the router's prefix),
    its methods and, for an API route, its dependencies (the router's included)."""

    path: str
    methods: frozenset[str]
    route: BaseRoute
    """The route as declared (an APIRoute, a Mount, …)."""
    dependant: Dependant | None
    responses: Mapping[int | str, Any]
    include_in_schema: bool

    @property
    def is_api(self) -> bool:
        return isinstance(self.route, APIRoute) and not self.is_page

    @property
    def is_page(self) -> bool:
        """A page of the web interface: its access declared with a page twin."""
        if not isinstance(self.route, APIRoute):
            return False
        return any(access.page for access in declared_access(self.dependant))


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every route the app serves, each as it is served, in the app's order."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    found = []
    for served in iterate(app.routes) if iterate else app.routes:
        route = getattr(served, "original_route", served)
        path = getattr(served, "path_format", None) or getattr(served, "path", "")
        found.append(
            Endpoint(
                path=str(path),
                methods=frozenset(getattr(served, "methods", None) or ()),
                route=route,
                dependant=getattr(served, "dependant", None) if isinstance(route, APIRoute) else None,
                responses=dict(getattr(served, "responses", None) or {}),
                include_in_schema=bool(getattr(served, "include_in_schema", False)),
            )
        )
    return found


def declared_access(dependant: Dependant | None) -> list[Access]:
    """Every access a route declares (the ``access`` of a dependency anywhere in its tree), each
    once; a sound route declares exactly one (the route-matrix test checks)."""
    found: list[Access] = []
    pending = [dependant] if dependant is not None else []
    while pending:
        current = pending.pop()
        access = getattr(current.call, "access", None)
        if isinstance(access, Access) and access not in found:
            found.append(access)
        pending.extend(current.dependencies)
    return found
