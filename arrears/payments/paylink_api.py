"""Routes of pay-now links under /api/v1: issuing and cancelling one (``message.send``), following
one (public), and the payment provider's confirmation (public, its signature verified).

Thin: parse, declare the access, call :mod:`arrears.payments.paylinks` in the request's
transaction, render.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from arrears.api.access import DatabaseSession, public, requires
from arrears.api.paging import now, problem_responses, today
from arrears.api.problems import language_of
from arrears.audit.trail import Actor
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.config import Settings
from arrears.errors import InvalidInputError, UnavailableError
from arrears.i18n import N_, Text, gettext
from arrears.money import MoneyError, format_major, parse_major
from arrears.payments import paylinks
from arrears.payments.effects import Day
from arrears.payments.providers import ANSWER, Checkout, HmacProvider

router = APIRouter(tags=["payments"])

Sender = Annotated[Principal, Depends(requires(Permission.MESSAGE_SEND))]
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PAGE_TITLE = N_("Payment link")
GONE_PAGE = N_(
    "This payment link can no longer be used: it was used, has expired or was cancelled. "
    "Ask the bank for a new one."
)
UNKNOWN_PAGE = N_("This payment link is not valid. Check the link, or ask the bank for a new one.")


class PayNowUnavailableError(UnavailableError):
    code = "pay_now_unavailable"
    default_message = N_("Pay-now links are not set up on this server")


class PayLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(max_length=64, description="One of the case's accounts")
    amount: str = Field(
        max_length=32, description="A decimal string in major units: not more than the account owes"
    )
    currency: str = Field(max_length=3, description="The account's currency", examples=["CNY"])
    ttl_minutes: int = Field(default=24 * 60, ge=1, le=30 * 24 * 60, description="How long the link lives")


class PayLinkOut(BaseModel):
    id: int
    url: str = Field(description="The link to send: it carries the token, answered this once only")
    case_id: str
    account_id: str
    amount: str
    currency: str
    expires_at: datetime
    status: str


class PayLinkStateOut(BaseModel):
    id: int
    case_id: str
    account_id: str
    amount: str
    currency: str
    expires_at: datetime
    status: str


def _provider(settings: Settings) -> HmacProvider | None:
    """The provider the settings name; none when pay-now is off (no gateway, secret or key)."""
    if not (settings.secret_key and settings.pay_gateway_url and settings.pay_provider_secret):
        return None
    return HmacProvider(settings.pay_gateway_url, settings.pay_app_id, settings.pay_provider_secret)


def _configured(settings: Settings) -> tuple[str, HmacProvider]:
    provider = _provider(settings)
    if provider is None or not settings.secret_key:
        raise PayNowUnavailableError()
    return settings.secret_key, provider


def _base_url(request: Request) -> str:
    public_url: str | None = request.app.state.context.settings.public_url
    return (public_url or str(request.base_url)).rstrip("/")


@router.post(
    "/cases/{case_id}/pay-links",
    response_model=PayLinkOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 503),
    summary="Issue a pay-now link for an amount of one of the case's accounts",
)
def issue_pay_link(
    case_id: str, body: PayLinkIn, principal: Sender, session: DatabaseSession, request: Request
) -> PayLinkOut:
    """A single-use link to the bank's payment page, for a fixed amount (never more than the
    account's overdue in the case), expiring after ``ttl_minutes``. Its URL is answered once:
    only the token's hash is stored. Send it in a message (the ``pay_link`` variable)."""
    secret, _ = _configured(request.app.state.context.settings)
    currency = body.currency.strip().upper()
    try:
        amount = parse_major(body.amount.strip(), currency)
    except MoneyError as error:
        raise paylinks.InvalidPayLinkError(
            reason=Text.of(N_("the amount is not one in the currency"))
        ) from error
    issued = paylinks.issue_link(
        session,
        principal,
        case_id,
        body.account_id.strip(),
        amount,
        currency,
        now(request),
        timedelta(minutes=body.ttl_minutes),
        today=today(request),
        secret=secret,
    )
    link = issued.link
    return PayLinkOut(
        id=link.id,
        url=f"{_base_url(request)}/api/v1/pay/{issued.token}",
        case_id=link.case_id,
        account_id=link.account_id,
        amount=format_major(link.amount, link.currency),
        currency=link.currency,
        expires_at=link.expires_at,
        status=link.status,
    )


@router.post(
    "/pay-links/{link_id}/cancel",
    response_model=PayLinkStateOut,
    responses=problem_responses(403, 404, 409),
    summary="Cancel a pay-now link not used yet",
)
def cancel_pay_link(
    link_id: int, principal: Sender, session: DatabaseSession, request: Request
) -> PayLinkStateOut:
    """The link can no longer be followed (410 ``pay_link_gone``, state ``cancelled``) and asks
    nothing any more of what the account owes. Whoever may issue a link may cancel one of a case
    in their scope (else 404 ``pay_link_not_found``); a used link is 409 ``pay_link_used``; a
    cancelled one is answered as it is. Audited (``paylink.cancel``)."""
    link = paylinks.cancel_link(session, principal, link_id, now(request), today=today(request))
    return PayLinkStateOut(
        id=link.id,
        case_id=link.case_id,
        account_id=link.account_id,
        amount=format_major(link.amount, link.currency),
        currency=link.currency,
        expires_at=link.expires_at,
        status=link.status,
    )


@router.get(
    "/pay/{token}",
    dependencies=[Depends(public)],
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=problem_responses(404, 410),
    summary="Follow a pay-now link to the payment provider's checkout (the customer)",
)
def follow_pay_link(token: str, session: DatabaseSession, request: Request) -> Response:
    """Once: the link is marked used and the customer sent (303) to the provider's checkout for
    its amount. An unknown or tampered link is 404 ``pay_link_unknown``; a used, expired or
    cancelled one 410 ``pay_link_gone``. Neither says anything of the customer; a browser (asking
    for HTML) gets a page saying so in its language. (Pay-now off: every link is unknown.)"""
    try:
        return _follow(token, session, request)
    except (paylinks.PayLinkUnknownError, paylinks.PayLinkGoneError) as error:
        return _refusal(request, error)


def _follow(token: str, session: Session, request: Request) -> RedirectResponse:
    settings = request.app.state.context.settings
    if _provider(settings) is None:  # no link can have been issued: unknown, like any other
        raise paylinks.PayLinkUnknownError()
    secret, provider = _configured(settings)
    visitor = Actor(
        user_id=None,
        name="pay link",
        role="anonymous",
        request_id=getattr(request.state, "request_id", None),
        client=request.client.host if request.client else None,
    )
    link = paylinks.use_link(session, token[:200], now(request), secret=secret, actor=visitor)
    url = provider.create_checkout(
        Checkout(
            reference=link.provider_reference,
            amount=link.amount,
            currency=link.currency,
            subject=f"Repayment {link.provider_reference}",
            expires_at=link.expires_at,
            notify_url=f"{_base_url(request)}/api/v1/pay/notify",
        )
    )
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _refusal(request: Request, error: paylinks.PayLinkUnknownError | paylinks.PayLinkGoneError) -> Response:
    """A link that cannot be followed: a browser gets a page in its language (plain HTML, nothing
    loaded from anywhere), any other client the problem document as every route answers it."""
    if "text/html" not in request.headers.get("accept", ""):
        raise error
    language = language_of(request)
    gone = isinstance(error, paylinks.PayLinkGoneError)
    title = escape(gettext(PAGE_TITLE, language))
    text = escape(gettext(GONE_PAGE if gone else UNKNOWN_PAGE, language))
    html = (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    )
    return HTMLResponse(html, status_code=error.http_status, headers=PAGE_HEADERS)


async def _form(request: Request) -> dict[str, str]:
    """The notify's fields (application/x-www-form-urlencoded, as Alipay sends them)."""
    body = await request.body()
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInputError(N_("The request body is not a form")) from error


@router.post(
    "/pay/notify",
    dependencies=[Depends(public)],
    response_class=PlainTextResponse,
    responses=problem_responses(400),
    summary="The payment provider's confirmation of a payment (signed)",
)
def pay_notify(
    form: Annotated[dict[str, str], Depends(_form)], session: DatabaseSession, request: Request
) -> PlainTextResponse:
    """Alipay's asynchronous notify (a form, signed: see docs/channels.md "Pay now"). A paid
    trade records a pending payment on the case, once per ``trade_no``; answers ``success``
    (the same for a delivery taken already). A bad signature, a wrong amount or an unknown order
    is 400 ``invalid_notify``."""
    settings = request.app.state.context.settings
    provider = _provider(settings)
    if provider is None:  # nothing to verify the signature with: not the provider's
        raise paylinks.InvalidNotifyError(reason=Text.of(N_("the signature is not the provider's")))
    day = Day(now=now(request), today=today(request), bank_zone=settings.bank_timezone)
    paylinks.take_notify(session, provider, form, day=day)
    return PlainTextResponse(ANSWER)
