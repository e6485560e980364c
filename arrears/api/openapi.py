"""The OpenAPI document at ``/api/v1/openapi.json`` and the interactive docs page at ``/api/v1/docs``.

The error responses are declared here for every route at once, from what the route is rather
than on each route: 401 and 403 where a credential is needed, 404 where the path names an object,
409 for a signed-in write, 422 where anything is parsed from the request, 429 for a public write
(sign-in is throttled), 503 where the database is used, 500 everywhere; each with the
:class:`~arrears.api.problems.Problem` schema as ``application/problem+json``. A route may
declare more statuses itself (``responses={429: {...}}``): they get the Problem schema too.

The docs page is Swagger UI from the ``swagger-ui-bundle`` package, served by the app itself
under ``/api/v1/docs/static``: it works air-gapped and loads nothing from elsewhere.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from arrears.api.access import (
    CSRF_HEADER,
    SAFE_METHODS,
    Endpoint,
    database,
    declared_access,
    endpoints,
    public,
)
from arrears.api.problems import PROBLEM_JSON, REQUEST_ID_HEADER, TITLES, Problem

DESCRIPTION = """\
The Arrears collections API. Authentication: a bearer token (POST /api/v1/auth/token), an API key
(X-API-Key) or a web session cookie with its CSRF token (X-CSRF-Token) on every write. Errors are
RFC 9457 problem documents (application/problem+json) in the caller's language (Accept-Language:
zh-CN or en). Lists are paginated by cursor. See docs/api.md for the whole contract and
docs/access.md for who may call what."""

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
REQUEST_ID_RESPONSE_HEADER = {
    "description": "The request's id (the caller's, when well formed, else a new one); quote it",
    "schema": {"type": "string"},
}
REQUEST_ID_PARAMETER = {
    "name": REQUEST_ID_HEADER,
    "in": "header",
    "required": False,
    "description": "A request id to carry through the logs and the audit trail (else one is made)",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
}
CSRF_PARAMETER = {
    "name": CSRF_HEADER,
    "in": "header",
    "required": False,
    "description": "Required on every write signed in by a web session cookie (not by a token or a key)",
    "schema": {"type": "string"},
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problem_statuses(route: Endpoint, method: str) -> set[int]:
    """The problem statuses ``route`` may answer ``method`` with, from what the route is."""
    statuses = {500}
    access = declared_access(route.dependant)
    signed = any(a.kind != "public" for a in access)
    if signed:
        statuses |= {401, 403}
    if route.dependant is not None and route.dependant.path_params:
        statuses.add(404)
    if _any_parameter(route):
        statuses.add(422)
    if method in WRITES:
        statuses.add(409 if signed else 429)
    if _uses(route, database):
        statuses.add(503)
    statuses |= {int(code) for code in route.responses if str(code).isdigit() and int(code) >= 400}
    return statuses


def _any_parameter(route: Endpoint) -> bool:
    pending = [route.dependant] if route.dependant is not None else []
    while pending:
        dependant = pending.pop()
        params = (
            dependant.path_params,
            dependant.query_params,
            dependant.header_params,
            dependant.cookie_params,
            dependant.body_params,
        )
        if any(params):
            return True
        pending.extend(dependant.dependencies)
    return False


def _uses(route: Endpoint, call: Any) -> bool:
    pending = [route.dependant] if route.dependant is not None else []
    while pending:
        dependant = pending.pop()
        if dependant.call is call:
            return True
        pending.extend(dependant.dependencies)
    return False


def build(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``, every error response declared with the Problem schema."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.setdefault("headers", {})["RequestId"] = REQUEST_ID_RESPONSE_HEADER
    routes = {
        (method, route.path): route
        for route in endpoints(app)
        if route.is_api and route.include_in_schema
        for method in route.methods
    }
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            route = routes.get((method.upper(), path))
            if route is None:
                continue
            _declare(operation, route, method.upper())
    used = _schema_refs(schema["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if name not in used:
            schemas.pop(name, None)
    return schema


def _declare(operation: dict[str, Any], route: Endpoint, method: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in sorted(problem_statuses(route, method)):
        declared = responses.get(str(status), {})
        title = TITLES.get(status, "Error")
        responses[str(status)] = {
            "description": declared.get("description") or f"{title} (a problem document)",
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        }
    for answer in responses.values():
        answer.setdefault("headers", {})[REQUEST_ID_HEADER] = {"$ref": "#/components/headers/RequestId"}
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    parameters.append(REQUEST_ID_PARAMETER)
    if method not in SAFE_METHODS and any(a.kind != "public" for a in declared_access(route.dependant)):
        parameters.append(CSRF_PARAMETER)


def _schema_refs(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for item in value.values():
            found |= _schema_refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= _schema_refs(item)
    return found


def install(app: FastAPI, prefix: str) -> None:
    """The document, the docs page and its static assets, all public, all from this app."""
    openapi_url = f"{prefix}/openapi.json"
    static = f"{prefix}/docs/static"

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    router = APIRouter(include_in_schema=False)

    @router.get(openapi_url)
    def openapi_document(request: Request, _: None = Depends(public)) -> JSONResponse:
        """The OpenAPI document of this API."""
        return JSONResponse(request.app.openapi())

    @router.get(f"{prefix}/docs", response_class=HTMLResponse)
    def docs_page(_: None = Depends(public)) -> HTMLResponse:
        """Swagger UI over the OpenAPI document, its assets served from this app."""
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="Arrears API",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )

    app.include_router(router)
    app.mount(static, StaticFiles(directory=swagger_ui_path), name="swagger-ui")
