"""Rendering a page: the reader's language, the templates, the per-locale formats, the forms'
tokens.

The language: the reader's choice from the header's switcher (a cookie), else their user
setting, else the browser's Accept-Language, else ``ARREARS_LANGUAGE`` (one rule,
:func:`arrears.i18n.choose_language`). Every visible word goes through the one catalogue: a
template writes ``_("Source text", name=value)`` (``str.format`` placeholders, as in the code),
which ``make messages`` extracts with Babel's Jinja2 extractor.

Forms: a signed-in page's form carries the web session's CSRF token (given at sign-in, kept in an
HttpOnly cookie for the pages to write into the form, checked against its stored digest by
``arrears.auth.service.check_csrf``); the sign-in and language forms, before any session, carry a
random form token that must equal the one in an HttpOnly cookie (a double submit).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import Response

from arrears.api.access import SESSION_COOKIE
from arrears.auth.permissions import ROLE_NAMES, Permission
from arrears.auth.principal import Principal
from arrears.auth.service import CsrfError, new_secret
from arrears.channels.rendering import PRODUCT_NAMES, long_date, money
from arrears.clock import zone
from arrears.i18n import LANGUAGES, N_, Text, choose_language, translate
from arrears.web import assets

LANGUAGE_COOKIE = "arrears_language"
CSRF_COOKIE = "arrears_csrf"
FORM_COOKIE = "arrears_form"
FORM_FIELD = "form_token"
YEAR = 365 * 24 * 3600
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
"""Each language in its own words (the switcher's labels are not translated)."""

NAV: tuple[tuple[str, str, Permission | None], ...] = (
    ("/", N_("My work"), Permission.QUEUE_WORK),
    ("/approvals", N_("Approvals"), Permission.ARRANGEMENT_APPROVE),
    ("/queues", N_("Queues"), Permission.QUEUE_READ),
    ("/dashboard", N_("Dashboard"), Permission.REPORT_READ),
    ("/placements", N_("Placements"), Permission.PLACEMENT_READ),
    ("/review", N_("Compliance review"), Permission.CONTACT_REVIEW),
    ("/qa", N_("Quality assurance"), Permission.QA_READ),
    ("/template-approvals", N_("Templates"), Permission.TEMPLATE_APPROVE),
    ("/strategies", N_("Strategies"), Permission.STRATEGY_READ),
    ("/strategy-actions/proposed", N_("Proposed steps"), Permission.ACTION_CONFIRM),
    ("/strategy-fairness", N_("Fairness"), Permission.STRATEGY_READ),
    ("/simulations", N_("Simulations"), Permission.SIMULATION_READ),
    ("/models", N_("Models"), Permission.MODEL_READ),
    ("/audit", N_("Audit trail"), Permission.AUDIT_READ),
    ("/admin", N_("Administration"), Permission.USER_READ),
    ("/portal", N_("What you owe"), Permission.PORTAL_USE),
)
"""The header's links: address, label, the permission that shows it (None: everyone signed in)."""

_environment = Environment(
    loader=PackageLoader("arrears.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: Request) -> str:
    """The reader's language (see the module's description)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    settings = request.app.state.context.settings
    return choose_language(
        request.cookies.get(LANGUAGE_COOKIE) or (principal.language if principal else None),
        request.headers.get("accept-language"),
        settings.language,
        settings.locale,
    )


def _formats(language: str, bank_zone: str) -> dict[str, Any]:
    def text(message: str, /, **params: Any) -> str:
        return translate(message, language, **params)

    def amount(minor: int, currency: str) -> str:
        return money(minor, currency, language)

    def day(value: date | datetime | None) -> str:
        if value is None:
            return "—"
        return long_date(value.date() if isinstance(value, datetime) else value, language)

    def when(instant: datetime) -> str:
        """An instant as the bank's clock shows it, the year and month never ambiguous:
        2026年11月21日 14:30 (zh-CN), Nov 21, 2026 2:30 PM (en)."""
        local, locale = instant.astimezone(zone(bank_zone)), language.replace("-", "_")
        return f"{format_date(local, 'medium', locale=locale)} {format_time(local, 'short', locale=locale)}"

    def say(value: Text | str) -> str:
        """A :class:`Text` (a code's word, a timeline entry) in the reader's language."""
        return value.render(language) if isinstance(value, Text) else value

    def product(code: str) -> str:
        """A product's name in the reader's language (the messages' own names), else its code."""
        return PRODUCT_NAMES.get(language, {}).get(code, code)

    return {"_": text, "money": amount, "day": day, "when": when, "say": say, "product_name": product}


def _nav(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return []
    return [(href, label) for href, label, needs in NAV if needs is None or principal.may(needs)]


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    """The page ``template`` in the reader's language, with the header's facts and the forms'
    tokens; a reader without a form token gets one (a cookie)."""
    language = language_of(request)
    principal: Principal | None = getattr(request.state, "principal", None)
    form_token = request.cookies.get(FORM_COOKIE) or new_secret()
    page = _environment.get_template(template).render(
        **_formats(language, request.app.state.context.settings.bank_timezone),
        language=language,
        languages=[(tag, LANGUAGE_NAMES[tag]) for tag in LANGUAGES],
        principal=principal,
        role_name=translate(ROLE_NAMES[principal.role], language) if principal else "",
        nav=_nav(principal),
        path=request.url.path,
        here=here(request),
        asset=assets.url,
        csrf_token=request.cookies.get(CSRF_COOKIE, "") if principal else "",
        form_token=form_token,
        **(context or {}),
    )
    response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
    if FORM_COOKIE not in request.cookies:
        set_cookie(request, response, FORM_COOKIE, form_token, max_age=YEAR)
    return response


def here(request: Request) -> str:
    """The address asked for, with its query (where a form sends the reader back)."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def set_cookie(
    request: Request, response: HTMLResponse | Any, name: str, value: str, *, max_age: int
) -> None:
    """A cookie as the API sets the session's: HttpOnly, SameSite=Strict, Secure in production."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=secure(request), httponly=True, samesite="strict"
    )


def end_session_cookies(request: Request, response: Response) -> None:
    """Clear the web session's cookies (signed out, or the session has ended)."""
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=secure(request), httponly=True, samesite="strict")


def secure(request: Request) -> bool:
    settings = request.app.state.context.settings
    return bool(settings.session_cookie_secure or settings.environment == "production")


def check_form_token(request: Request, presented: str | None) -> None:
    """Nothing when ``presented`` equals the reader's form-token cookie, else CsrfError."""
    expected = request.cookies.get(FORM_COOKIE)
    if not presented or not expected or not hmac.compare_digest(presented, expected):
        raise CsrfError()


def safe_next(target: str | None) -> str:
    """Where to go after a form: a path of this site only (never another host), else home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
