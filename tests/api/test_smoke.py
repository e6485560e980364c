"""The served app answers over real HTTP: a signed-in caller, and one without credentials."""

from __future__ import annotations

from arrears.auth.permissions import Role
from tests.api.conftest import Api


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
