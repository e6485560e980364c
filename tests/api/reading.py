"""Helpers of the read endpoints' tests: what a caller sees, through every read route at once."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from tests.api.book import account_id_of, case_id_of


def listed(client: httpx.Client, limit: int = 200, **filters: Any) -> list[str]:
    """Every case id of the caller's list, page by page, in the list's order; fails on a page
    longer than ``limit`` or a page that repeats an id."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {**filters, "limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = client.get("/api/v1/cases", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["items"]) <= limit
        ids.extend(item["case_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == limit  # a page before the last is full
    assert len(ids) == len(set(ids)), ids
    return ids


def sees(client: httpx.Client, customer_id: str) -> bool:
    """Whether the caller sees the customer's case, customer and account: the four reads (list,
    case, customer, account) must agree, each 200 or 404."""
    in_list = case_id_of(customer_id) in listed(client)
    answers = [
        client.get(f"/api/v1/cases/{case_id_of(customer_id)}"),
        client.get(f"/api/v1/customers/{customer_id}"),
        client.get(f"/api/v1/accounts/{account_id_of(customer_id)}"),
    ]
    codes = [answer.status_code for answer in answers]
    assert set(codes) <= {200, 404}, [answer.text for answer in answers]
    seen = [in_list, *(code == 200 for code in codes)]
    assert len(set(seen)) == 1, f"{customer_id}: list, case, customer, account disagree: {seen}"
    return in_list


def seen_of(client: httpx.Client, customer_ids: list[str]) -> set[str]:
    return {customer_id for customer_id in customer_ids if sees(client, customer_id)}


def without_request(body: dict[str, Any]) -> dict[str, Any]:
    """A problem document less what differs by request (its id and path)."""
    return {key: value for key, value in body.items() if key not in ("request_id", "instance")}


def audit(engine: Engine, action: str) -> list[AuditEntry]:
    """The audit entries of ``action``, in the chain's order."""
    with Session(engine) as session:
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
        )
