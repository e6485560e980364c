"""Errors on a page render as a page, in the reader's language, never as JSON.

The API's handlers (``arrears.api.problems``) stay the one place that decides an error's status,
code and words: for a page each is asked for its problem document first, which is then shown as
a page. A page that needs a sign-in answers 303 to ``/sign-in?next=…`` instead (with
``expired=1`` when a session cookie was presented but has ended, and that cookie cleared).
Every route that is not a page (:func:`is_page`), and any address under ``/api/``, the health
checks and the static files, keeps the API's answers.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.responses import Response

from arrears.api.access import SignInNeededError, declared_access
from arrears.api.problems import TITLES
from arrears.errors import ArrearsError
from arrears.i18n import N_, translate
from arrears.web import render

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
NOT_PAGES = ("/api/", "/healthz", "/readyz", "/metrics", "/static/")


def is_page(request: Request) -> bool:
    """A request for a page: its route declares a page access; an address no route matched is
    answered as a page outside the API's, the health checks' and the static files' paths."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        return any(access.page for access in declared_access(route.dependant))
    return route is None and not request.url.path.startswith(NOT_PAGES)


def sign_in_redirect(request: Request, *, expired: bool) -> RedirectResponse:
    query = {"next": render.safe_next(render.here(request))}
    if expired:
        query["expired"] = "1"
    # the customer's portal has its own sign-in (a one-time code)
    sign_in = "/portal/sign-in" if request.url.path.startswith("/portal") else "/sign-in"
    response = RedirectResponse(sign_in + "?" + urlencode(query), status_code=303)
    if expired:
        render.end_session_cookies(request, response)
    return response


def _as_page(request: Request, error: Exception, answer: Response) -> Response:
    language = render.language_of(request)
    try:
        problem = json.loads(bytes(answer.body))
    except ValueError:
        problem = {}
    detail = error.message(language) if isinstance(error, ArrearsError) else problem.get("detail", "")
    status = answer.status_code
    page = render.render(
        request,
        "error.html",
        {
            "status": status,
            "title": translate(TITLES.get(status, N_("Error")), language),
            "detail": detail,
            "request_id": problem.get("request_id"),
        },
        status=status,
    )
    for header in ("Retry-After", "X-Request-ID"):
        if header in answer.headers:
            page.headers[header] = answer.headers[header]
    return page


def _for_pages(original: Handler) -> Handler:
    async def answer(request: Request, error: Exception) -> Response:
        given = original(request, error)
        return await given if inspect.isawaitable(given) else given

    async def handle(request: Request, error: Exception) -> Response:
        if not is_page(request):
            return await answer(request, error)
        if isinstance(error, SignInNeededError):
            return sign_in_redirect(request, expired=error.expired)
        return _as_page(request, error, await answer(request, error))

    return handle


def install(app: FastAPI) -> None:
    """Wrap every error handler the API installed (call after ``problems.install``)."""
    for kind, original in list(app.exception_handlers.items()):
        app.exception_handlers[kind] = _for_pages(original)
