"""SMS through Alibaba Cloud's Short Message Service (阿里云短信服务, Dysmsapi, API version
2017-05-25), the provider many Chinese banks and lenders send notices through.

The contract (docs/channels.md, "SMS"):

- **Requests** are Alibaba Cloud's RPC style: a form POST to the endpoint with the common
  parameters (``AccessKeyId``, ``Action``, ``Format=JSON``, ``SignatureMethod=HMAC-SHA1``,
  ``SignatureNonce``, ``SignatureVersion=1.0``, ``Timestamp``, ``Version``) and the action's own,
  signed by :func:`signature`: HMAC-SHA1 under ``<AccessKeySecret>&`` of
  ``POST&%2F&<the percent-encoded, sorted, percent-encoded query>``, in base64.
- **SendSms** sends one message: ``PhoneNumbers`` (a mainland number without +86, else the
  country code and number), ``SignName`` (the bank's registered signature), ``TemplateCode``
  (the template registered and approved at the provider: the message template's setting
  ``template_code``; a service message without a template, the portal's one-time code, uses
  the template its purpose is given in ``service_templates``: ``ARREARS_SMS_CODE_TEMPLATE``),
  ``TemplateParam`` (the JSON of the message's parameters, rendered when it was
  queued from the template's ``param.<name>`` settings) and ``OutId``, the outbox's idempotency
  key. The answer ``{"Code": "OK", "BizId": …}`` is the acceptance; the BizId is the message's id.
- **Exactly once:** :meth:`AliyunSms.find` asks ``QuerySendDetails`` for the number's messages of
  each day since the message was queued (the provider keeps 30 days) and looks for the message's
  OutId: the worker asks before it sends a message it found ``sending`` again.
- **Errors** (:data:`RETRY_LATER`, :data:`RECIPIENT_INVALID`, :data:`NEVER`): the provider's rate
  limits and its own failures are transient (``Throttling.*`` after a second, the per-number limit
  ``isv.BUSINESS_LIMIT_CONTROL`` after an hour); a number the provider says is not one is permanent
  and marks the contact point invalid; a message the provider refuses for its content or template
  is permanent. The bank's own set-up (a wrong key, no balance, a signature not approved) is
  transient: fixed within the retries, nothing is lost. A connection that cannot be opened is
  transient. A timeout or a dropped connection after the request went out, or an answer that is
  not the provider's JSON, is transient and ``maybe_sent``: the message stays ``sending`` until
  its next attempt, and :meth:`find` decides then whether it went out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from arrears.channels.providers.base import Accepted, Outgoing, PermanentError, TransientError

API_VERSION = "2017-05-25"
PROVIDER_ZONE = ZoneInfo("Asia/Shanghai")
"""The provider's days (``SendDate``) are Beijing days."""
KEPT_DAYS = 30
"""How far back QuerySendDetails answers."""
PAGE_SIZE = 50
"""The most QuerySendDetails answers per page."""
TEMPLATE_CODE = "template_code"
"""The message template's setting naming the provider's template."""

RETRY_LATER: Mapping[str, float] = {
    "Throttling": 1.0,
    "Throttling.User": 1.0,
    "Throttling.Api": 1.0,
    "ServiceUnavailable": 5.0,
    "isp.SYSTEM_ERROR": 5.0,
    "isp.GATEWAY_ERROR": 5.0,
    "isv.BUSINESS_LIMIT_CONTROL": 3600.0,
    "isv.DAY_LIMIT_CONTROL": 3600.0,
}
"""The provider's rate limits and failures, and how long to wait before trying again (seconds)."""
RECIPIENT_INVALID = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.PHONE_NUMBER_ILLEGAL"})
"""The number is not one: the message is dead and the contact point invalid."""
NEVER = frozenset(
    {
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.INVALID_PARAMETERS",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
    }
)
"""The message itself is refused (its content or template): sending it again will not work.
Any other code (the bank's key, balance or signature) is retried: the bank can fix it."""


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud signs it: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(value, safe="~")


def signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """The ``Signature`` of a request's parameters (see the module)."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def provider_number(e164: str) -> str:
    """The number as SendSms wants it: a mainland mobile without +86, else country code and number."""
    digits = e164.strip().removeprefix("+")
    if not digits.isdigit() or not e164.strip().startswith("+"):
        raise PermanentError("not_e164", "the contact point is not a telephone number in E.164")
    return digits.removeprefix("86") if digits.startswith("86") and len(digits) == 13 else digits


class AliyunSms:
    """The adapter (see the module)."""

    name = "aliyun-sms"
    channel = "sms"

    def __init__(
        self,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        *,
        timeout: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.BaseTransport | None = None,
        service_templates: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.service_templates = {k: v for k, v in (service_templates or {}).items() if v}
        """The provider's template of each service message's purpose (no template of its own)."""
        self.now = now
        self.client = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0), transport=transport)

    def send(self, message: Outgoing) -> Accepted:
        code = message.settings.get(TEMPLATE_CODE) or self.service_templates.get(message.purpose)
        if not code:
            raise PermanentError("no_template_code", "the message's template names no provider template")
        answer = self._call(
            "SendSms",
            {
                "PhoneNumbers": provider_number(message.to),
                "SignName": self.sign_name,
                "TemplateCode": code,
                "TemplateParam": json.dumps(message.params, ensure_ascii=False, sort_keys=True),
                "OutId": message.idempotency_key,
            },
        )
        return Accepted(str(answer.get("BizId") or f"OutId:{message.idempotency_key}"))

    finds = True

    def find(self, message: Outgoing) -> Accepted | None:
        number = provider_number(message.to)
        for day in self._days_since(message.queued_at):
            for detail in self._details(number, day):
                if detail.get("OutId") == message.idempotency_key:
                    return Accepted(f"OutId:{message.idempotency_key}")
        return None

    def _days_since(self, queued_at: datetime | None) -> list[date]:
        today = self.now().astimezone(PROVIDER_ZONE).date()
        first = today - timedelta(days=KEPT_DAYS - 1)
        if queued_at is not None:
            first = max(first, queued_at.astimezone(PROVIDER_ZONE).date())
        return [first + timedelta(days=n) for n in range((today - first).days + 1)]

    def _details(self, number: str, day: date) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = self._call(
                "QuerySendDetails",
                {
                    "PhoneNumber": number,
                    "SendDate": f"{day:%Y%m%d}",
                    "PageSize": str(PAGE_SIZE),
                    "CurrentPage": str(page),
                },
            )
            rows = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            found.extend(row for row in rows if isinstance(row, dict))
            if len(rows) < PAGE_SIZE or len(found) >= int(answer.get("TotalCount") or 0):
                return found
            page += 1

    def _call(self, action: str, own: Mapping[str, str]) -> dict[str, Any]:
        params = self._common(action) | dict(own)
        params["Signature"] = signature("POST", params, self.access_key_secret)
        try:
            response = self.client.post(self.endpoint, data=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise TransientError("connection", type(error).__name__) from None
        except httpx.HTTPError as error:  # sent, and the answer lost: perhaps it went out
            raise _unsure("connection", type(error).__name__) from None
        try:
            answer = response.json()
        except ValueError:  # a proxy's error page: the provider may have had the request
            raise _unsure("bad_answer", f"HTTP {response.status_code}, not JSON") from None
        if not isinstance(answer, dict):
            raise _unsure("bad_answer", f"HTTP {response.status_code}, not an object")
        return _checked(answer, response.status_code)

    def _common(self, action: str) -> dict[str, str]:
        return {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }

    def close(self) -> None:
        self.client.close()


def _unsure(code: str, detail: str) -> TransientError:
    error = TransientError(code, detail)
    error.maybe_sent = True
    return error


def _checked(answer: dict[str, Any], status: int) -> dict[str, Any]:
    """The answer when its ``Code`` is OK; else the error it stands for (see the module)."""
    code = str(answer.get("Code") or f"HTTP {status}")
    if code == "OK":
        return answer
    said = str(answer.get("Message") or "")[:300]
    if code in RECIPIENT_INVALID:
        error = PermanentError(code, said)
        error.recipient_invalid = True
        raise error
    if code in NEVER:
        raise PermanentError(code, said)
    transient = TransientError(code, said)
    transient.retry_after_seconds = RETRY_LATER.get(code)
    raise transient
