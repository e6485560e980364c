"""The opt-out link's page, ``/api/v1/opt-out?token=…`` (public: the signed token is the authority).

``GET`` shows a confirmation page in the message's language, plain HTML (no script, no style
sheet, no image: nothing loads from anywhere); it writes nothing, so a mail scanner that follows
links opts no one out. ``POST`` opts out (RFC 8058 one-click: the mail client posts
``List-Unsubscribe=One-Click``; the page's button posts the same) and answers a page saying so.
A bad or tampered token is a 400 problem that says only that the link is not valid."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from arrears.api.access import DatabaseSession, public
from arrears.api.paging import now, problem_responses
from arrears.api.problems import language_of
from arrears.channels import opt_out
from arrears.i18n import N_, gettext

router = APIRouter(tags=["opt-out"])
Token = Annotated[str, Query(min_length=1, max_length=1000, description="The link's signed token")]
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
TITLE = N_("Unsubscribe")
QUESTION = N_("Do you want to stop receiving these messages from us at this address?")
BUTTON = N_("Unsubscribe")
DONE = N_("You are unsubscribed: we will send no more of these messages to this address.")


@router.get(
    "/opt-out",
    response_class=HTMLResponse,
    dependencies=[Depends(public)],
    responses=problem_responses(400),
    summary="The opt-out link's confirmation page",
)
def opt_out_page(token: Token, session: DatabaseSession, request: Request) -> HTMLResponse:
    """A page asking the customer to confirm (nothing is recorded until they do)."""
    try:
        linked = opt_out.read(session, token, _secret(request))
    except opt_out.BadOptOutTokenError as error:
        return _refusal(request, error)
    language = linked.language
    form = (
        f'<form method="post" action="opt-out?token={escape(quote(token, safe=""))}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(gettext(BUTTON, language))}</button></form>'
    )
    return _page(language, f"<p>{escape(gettext(QUESTION, language))}</p>{form}")


@router.post(
    "/opt-out",
    response_class=HTMLResponse,
    dependencies=[Depends(public)],
    responses=problem_responses(400),
    summary="Opt out (one click, RFC 8058)",
)
def opt_out_now(token: Token, session: DatabaseSession, request: Request) -> HTMLResponse:
    """Record the opt-out for the message's channel at its contact point (once)."""
    try:
        linked = opt_out.opt_out(session, token, _secret(request), now=now(request))
    except opt_out.BadOptOutTokenError as error:
        return _refusal(request, error)
    return _page(linked.language, f"<p>{escape(gettext(DONE, linked.language))}</p>")


def _refusal(request: Request, error: opt_out.BadOptOutTokenError) -> HTMLResponse:
    """A link that is not valid: a browser (asking for HTML) gets a page in its language, any
    other client the problem document (400) as every route answers it."""
    if "text/html" not in request.headers.get("accept", ""):
        raise error
    language = language_of(request)
    text = gettext(opt_out.BadOptOutTokenError.default_message, language)
    return _page(language, f"<p>{escape(text)}</p>", status=400)


def _secret(request: Request) -> str | None:
    secret: str | None = request.app.state.context.settings.secret_key
    return secret


def _page(language: str, content: str, status: int = 200) -> HTMLResponse:
    title = escape(gettext(TITLE, language))
    html = (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><h1>{title}</h1>{content}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)
