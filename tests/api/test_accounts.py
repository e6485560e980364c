"""GET /api/v1/accounts/{id}: the account, its latest snapshot and DPD history, installments and
payments as decimal strings with their currency, each list bounded and paged back by a cursor."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from arrears.auth.permissions import Role
from tests.api.book import TODAY, Book, account_id_of
from tests.api.conftest import Api
from tests.api.reading import audit

ACCOUNT = account_id_of("K1")


def filled(api: Api) -> Book:
    book = Book(api.engine)
    book.case("K1")
    book.history(ACCOUNT, "K1", [(TODAY - timedelta(days=n), 45 - n, 123_456 - n) for n in range(5)])
    book.installments(ACCOUNT, [(date(2026, 6 + n, 1), 100_000 + n) for n in range(5)])
    book.payments(
        ACCOUNT,
        [
            ("P1", date(2026, 7, 2), 100_000, None),
            ("P2", date(2026, 8, 2), 50_005, None),
            ("P3", date(2026, 8, 2), 7, None),
            ("R2", date(2026, 8, 9), 50_005, "P2"),
        ],
    )
    return book


def walk(client: httpx.Client, name: str, limit: int) -> list[dict[str, Any]]:
    """Every item of one of the account's lists, following its cursor."""
    items: list[dict[str, Any]] = []
    cursor_param = {
        "dpd_history": "history_cursor",
        "installments": "installments_cursor",
        "payments": "payments_cursor",
    }
    params: dict[str, Any] = {"limit": limit}
    while True:
        answer = client.get(f"/api/v1/accounts/{ACCOUNT}", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()[name]
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params[cursor_param[name]] = page["next_cursor"]


def test_an_account_with_its_delinquency_installments_and_payments(api: Api) -> None:
    filled(api)
    auditor = api.person(Role.AUDITOR)
    answer = api.as_(auditor).get(f"/api/v1/accounts/{ACCOUNT}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["customer_id"] == "K1"
    assert body["product"] == "personal_loan"
    assert body["principal"] == {"amount": "12000.00", "currency": "CNY"}
    assert body["credit_limit"] is None
    assert body["snapshot"] == {
        "as_of": TODAY.isoformat(),
        "status": "active",
        "dpd": 45,
        "bucket": "M2",
        "overdue": {"amount": "1234.56", "currency": "CNY"},
        "outstanding": {"amount": "11234.56", "currency": "CNY"},
        "roll": "same",
    }
    assert [p["dpd"] for p in body["dpd_history"]["items"]] == [45, 44, 43, 42, 41]
    assert body["dpd_history"]["next_cursor"] is None
    assert [i["seq"] for i in body["installments"]["items"]] == [5, 4, 3, 2, 1]
    assert body["installments"]["items"][0]["amount_due"] == {"amount": "1000.04", "currency": "CNY"}
    assert [p["payment_id"] for p in body["payments"]["items"]] == ["R2", "P3", "P2", "P1"]
    assert body["payments"]["items"][0]["reverses"] == "P2"
    assert body["payments"]["items"][1]["amount"] == {"amount": "0.07", "currency": "CNY"}

    entries = audit(api.engine, "account.read")
    assert [(e.actor_id, e.object_id, e.customer_id) for e in entries] == [(auditor.user_id, ACCOUNT, "K1")]


def test_each_list_pages_back_without_gaps_or_repeats(api: Api) -> None:
    filled(api)
    client = api.as_(api.person(Role.AUDITOR))
    for limit in (1, 2, 3, 5):
        assert [p["as_of"] for p in walk(client, "dpd_history", limit)] == [
            (TODAY - timedelta(days=n)).isoformat() for n in range(5)
        ]
        assert [i["seq"] for i in walk(client, "installments", limit)] == [5, 4, 3, 2, 1]
        assert [p["payment_id"] for p in walk(client, "payments", limit)] == ["R2", "P3", "P2", "P1"]
    # the latest snapshot stays the latest whichever page of the history is asked for
    first = client.get(f"/api/v1/accounts/{ACCOUNT}", params={"limit": 2}).json()
    later = client.get(
        f"/api/v1/accounts/{ACCOUNT}",
        params={"limit": 2, "history_cursor": first["dpd_history"]["next_cursor"]},
    ).json()
    assert later["snapshot"] == first["snapshot"]
    assert [p["dpd"] for p in later["dpd_history"]["items"]] == [43, 42]


def test_an_account_before_any_batch_and_bad_paging(api: Api) -> None:
    Book(api.engine).case("K1")
    client = api.as_(api.person(Role.AUDITOR))
    body = client.get(f"/api/v1/accounts/{ACCOUNT}").json()
    assert body["snapshot"] is None
    assert body["dpd_history"] == {"items": [], "next_cursor": None}

    for params in ({"payments_cursor": "not-a-cursor"}, {"history_cursor": "WyJjYXNlcyIsMSwiQyJd"}):
        answer = client.get(f"/api/v1/accounts/{ACCOUNT}", params=params)
        assert answer.status_code == 400, params
        assert answer.json()["code"] == "invalid_cursor"
    for limit in (0, 201):
        answer = client.get(f"/api/v1/accounts/{ACCOUNT}", params={"limit": limit})
        assert answer.status_code == 422
        assert answer.json()["code"] == "malformed"
    assert client.get("/api/v1/accounts/NOPE").json()["code"] == "account_not_found"
