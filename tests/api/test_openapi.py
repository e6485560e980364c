"""The OpenAPI document is complete, and the docs page works with nothing but this server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from arrears.api.access import declared_access, endpoints
from arrears.api.app import create_app
from arrears.api.openapi import problem_statuses
from arrears.api.problems import PROBLEM_JSON, Problem
from arrears.config import load_settings
from tests.api.conftest import serving

PROBLEM_REF = "#/components/schemas/Problem"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(load_settings(database_url="sqlite://", language="en"))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


@pytest.fixture(scope="module")
def url(app: FastAPI) -> Iterator[str]:
    with serving(app) as served:
        yield served


def _operations(app: FastAPI) -> list[tuple[str, str, Any]]:
    return [
        (method, route.path, route)
        for route in endpoints(app)
        if route.is_api and route.include_in_schema
        for method in sorted(route.methods)
    ]


def test_every_route_and_method_is_in_the_document(app: FastAPI, document: dict[str, Any]) -> None:
    operations = _operations(app)
    assert operations, "the app has no documented routes"
    missing = [f"{m} {p}" for m, p, _ in operations if m.lower() not in document["paths"].get(p, {})]
    assert missing == []
    assert "/api/v1/auth/me" in document["paths"]
    assert document["info"]["title"] == "Arrears"


def test_every_parameter_is_declared(app: FastAPI, document: dict[str, Any]) -> None:
    for method, path, route in _operations(app):
        operation = document["paths"][path][method.lower()]
        declared = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            for where, params in (
                ("path", dependant.path_params),
                ("query", dependant.query_params),
                ("header", dependant.header_params),
                ("cookie", dependant.cookie_params),
            ):
                for param in params:
                    assert (where, param.alias) in declared, f"{method} {path}: {where} {param.alias}"
            pending.extend(dependant.dependencies)
        for name in re.findall(r"{(\w+)", path):
            assert ("path", name) in declared, f"{method} {path}: path parameter {name}"
        if route.dependant.body_params or any(d.body_params for d in route.dependant.dependencies):
            assert "requestBody" in operation, f"{method} {path}: its body"
        assert ("header", "X-Request-ID") in declared


def test_every_error_response_is_a_problem_document(app: FastAPI, document: dict[str, Any]) -> None:
    for method, path, route in _operations(app):
        operation = document["paths"][path][method.lower()]
        responses = operation["responses"]
        expected = problem_statuses(route, method)
        assert {500} <= expected
        for status in expected:
            answer = responses.get(str(status))
            assert answer is not None, f"{method} {path}: {status} not declared"
        for status, answer in responses.items():
            if int(status) >= 400:
                content = answer.get("content", {})
                assert list(content) == [PROBLEM_JSON], f"{method} {path} {status}: {list(content)}"
                assert content[PROBLEM_JSON]["schema"] == {"$ref": PROBLEM_REF}
        access = declared_access(route.dependant)
        if any(a.kind != "public" for a in access):
            assert {"401", "403"} <= set(responses), f"{method} {path}: signed in, no 401/403"
            assert operation.get("security"), f"{method} {path}: no security requirement"
        if "{" in path:
            assert "404" in responses, f"{method} {path}: a path parameter, no 404"
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["Problem"]["properties"]) >= {
        "type",
        "title",
        "status",
        "detail",
        "code",
        "request_id",
    }


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    def refs(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            if isinstance(value.get("$ref"), str):
                yield value["$ref"]
            for item in value.values():
                yield from refs(item)
        elif isinstance(value, list):
            for item in value:
                yield from refs(item)

    for ref in set(refs(document)):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
            node = node[part]


def test_the_served_document_and_real_problems_match_the_schema(url: str, document: dict[str, Any]) -> None:
    served = httpx.get(f"{url}/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json() == document
    for answer in (httpx.get(f"{url}/api/v1/auth/me"), httpx.get(f"{url}/api/v1/nothing-here")):
        assert answer.headers["content-type"] == PROBLEM_JSON
        Problem.model_validate(answer.json())


def test_the_docs_page_and_every_asset_it_names_come_from_this_server(url: str) -> None:
    """The page and its stylesheet name no other server; the bundle's script is not read for
    URLs (its strings hold links it never loads), but the one it would call on its own, the
    spec validator at validator.swagger.io, is turned off."""
    page = httpx.get(f"{url}/api/v1/docs")
    assert page.status_code == 200
    assert "SwaggerUIBundle" in page.text
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    assets += re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", page.text)
    assert len(assets) >= 4  # the css, the favicon, the bundle, the document
    external = re.compile(r"(?:https?:)?//(?!127\.0\.0\.1[:/])", re.IGNORECASE)
    assert external.findall(page.text) == [], "the page names another server"
    assert '"validatorUrl": null' in page.text  # Swagger UI would otherwise call validator.swagger.io
    for asset in assets:
        assert asset.startswith("/"), asset
        fetched = httpx.get(f"{url}{asset}")
        assert fetched.status_code == 200, asset
        if asset.endswith(".css"):
            for reference in re.findall(r"url\(\s*['\"]?([^'\")]+)", fetched.text):
                assert reference.startswith("data:") or not external.match(reference), reference
