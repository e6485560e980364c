"""A payment provider on loopback for the pay-now tests: Alipay's page payment fields, signed
with HMAC-SHA256 (arrears.payments.providers). Its checkout page checks the signature and keeps
the order; ``pay`` then sends the provider's asynchronous notify to the order's notify_url, as
Alipay does when the customer has paid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from arrears.payments.providers import SIGN_TYPE, provider_time, sign

SECRET = "provider-secret-shared-with-the-bank"


@dataclass
class FakeProvider:
    secret: str = SECRET
    orders: dict[str, dict[str, str]] = field(default_factory=dict)
    """out_trade_no → the checkout's parameters, for every checkout opened with a good signature."""
    refused: int = 0
    app: FastAPI = field(default_factory=FastAPI)

    def __post_init__(self) -> None:
        @self.app.get("/gateway", response_class=HTMLResponse)
        def checkout(request: Request) -> HTMLResponse:
            params = dict(request.query_params)
            if params.get("sign") != sign(params, self.secret):
                self.refused += 1
                return HTMLResponse("<h1>invalid signature</h1>", status_code=400)
            self.orders[params["out_trade_no"]] = params
            return HTMLResponse(f"<h1>Pay {params['total_amount']} {params['currency']}</h1>")

    def notify_form(
        self, reference: str, trade_no: str, *, paid_at: datetime, **changes: str
    ) -> dict[str, str]:
        """The signed notify of the order ``reference``, paid (``changes`` after signing: a tamper)."""
        order = self.orders[reference]
        form = {
            "notify_id": f"n-{trade_no}",
            "notify_time": provider_time(paid_at),
            "notify_type": "trade_status_sync",
            "app_id": order["app_id"],
            "trade_no": trade_no,
            "out_trade_no": reference,
            "total_amount": order["total_amount"],
            "trade_status": "TRADE_SUCCESS",
            "gmt_payment": provider_time(paid_at),
            "sign_type": SIGN_TYPE,
        }
        form["sign"] = sign(form, self.secret)
        return form | changes

    def pay(self, reference: str, trade_no: str, *, paid_at: datetime, **changes: str) -> httpx.Response:
        """The customer paid: the notify to the order's notify_url."""
        form = self.notify_form(reference, trade_no, paid_at=paid_at, **changes)
        return httpx.post(self.orders[reference]["notify_url"], data=form, timeout=30)
