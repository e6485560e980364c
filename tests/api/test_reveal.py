"""POST /api/v1/customers/{id}/reveal: one personal field in full, for a role that may reveal it,
with a reason; audited; capped per user per business day, the excess refused and the refusal on
the record although the request fails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.auth import service as auth
from arrears.auth.models import CredentialKind, User
from arrears.auth.permissions import Role
from arrears.db import transaction
from tests.api.book import ADDRESS, EMAIL, MOBILE, NATIONAL_ID, Book
from tests.api.conftest import Api, Person
from tests.api.reading import audit, without_request

REASON = "customer called in, confirming the number on file"


def body(field: str, contact_point_id: int | None = None, **more: Any) -> dict[str, Any]:
    payload = {"field": field, "reason_code": "contact_attempt", "reason": REASON, **more}
    if contact_point_id is not None:
        payload["contact_point_id"] = contact_point_id
    return payload


def fresh_token(api: Api, person: Person) -> Person:
    """A new token for the same user (at the clock's time: an old one idles out when it moves)."""
    with transaction(api.engine) as session:
        user = session.get(User, person.user_id)
        assert user is not None
        secret, _ = auth.issue(
            session,
            user,
            CredentialKind.TOKEN,
            now=api.clock.now(),
            lifetimes=api.app.state.context.lifetimes,
        )
    return replace(person, token=secret)


def set_cap(api: Api, cap: int) -> None:
    context = api.app.state.context
    context.settings = context.settings.model_copy(update={"reveal_daily_cap": cap})


def collector_of_k1(api: Api, book: Book) -> Person:
    """A collector of team T1, K1's case assigned to them."""
    team = api.team("T1")
    collector = api.person(Role.COLLECTOR, "li", team_id=team)
    book.assign("C-K1-20261101", team, collector.user_id)
    return collector


def team_of(api: Api, person: Person) -> int:
    with Session(api.engine) as session:
        team = session.scalars(select(User.team_id).where(User.id == person.user_id)).one()
    assert team is not None
    return team


def test_a_collector_reveals_a_phone_with_a_reason_on_the_record(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    collector = collector_of_k1(api, book)
    phone = book.contact_ids["K1"]["mobile"]
    answer = api.as_(collector).post("/api/v1/customers/K1/reveal", json=body("phone", phone))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "customer_id": "K1",
        "field": "phone",
        "contact_point_id": phone,
        "value": MOBILE,
        "revealed_today": 1,
        "daily_cap": 50,
    }
    address = api.as_(collector).post(
        "/api/v1/customers/K1/reveal", json=body("address", book.contact_ids["K1"]["address"])
    )
    assert address.json()["value"] == ADDRESS
    assert address.json()["revealed_today"] == 2

    entries = audit(api.engine, "personal.reveal")
    assert len(entries) == 2
    entry = entries[0]
    assert (entry.actor_id, entry.outcome, entry.object_type, entry.object_id, entry.customer_id) == (
        collector.user_id,
        "ok",
        "customer",
        "K1",
        "K1",
    )
    assert entry.reason == f"contact_attempt: {REASON}"
    assert (
        entry.after is not None
        and '"field": "phone"' in entry.after
        and f'"contact_point_id": {phone}' in entry.after
    )
    for stored in (entry.before, entry.after, entry.reason):
        assert MOBILE not in (stored or "") and "5678" not in (stored or "")


def test_who_may_reveal_what(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    collector = collector_of_k1(api, book)
    ids = book.contact_ids["K1"]
    refused = api.as_(collector).post("/api/v1/customers/K1/reveal", json=body("national_id"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "reveal_not_allowed"
    assert NATIONAL_ID not in refused.text
    auditor = api.as_(api.person(Role.AUDITOR))  # reads everything, reveals nothing
    assert auditor.post("/api/v1/customers/K1/reveal", json=body("email", ids["email"])).status_code == 403

    officer = api.as_(api.person(Role.COMPLIANCE_OFFICER))
    assert (
        officer.post("/api/v1/customers/K1/reveal", json=body("national_id")).json()["value"] == NATIONAL_ID
    )
    assert (
        officer.post("/api/v1/customers/K1/reveal", json=body("birth_date")).json()["value"] == "1990-03-07"
    )
    assert (
        officer.post("/api/v1/customers/K1/reveal", json=body("email", ids["email"])).json()["value"] == EMAIL
    )
    assert [e.actor_role for e in audit(api.engine, "personal.reveal")] == ["compliance_officer"] * 3


def test_reveal_asks_for_a_visible_customer_and_a_matching_contact_point(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    book.case("K2")
    collector = collector_of_k1(api, book)
    client = api.as_(collector)
    ids = book.contact_ids

    hidden = client.post("/api/v1/customers/K2/reveal", json=body("phone", ids["K2"]["mobile"]))
    missing = client.post("/api/v1/customers/NOBODY/reveal", json=body("phone", ids["K2"]["mobile"]))
    assert hidden.status_code == missing.status_code == 404
    assert without_request(hidden.json()) == without_request(missing.json())

    for payload, status, code in (
        (body("phone", ids["K2"]["mobile"]), 404, "contact_point_not_found"),  # K2's, asked through K1
        (body("phone", ids["K1"]["email"]), 400, "reveal_invalid"),
        (body("phone"), 422, "malformed"),
        (body("national_id", ids["K1"]["mobile"]), 422, "malformed"),
        (body("phone", ids["K1"]["mobile"], reason="because"), 422, "malformed"),
        (body("phone", ids["K1"]["mobile"], reason="          x         "), 400, "reveal_invalid"),
        (body("phone", ids["K1"]["mobile"], reason_code="curiosity"), 422, "malformed"),
        (body("iris_scan"), 422, "malformed"),
        (body("phone", 10**20), 422, "malformed"),
    ):
        answer = client.post("/api/v1/customers/K1/reveal", json=payload)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (payload, answer.text)
        assert MOBILE not in answer.text
    assert audit(api.engine, "personal.reveal") == []


def test_reveals_are_capped_per_user_per_business_day(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    set_cap(api, 2)
    collector = collector_of_k1(api, book)
    phone = book.contact_ids["K1"]["mobile"]
    client = api.as_(collector)
    for n in (1, 2):
        answer = client.post("/api/v1/customers/K1/reveal", json=body("phone", phone))
        assert answer.json()["revealed_today"] == n

    over = client.post("/api/v1/customers/K1/reveal", json=body("phone", phone))
    assert over.status_code == 429
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json()["code"] == "reveal_cap_reached"
    assert over.headers["Retry-After"] == str(14 * 3600)  # 10:00 in Shanghai: 14 hours to the next day
    assert MOBILE not in over.text
    zh = api.as_(collector, **{"Accept-Language": "zh-CN"}).post(
        "/api/v1/customers/K1/reveal", json=body("phone", phone)
    )
    assert zh.status_code == 429 and "上限" in zh.json()["detail"]

    # the refusals are committed, flagged with the rule for compliance, and not counted as reveals
    with Session(api.engine) as session:
        refused = list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "personal.reveal", AuditEntry.outcome == "refused"
                )
            )
        )
    assert len(refused) == 2
    assert {(e.actor_id, e.rules, e.customer_id) for e in refused} == {
        (collector.user_id, "reveal.daily_cap", "K1")
    }
    assert refused[0].after is not None and '"daily_cap": 2' in refused[0].after

    # someone else's count is their own
    boss = api.person(Role.SUPERVISOR)
    api.lead(boss, team_of(api, collector))
    assert api.as_(boss).post("/api/v1/customers/K1/reveal", json=body("phone", phone)).status_code == 200

    # 23:59 in Shanghai: still the same business day
    api.clock.advance(timedelta(hours=13, minutes=59))
    late = fresh_token(api, collector)
    assert api.as_(late).post("/api/v1/customers/K1/reveal", json=body("phone", phone)).status_code == 429
    # midnight in Shanghai: a new business day, a new count
    api.clock.advance(timedelta(minutes=1))
    morning = fresh_token(api, collector)
    again = api.as_(morning).post("/api/v1/customers/K1/reveal", json=body("phone", phone))
    assert again.status_code == 200, again.text
    assert again.json()["revealed_today"] == 1


def test_the_cap_holds_under_concurrent_reveals(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    set_cap(api, 3)
    collector = collector_of_k1(api, book)
    phone = book.contact_ids["K1"]["mobile"]
    clients = [api.as_(fresh_token(api, collector)) for _ in range(8)]

    def ask(client: httpx.Client) -> int:
        return client.post("/api/v1/customers/K1/reveal", json=body("phone", phone)).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = sorted(pool.map(ask, clients))
    assert codes == [200] * 3 + [429] * 5
    outcomes = [e.outcome for e in audit(api.engine, "personal.reveal")]
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
