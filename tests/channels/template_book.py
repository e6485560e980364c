"""Templates to draft and approve over the API's test book."""

from __future__ import annotations

from typing import Any

import httpx

from arrears.auth.permissions import Role
from tests.api.conftest import Api, Person

SMS = "【{{ bank_name }}】{{ customer_name }}您好，您的{{ product_name }}已逾期，欠款{{ overdue_amount | money }}，请尽快还款。详询{{ bank_hotline }}。{{ opt_out }}"
THREAT = "{{ customer_name }}，再不还款后果自负。"
LETTER = (
    "尊敬的{{ customer_name }}：\n"
    "您在本行的{{ product_name }}因未按约定还款已逾期，截至{{ today | date }}欠款金额{{ overdue_amount | money }}。\n\n"
    "请尽快还款。您有权向本行了解欠款明细；如对欠款有异议，可在收到本函之日起15日内提出异议申请。\n\n"
    "联系电话：{{ bank_hotline }}"
)
SHORT_LETTER = "尊敬的{{ customer_name }}：请尽快还款{{ overdue_amount | money }}。"


def people(api: Api) -> tuple[Person, Person]:
    """A writer (a supervisor) and an approver (a compliance officer)."""
    return api.person(Role.SUPERVISOR), api.person(Role.COMPLIANCE_OFFICER)


def draft(client: httpx.Client, body: str = SMS, **fields: Any) -> httpx.Response:
    payload = {"code": "overdue_notice", "channel": "sms", "language": "zh-CN", "body": body} | fields
    return client.post("/api/v1/templates", json=payload)


def drafted(client: httpx.Client, body: str = SMS, **fields: Any) -> dict[str, Any]:
    made = draft(client, body, **fields)
    assert made.status_code == 201, made.text
    answer: dict[str, Any] = made.json()
    return answer


def approve(client: httpx.Client, template: dict[str, Any], version: int | None = None) -> httpx.Response:
    tag = version if version is not None else template["version"]
    return client.post(f"/api/v1/templates/{template['id']}/approve", headers={"If-Match": f'"{tag}"'})
