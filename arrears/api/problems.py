"""Errors as RFC 9457 problem documents (``application/problem+json``), rendered in one place.

Every :class:`ArrearsError` becomes a problem with its stable ``code``, its HTTP status and its
message in the caller's language; a malformed payload is 422 with each wrong field named; any
other exception is a 500 that says nothing of its cause but the request id to quote.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from arrears.concurrency import LostRaceError
from arrears.errors import ArrearsError, validation_message
from arrears.i18n import N_, choose_language, translate

RETRY_AFTER_SECONDS = 1
"""What a 503 for a busy or unreachable database asks the client to wait."""
PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
log = logging.getLogger("arrears.api.errors")
PROBLEM_BASE = "https://arrears.dev/problems/"
"""Problem types are named by code under this URI (documented in docs/api.md)."""


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="URI naming the kind of problem: https://arrears.dev/problems/<code>")
    title: str = Field(description="The kind of problem, in the caller's language")
    status: int = Field(description="The HTTP status")
    detail: str = Field(description="What went wrong here, in the caller's language")
    code: str = Field(description="Stable machine code (also the last part of type)")
    instance: str | None = Field(default=None, description="The request path")
    request_id: str | None = Field(default=None, description="Quote it when reporting the problem")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For 422: each malformed field, where it is and what is wrong"
    )


TITLES = {
    400: N_("Bad request"),
    401: N_("Not signed in"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    412: N_("Precondition failed"),
    422: N_("Malformed request"),
    423: N_("Locked"),
    429: N_("Too many requests"),
    500: N_("Internal error"),
    503: N_("Service unavailable"),
}


def language_of(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    settings = request.app.state.context.settings
    return choose_language(
        principal.language if principal else None,
        request.headers.get("accept-language"),
        settings.language,
        settings.locale,
    )


def problem_response(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    language = language_of(request)
    problem = Problem(
        type=PROBLEM_BASE + code,
        title=translate(TITLES.get(status, N_("Error")), language),
        status=status,
        detail=detail,
        code=code,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
    )
    answer_headers = dict(headers or {})
    if problem.request_id:  # also here: a 500 is answered outside the middleware that sets it
        answer_headers[REQUEST_ID_HEADER] = problem.request_id
    body = problem.model_dump(exclude_none=True)
    for name, value in (extensions or {}).items():  # RFC 9457 extension members; never the standard ones
        body.setdefault(name, value)
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=answer_headers,
    )


def _said(item: Mapping[str, Any], language: str) -> str:
    said = validation_message(item)
    return str(item["msg"]) if said is None else said.render(language)


def install(app: FastAPI) -> None:
    """Register the one renderer of every error."""

    @app.exception_handler(ArrearsError)
    async def arrears_error(request: Request, error: ArrearsError) -> JSONResponse:
        headers = getattr(error, "headers", None)
        return problem_response(
            request,
            error.http_status,
            error.code,
            error.message(language_of(request)),
            headers=headers,
            extensions=getattr(error, "extensions", None),
        )

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, error: RequestValidationError) -> JSONResponse:
        language = language_of(request)
        errors = [
            {"location": ".".join(str(part) for part in item["loc"]), "message": _said(item, language)}
            for item in error.errors()
        ]
        detail = translate(
            N_("The request is malformed: {where}"),
            language_of(request),
            where="; ".join(f"{e['location']}: {e['message']}" for e in errors),
        )
        return problem_response(request, 422, "malformed", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        language = language_of(request)
        title = translate(TITLES.get(error.status_code, N_("Error")), language)
        return problem_response(
            request, error.status_code, f"http_{error.status_code}", title, headers=error.headers
        )

    @app.exception_handler(StaleDataError)
    async def lost_race(request: Request, _error: StaleDataError) -> JSONResponse:
        # A versioned UPDATE found the row changed by a concurrent request: that request won.
        race = LostRaceError()
        return problem_response(request, race.http_status, race.code, race.message(language_of(request)))

    @app.exception_handler(SQLAlchemyTimeoutError)
    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
        # Every connection of the pool busy, the server gone, a lock that timed out: the same
        # request succeeds a moment later, so it is a 503 to retry, not a failure of Arrears.
        log.warning(
            "database unavailable: %s",
            type(error).__name__,
            extra={"request_id": getattr(request.state, "request_id", None)},
        )
        detail = translate(
            N_("The database is busy or unreachable; try again in a moment"), language_of(request)
        )
        return problem_response(
            request, 503, "unavailable", detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error(
            "unexpected error",
            exc_info=error,
            extra={"request_id": getattr(request.state, "request_id", None)},
        )
        detail = translate(
            N_("Arrears failed on this request; quote the request id when you report it"),
            language_of(request),
        )
        return problem_response(request, 500, "internal", detail)
