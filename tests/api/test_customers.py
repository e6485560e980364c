"""GET /api/v1/customers/{id}: the customer with contact points, masked, and the look audited."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import httpx

from arrears.auth.permissions import Role
from tests.api.book import Book
from tests.api.conftest import API_NOW, Api
from tests.api.reading import audit


def test_a_customer_with_contact_points_and_the_look_on_the_record(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    admin = api.person(Role.ADMINISTRATOR, "root")
    answer = api.as_(admin).get("/api/v1/customers/K1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("customer_id", "name", "language", "country", "timezone", "segment")} == {
        "customer_id": "K1",
        "name": "张伟 K1",
        "language": "zh-CN",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "segment": "retail",
    }
    assert body["masked"] == ["national_id", "birth_date"]
    points = body["contact_points"]
    assert [p["type"] for p in points] == ["mobile", "address", "email"]  # the primary first, then by type
    assert points[0] == {
        "id": book.contact_ids["K1"]["mobile"],
        "type": "mobile",
        "value": "+86138****5678",
        "masked": True,
        "label": None,
        "party": "debtor",
        "relation": None,
        "primary": True,
        "do_not_contact": False,
    }

    entries = audit(api.engine, "customer.read")
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor_id, entry.actor_name, entry.actor_role) == (admin.user_id, "root", "administrator")
    assert (entry.object_type, entry.object_id, entry.customer_id, entry.outcome) == (
        "customer",
        "K1",
        "K1",
        "ok",
    )
    assert entry.at == API_NOW
    assert entry.request_id == answer.headers["X-Request-ID"]


def test_a_missing_customer_is_404_and_not_audited(api: Api) -> None:
    client = api.as_(api.person(Role.AUDITOR))
    answer = client.get("/api/v1/customers/NOBODY")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "customer_not_found"
    assert answer.json()["detail"] == "There is no such customer"
    zh = api.as_(api.person(Role.AUDITOR), **{"Accept-Language": "zh-CN"}).get("/api/v1/customers/NOBODY")
    assert zh.json()["detail"] != "There is no such customer"
    assert audit(api.engine, "customer.read") == []


def test_no_credential_no_customer(api: Api) -> None:
    Book(api.engine).case("K1")
    answer = api.client().get("/api/v1/customers/K1")
    assert answer.status_code == 401
    assert "张伟" not in answer.text


def test_concurrent_looks_are_each_on_the_record(api: Api) -> None:
    """Many callers at once: every look answered and audited, the chain without gaps or forks."""
    Book(api.engine).case("K1")
    clients = [api.as_(api.person(Role.AUDITOR)) for _ in range(6)]

    def look(client: httpx.Client) -> list[int]:
        return [client.get("/api/v1/customers/K1").status_code for _ in range(5)]

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = [code for codes in pool.map(look, clients) for code in codes]
    assert codes == [200] * 30
    entries = audit(api.engine, "customer.read")
    assert [e.seq for e in entries] == list(range(1, 31))
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(entries))
