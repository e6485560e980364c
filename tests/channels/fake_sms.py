"""A local fake of Alibaba Cloud's SMS API (Dysmsapi 2017-05-25) for the tests and the benchmark:
the RPC request shape and its HMAC-SHA1 signature (computed here on its own, not with the
adapter's code), SendSms and QuerySendDetails, the provider's error codes and its rate limit,
and the SmsReport / SmsUp pushes it makes back.

What it checks, as the provider does: the common parameters, the access key, the signature, a
timestamp within 15 minutes, a nonce used once; for SendSms the sign name, a registered template
and every one of its parameters, and the number. What a test can make it do:
``illegal`` numbers (``isv.MOBILE_NUMBER_ILLEGAL``), ``throttle`` the next N calls
(``Throttling.User``), a per-number limit per minute (``isv.BUSINESS_LIMIT_CONTROL``), and
``hang_after`` N messages: keep the next one and answer nothing until released (a provider
that took the message and whose answer never came back).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

KEY_ID = "LTAI-test-key"
KEY_SECRET = "test-secret-of-the-bank"
SIGN_NAME = "示例银行"
TEMPLATES = {
    "SMS_400100": "${name}您好，您的${product}已逾期，应还${amount}。请尽快还款，如有疑问请致电${hotline}。拒收请回复TD",
    "SMS_400300": "您的客户自助登录验证码为${code}，${minutes}分钟内有效，请勿告知任何人。",
    "SMS_400200": "Dear ${name}, your ${product} payment of ${amount} is overdue. Call ${hotline}. Reply STOP to opt out",
}
BEIJING = ZoneInfo("Asia/Shanghai")
MAINLAND = re.compile(r"1[3-9]\d{9}")
INTERNATIONAL = re.compile(r"(?!86)[1-9]\d{7,14}")
COMMON = (
    "AccessKeyId",
    "Action",
    "Format",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
    "Signature",
)


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def expected_signature(params: dict[str, str], secret: str) -> str:
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = "POST&%2F&" + _encode(query)
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class Sent:
    biz_id: str
    phone: str
    template_code: str
    params: dict[str, str]
    out_id: str
    at: datetime

    @property
    def content(self) -> str:
        text = TEMPLATES[self.template_code]
        for name, value in self.params.items():
            text = text.replace("${" + name + "}", value)
        return f"【{SIGN_NAME}】{text}"


@dataclass
class FakeSms:
    received: list[Sent] = field(default_factory=list)
    illegal: set[str] = field(default_factory=set)
    throttle: int = 0
    per_number_per_minute: int | None = None
    hang_after: int | None = None
    latency: float = 0.0
    """Seconds each SendSms takes to answer (a real provider's take tens of milliseconds)."""
    refused: dict[str, int] = field(default_factory=dict)
    """Every error answered, by code."""
    clock_skew: timedelta = timedelta(0)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)
    nonces: set[str] = field(default_factory=set)
    app: FastAPI = field(default_factory=FastAPI)

    def __post_init__(self) -> None:
        @self.app.post("/")
        async def rpc(request: Request) -> JSONResponse:
            params = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
            answer, status = self.answer(params)
            if params.get("Action") == "SendSms" and self.latency:
                await asyncio.sleep(self.latency)
            if answer.get("Code") == "OK" and params.get("Action") == "SendSms" and self._hangs():
                self.hanging.set()
                while not self.released.is_set():
                    await asyncio.sleep(0.01)
            return JSONResponse(answer, status_code=status)

    # --- what a test reads ---------------------------------------------------------------------

    def out_ids(self) -> list[str]:
        with self.lock:
            return [sent.out_id for sent in self.received]

    def release(self) -> None:
        self.hang_after = None
        self.released.set()

    # --- the provider --------------------------------------------------------------------------

    def answer(self, params: dict[str, str]) -> tuple[dict[str, Any], int]:
        request_id = str(uuid.uuid4()).upper()
        problem = self._common_problem(params)
        if problem is None:
            with self.lock:
                if params["Action"] == "SendSms":
                    return self._send(params, request_id)
                if params["Action"] == "QuerySendDetails":
                    return self._query(params, request_id), 200
            problem = ("InvalidAction.NotFound", "Specified api is not found", 404)
        code, message, status = problem
        with self.lock:
            self.refused[code] = self.refused.get(code, 0) + 1
        return {"Code": code, "Message": message, "RequestId": request_id}, status

    def _common_problem(self, params: dict[str, str]) -> tuple[str, str, int] | None:
        missing = [name for name in COMMON if not params.get(name)]
        if missing:
            return (
                "MissingParameter",
                f"The input parameter {missing[0]} that is mandatory is not supplied.",
                400,
            )
        if params["AccessKeyId"] != KEY_ID:
            return "InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404
        if not hmac.compare_digest(params["Signature"], expected_signature(params, KEY_SECRET)):
            return "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400
        try:
            stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "InvalidTimeStamp.Format", "Specified time stamp is not valid.", 400
        if abs(datetime.now(UTC) + self.clock_skew - stamp) > timedelta(minutes=15):
            return "InvalidTimeStamp.Expired", "Specified time stamp or date header is expired.", 400
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return "SignatureNonceUsed", "Specified signature nonce was used already.", 400
            self.nonces.add(params["SignatureNonce"])
            if self.throttle > 0:
                self.throttle -= 1
                return "Throttling.User", "Request was denied due to user flow control.", 400
        if params["Version"] != "2017-05-25" or params["SignatureMethod"] != "HMAC-SHA1":
            return "InvalidVersion", "Specified parameter Version is not valid.", 400
        return None

    def _send(self, params: dict[str, str], request_id: str) -> tuple[dict[str, Any], int]:
        def refuse(code: str, message: str) -> tuple[dict[str, Any], int]:
            self.refused[code] = self.refused.get(code, 0) + 1
            return {"Code": code, "Message": message, "RequestId": request_id}, 200

        phone = params.get("PhoneNumbers", "")
        if phone in self.illegal or not (MAINLAND.fullmatch(phone) or INTERNATIONAL.fullmatch(phone)):
            return refuse("isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number")
        if params.get("SignName") != SIGN_NAME:
            return refuse("isv.SMS_SIGNATURE_ILLEGAL", "the sign name is not approved")
        template = TEMPLATES.get(params.get("TemplateCode", ""))
        if template is None:
            return refuse("isv.SMS_TEMPLATE_ILLEGAL", "the template is not approved")
        try:
            given = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return refuse("isv.INVALID_JSON_PARAM", "TemplateParam is not JSON")
        if not isinstance(given, dict) or any(not isinstance(v, str) for v in given.values()):
            return refuse("isv.INVALID_JSON_PARAM", "TemplateParam takes string values")
        wanted = set(re.findall(r"\$\{(\w+)\}", template))
        if wanted - set(given):
            return refuse("isv.TEMPLATE_MISSING_PARAMETERS", f"missing {sorted(wanted - set(given))[0]}")
        now = datetime.now(UTC)
        if self.per_number_per_minute is not None:
            recent = [s for s in self.received if s.phone == phone and now - s.at < timedelta(minutes=1)]
            if len(recent) >= self.per_number_per_minute:
                return refuse("isv.BUSINESS_LIMIT_CONTROL", "frequency limit for this number")
        biz_id = f"{len(self.received) + 900000000000:d}^0"
        self.received.append(Sent(biz_id, phone, params["TemplateCode"], given, params.get("OutId", ""), now))
        return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}, 200

    def _hangs(self) -> bool:
        with self.lock:
            return self.hang_after is not None and len(self.received) > self.hang_after

    def _query(self, params: dict[str, str], request_id: str) -> dict[str, Any]:
        phone, day = params.get("PhoneNumber", ""), params.get("SendDate", "")
        size, page = int(params.get("PageSize") or 10), int(params.get("CurrentPage") or 1)
        rows = [s for s in self.received if s.phone == phone and f"{s.at.astimezone(BEIJING):%Y%m%d}" == day]
        shown = rows[(page - 1) * size : page * size]
        return {
            "Code": "OK",
            "Message": "OK",
            "RequestId": request_id,
            "TotalCount": len(rows),
            "SmsSendDetailDTOs": {
                "SmsSendDetailDTO": [
                    {
                        "PhoneNum": s.phone,
                        "SendStatus": 3,
                        "ErrCode": "DELIVERED",
                        "TemplateCode": s.template_code,
                        "Content": s.content,
                        "SendDate": f"{s.at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}",
                        "ReceiveDate": f"{s.at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}",
                        "OutId": s.out_id,
                    }
                    for s in shown
                ]
            },
        }

    # --- what it pushes back -------------------------------------------------------------------

    def report(self, sent: Sent, *, success: bool = True, err_code: str = "DELIVERED") -> dict[str, Any]:
        """The ``SmsReport`` item of a message it took."""
        at = f"{sent.at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}"
        return {
            "phone_number": sent.phone,
            "send_time": at,
            "report_time": at,
            "success": success,
            "err_code": err_code,
            "err_msg": "用户接收成功" if success else "失败",
            "sms_size": "1",
            "biz_id": sent.biz_id,
            "out_id": sent.out_id,
        }

    @staticmethod
    def reply(phone: str, content: str, sequence_id: int) -> dict[str, Any]:
        """An ``SmsUp`` item: the customer's reply to the bank's number."""
        return {
            "phone_number": phone,
            "send_time": f"{datetime.now(BEIJING):%Y-%m-%d %H:%M:%S}",
            "content": content,
            "sign_name": SIGN_NAME,
            "dest_code": "1234",
            "sequence_id": sequence_id,
        }


def push(url: str, items: list[dict[str, Any]], secret: str | None) -> httpx.Response:
    """POST a batch to Arrears as the bank's gateway does: the JSON body, signed."""
    body = json.dumps(items, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Arrears-Signature"] = f"sha256={digest}"
    return httpx.post(url, content=body, headers=headers, timeout=10)


@contextmanager
def fake_sms() -> Iterator[tuple[FakeSms, str]]:
    """The fake served on a loopback port; yields it and its endpoint URL."""
    from tests.api.conftest import serving

    fake = FakeSms()
    with serving(fake.app) as url:
        yield fake, url + "/"
