"""Every route against every role, generated from the permission table (ROLE_PERMISSIONS).

The routes are read from the app at collection time, so a route another change adds is walked
too: it must declare exactly one access (public, signed_in or requires(permission)); a role
lacking the permission gets 403; a role holding it gets anything but 401/403 (404 for the
placeholder ids, 422 for the empty body, 200 for a list) and never a 5xx; a public route is
never 401/403; any other is 401 without a credential. One served app per module and database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.params import Form

from arrears.api import accessdoc
from arrears.api.access import Endpoint, declared_access, endpoints
from arrears.api.app import create_app
from arrears.auth.permissions import ROLE_PERMISSIONS, Role
from arrears.clock import FixedClock
from arrears.config import load_settings
from arrears.portfolio.models import Customer
from tests.api.conftest import API_NOW, Api, serving
from tests.conftest import DATABASES, database

ROUTES = endpoints(create_app(load_settings(database_url="sqlite://", language="en")))
CALLS = [
    pytest.param(method, route, id=f"{method}:{route.path}")
    for route in ROUTES
    if route.is_api
    for method in sorted(route.methods - {"HEAD", "OPTIONS"})
]
NOT_API = {"/api/v1/docs/static/{path}", "/static/{path}"}
"""Routes that are not API routes and so carry no access declaration: the docs page's static
assets (public; the Swagger UI files of the swagger-ui-bundle package) and the pages' own
(public; arrears/web/static/). The pages themselves are walked by tests/web/test_access.py."""
ACCESS_DOC = Path(__file__).parents[2] / "docs" / "access.md"


def test_every_route_declares_exactly_one_access() -> None:
    wrong = [
        f"{sorted(route.methods)} {route.path}: "
        + (", ".join(f"{a.kind}:{a.permission}" for a in found) or "no access declared")
        for route in ROUTES
        if (route.is_api or route.is_page) and len(found := declared_access(route.dependant)) != 1
    ]
    assert wrong == [], "every route takes exactly one of public, signed_in, requires(...)"
    strangers = [
        route.path for route in ROUTES if not (route.is_api or route.is_page) and route.path not in NOT_API
    ]
    assert strangers == [], "a route that is not an API route declares no access"


def test_docs_access_md_is_what_the_code_writes_now() -> None:
    assert ACCESS_DOC.read_text(encoding="utf-8") == accessdoc.render(ROUTES), (
        f"docs/access.md is out of date: run `make access-doc` ({accessdoc.COMMAND})"
    )


# --- over HTTP ----------------------------------------------------------------------------------


@dataclass
class Matrix:
    api: Api
    users: dict[Role, int]
    client: httpx.Client

    def token(self, role: Role) -> str:
        """A fresh token of the role's user (a route may sign the last one out)."""
        from arrears.auth import service as auth
        from arrears.auth.models import CredentialKind, User
        from arrears.db import transaction

        with transaction(self.api.engine) as session:
            user = session.get(User, self.users[role])
            assert user is not None
            secret, _ = auth.issue(
                session,
                user,
                CredentialKind.TOKEN,
                now=self.api.clock.now(),
                lifetimes=self.api.app.state.context.lifetimes,
            )
            return secret


@pytest.fixture(scope="module", params=DATABASES)
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    with database(request.param, tmp_path_factory.mktemp("matrix")) as engine:
        clock = FixedClock(API_NOW)
        settings = load_settings(database_url=engine.url.render_as_string(hide_password=False), language="en")
        app = create_app(settings, engine=engine, clock=clock)
        with serving(app) as url:
            api = Api(app=app, url=url, engine=engine, clock=clock)
            with engine.begin() as connection:
                connection.execute(Customer.__table__.insert().values(customer_id="M0000000001", name="M"))
            team, agency = api.team("matrix-team"), api.agency("matrix-agency")
            columns: dict[Role, dict[str, Any]] = {
                Role.COLLECTOR: {"team_id": team},
                Role.FIELD_AGENT: {"team_id": team},
                Role.AGENCY_USER: {"agency_id": agency},
                Role.CUSTOMER: {"customer_id": "M0000000001"},
            }
            users = {
                role: api.person(role, f"matrix-{role}", **columns.get(role, {})).user_id for role in Role
            }
            supervisor = api.person(Role.SUPERVISOR, "matrix-supervisor-2")
            api.lead(supervisor, team)
            users[Role.SUPERVISOR] = supervisor.user_id
            with httpx.Client(base_url=url, timeout=30) as client:
                yield Matrix(api, users, client)
            api.close()


def _placeholder(annotation: Any) -> str:
    """A value of the parameter's type that names nothing stored."""
    kinds: list[Any] = list(getattr(annotation, "__args__", ())) or [annotation]
    for kind in kinds:
        if isinstance(kind, type) and issubclass(kind, bool):
            return "true"
        if isinstance(kind, type) and issubclass(kind, Enum):
            return str(next(iter(kind)).value)
        if kind is int:
            return "987654321"
        if kind in (float, Decimal):
            return "1"
        if kind is datetime:
            return "2000-01-01T00:00:00Z"
        if kind is date:
            return "2000-01-01"
        if kind is uuid.UUID:
            return str(uuid.UUID(int=0))
    return "ZZ-missing-0"


def _path(route: Endpoint) -> str:
    path = route.path
    assert route.dependant is not None
    for param in route.dependant.path_params:
        path = path.replace(f"{{{param.alias}}}", _placeholder(param.field_info.annotation))
        path = path.replace(f"{{{param.alias}:path}}", _placeholder(param.field_info.annotation))
    return path


def _call(matrix: Matrix, method: str, route: Endpoint, token: str | None) -> httpx.Response:
    assert route.dependant is not None
    bodies = [p for d in [route.dependant, *route.dependant.dependencies] for p in d.body_params]
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"} if token else {}}
    if bodies:
        if any(isinstance(p.field_info, Form) for p in bodies):
            kwargs["data"] = {}
        else:
            kwargs["json"] = {}
    return matrix.client.request(method, _path(route), **kwargs)


def _asks_nothing(method: str, route: Endpoint) -> bool:
    """A GET that needs no path, query, header or body value: a holder must get 200."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        assert dependant is not None
        for params in (
            dependant.path_params,
            dependant.query_params,
            dependant.header_params,
            dependant.body_params,
        ):
            if any(param.field_info.is_required() for param in params):
                return False
        pending.extend(dependant.dependencies)
    return method == "GET"


@pytest.mark.parametrize(("method", "route"), CALLS)
def test_the_route_against_every_role(matrix: Matrix, method: str, route: Endpoint) -> None:
    declared = declared_access(route.dependant)
    assert len(declared) == 1, f"{method} {route.path} declares {declared}"
    access = declared[0]
    where = f"{method} {route.path}"
    anonymous = _call(matrix, method, route, None)
    assert anonymous.status_code < 500, f"{where} without a credential: {anonymous.status_code}"
    if access.kind == "public":
        assert anonymous.status_code not in (401, 403), f"{where} is public"
    else:
        assert anonymous.status_code == 401, f"{where} without a credential: {anonymous.status_code}"
        assert anonymous.json()["code"] == "not_signed_in"
    for role in Role:
        answer = _call(matrix, method, route, matrix.token(role))
        allowed = access.permission is None or access.permission in ROLE_PERMISSIONS[role]
        said = f"{where} as {role}: {answer.status_code} {answer.text[:200]}"
        assert answer.status_code < 500, said
        if allowed:
            assert answer.status_code not in (401, 403), said
            if _asks_nothing(method, route):
                assert answer.status_code == 200, said
        else:
            assert answer.status_code == 403, said
            assert answer.json()["code"] == "permission_denied", said
            assert str(access.permission) in answer.json()["detail"], said
