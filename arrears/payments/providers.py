"""The payment provider's adapter: the checkout page a pay-now link leads to, and the shape of
the provider's confirmation (its asynchronous notify).

The field names follow **Alipay**'s page payment (``alipay.trade.page.pay``) and its
asynchronous notification: the request carries ``out_trade_no`` (our order number: the link's
``provider_reference``), ``total_amount`` (a decimal string in major units), ``subject``,
``time_expire`` and ``notify_url``; the notify is a form with ``notify_id``, ``notify_time``,
``trade_no`` (the provider's trade number), ``out_trade_no``, ``total_amount``,
``trade_status`` (``TRADE_SUCCESS`` or ``TRADE_FINISHED`` when paid) and ``gmt_payment``
(``yyyy-MM-dd HH:mm:ss`` in Beijing time), and is answered with the plain text ``success``.

The signature is Alipay's rule with another algorithm: the parameters but ``sign`` and
``sign_type``, sorted by name, joined as ``name=value`` with ``&``, signed with HMAC-SHA256
under the secret shared with the provider (``sign_type`` ``HMAC-SHA256``, ``sign`` in hex).
Alipay itself signs with RSA2 (SHA256withRSA): its adapter would only change :func:`sign` and
:func:`verify`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from arrears.money import format_major

SIGN_TYPE = "HMAC-SHA256"
PAID_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")
ANSWER = "success"
"""What the provider expects as the answer of a notify it need not send again."""
PROVIDER_ZONE = ZoneInfo("Asia/Shanghai")
"""Alipay's times are Beijing time."""
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Checkout:
    """What the provider's checkout needs of a link."""

    reference: str
    amount: int
    currency: str
    subject: str
    expires_at: datetime
    notify_url: str


class PaymentProvider(Protocol):
    def create_checkout(self, checkout: Checkout) -> str:
        """The URL of the provider's checkout page for ``checkout``."""
        ...

    def verify(self, form: Mapping[str, str]) -> bool:
        """Whether a notify's signature is the provider's."""
        ...


def signing_text(params: Mapping[str, str]) -> str:
    """Alipay's signing text: every parameter but sign and sign_type, sorted, ``k=v`` joined by ``&``
    (empty values left out)."""
    kept = sorted(name for name in params if name not in ("sign", "sign_type") and params[name])
    return "&".join(f"{name}={params[name]}" for name in kept)


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), signing_text(params).encode(), hashlib.sha256).hexdigest()


def provider_time(instant: datetime) -> str:
    return instant.astimezone(PROVIDER_ZONE).strftime(_TIME_FORMAT)


def parse_provider_time(text: str) -> datetime:
    """A provider's ``yyyy-MM-dd HH:mm:ss`` (Beijing time) as a UTC-aware instant; ValueError if not one."""
    return datetime.strptime(text.strip(), _TIME_FORMAT).replace(tzinfo=PROVIDER_ZONE)


class HmacProvider:
    """Alipay's page payment with HMAC-SHA256 signatures: the test provider's, and the shape a
    bank's gateway speaking Alipay's fields takes."""

    def __init__(self, gateway_url: str, app_id: str, secret: str) -> None:
        self.gateway_url = gateway_url
        self.app_id = app_id
        self.secret = secret

    def create_checkout(self, checkout: Checkout) -> str:
        params = {
            "app_id": self.app_id,
            "method": "alipay.trade.page.pay",
            "product_code": "FAST_INSTANT_TRADE_PAY",
            "out_trade_no": checkout.reference,
            "total_amount": format_major(checkout.amount, checkout.currency),
            "currency": checkout.currency,
            "subject": checkout.subject,
            "time_expire": provider_time(checkout.expires_at),
            "notify_url": checkout.notify_url,
            "sign_type": SIGN_TYPE,
        }
        params["sign"] = sign(params, self.secret)
        separator = "&" if "?" in self.gateway_url else "?"
        return f"{self.gateway_url}{separator}{urlencode(params)}"

    def verify(self, form: Mapping[str, str]) -> bool:
        given = form.get("sign", "")
        if form.get("sign_type", SIGN_TYPE) != SIGN_TYPE or not given:
            return False
        return hmac.compare_digest(given.lower(), sign(form, self.secret))
