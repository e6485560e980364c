"""The served app answers over real HTTP: a signed-in caller, and one without credentials."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from arrears.api.app import create_app
from arrears.auth.permissions import Role
from arrears.clock import FixedClock
from arrears.config import load_settings
from tests.api.conftest import API_NOW, Api, serving
from tests.conftest import DATABASES

POSTGRESQL = DATABASES[1]


def test_me_names_the_caller_and_their_permissions(api: Api) -> None:
    collector = api.person(Role.COLLECTOR, "li.na")
    answer = api.as_(collector).get("/api/v1/auth/me")
    assert answer.status_code == 200
    body = answer.json()
    assert body["username"] == "li.na"
    assert "case.read" in body["permissions"]
    assert "user.manage" not in body["permissions"]
    assert answer.headers["X-Request-ID"]


def test_no_credential_is_a_problem_document_in_the_callers_language(api: Api) -> None:
    answer = api.client(**{"Accept-Language": "zh-CN"}).get("/api/v1/auth/me")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "not_signed_in"


def test_a_401_names_the_scheme_and_no_answer_is_cached(api: Api) -> None:
    refused = api.client().get("/api/v1/cases")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.headers["Cache-Control"] == "no-store"
    collector = api.person(Role.COLLECTOR)
    assert api.as_(collector).get("/api/v1/auth/me").headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in api.client().get("/healthz").headers


@pytest.mark.parametrize("database_kind", [POSTGRESQL], indirect=True)
def test_a_database_without_a_free_connection_is_a_503_to_retry(engine: Engine) -> None:
    """PostgreSQL only: the pool settings are PostgreSQL's (SQLite keeps SQLAlchemy's own pool)."""
    settings = load_settings(
        database_url=engine.url.render_as_string(hide_password=False),
        language="en",
        database_pool_size=1,
        database_pool_timeout=0.2,
    )
    app = create_app(settings, clock=FixedClock(API_NOW))
    busy = app.state.context.engine.connect()  # the pool's only connection, held
    try:
        with serving(app) as url, httpx.Client(base_url=url) as client:
            answer = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer x"})
    finally:
        busy.close()
        app.state.context.engine.dispose()
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "unavailable"
    assert answer.headers["Retry-After"] == "1"
