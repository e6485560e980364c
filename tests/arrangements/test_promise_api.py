"""Promises to pay over real HTTP: taking one (and every refusal), superseding, history, the ETag
and If-Match of cancel, idempotency keys, permission and scope, the audit trail."""

from __future__ import annotations

from datetime import timedelta

from arrears.auth.permissions import Role
from arrears.cases.models import Case, Placement
from arrears.db import transaction
from tests.api.conftest import API_NOW, Api
from tests.api.work_book import REASON, TODAY, audit_entries
from tests.arrangements.promise_book import (
    body,
    contact,
    hold,
    promise_count,
    promised_cases,
    second_account,
    take,
)


def test_a_promise_is_taken_read_and_listed(api: Api) -> None:
    collector, book = promised_cases(api, "PTA")
    client = api.as_(collector)
    case_id = book.case_ids[0]
    spoken = contact(api, case_id, book.customer_ids[0])

    made = take(client, case_id, body((0, "1000.50"), (14, "999.5"), contact_id=spoken))
    assert made.status_code == 201, made.text
    promise = made.json()
    assert made.headers["ETag"] == '"1"'
    assert promise["status"] == "open"
    assert promise["amount"] == "2000.00"
    assert promise["paid_amount"] == "0.00"
    assert promise["taken_on"] == TODAY.isoformat()
    assert promise["taken_by"] == collector.user_id
    assert promise["contact_id"] == spoken
    assert [(i["seq"], i["amount"], i["status"]) for i in promise["installments"]] == [
        (1, "1000.50", "open"),
        (2, "999.50", "open"),
    ]
    assert promise["first_due_on"] == TODAY.isoformat()

    read = client.get(f"/api/v1/promises/{promise['id']}")
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert read.json() == promise
    listed = client.get(f"/api/v1/cases/{case_id}/promises")
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["promises"]] == [promise["id"]]

    [entry] = audit_entries(api, "promise.take")
    assert entry["actor_id"] == collector.user_id
    assert entry["customer_id"] == book.customer_ids[0]
    assert entry["object_id"] == str(promise["id"])
    assert entry["after"]["amount"] == "2000.00"
    assert entry["after"]["installments"] == "2026-11-21 1000.50; 2026-12-05 999.50"


def test_a_new_promise_supersedes_the_open_one(api: Api) -> None:
    collector, book = promised_cases(api, "PTS")
    client = api.as_(collector)
    case_id = book.case_ids[0]
    first = take(client, case_id, body((3, "100"))).json()
    second = take(client, case_id, body((5, "200")))
    assert second.status_code == 201, second.text

    history = client.get(f"/api/v1/cases/{case_id}/promises").json()["promises"]
    assert [p["id"] for p in history] == [second.json()["id"], first["id"]]
    old = history[1]
    assert old["status"] == "superseded"
    assert old["superseded_by"] == second.json()["id"]
    assert old["closed_on"] == TODAY.isoformat()
    assert old["version"] == 3  # superseded, then pointed at its successor
    assert history[0]["status"] == "open"
    [entry] = audit_entries(api, "promise.supersede")
    assert entry["before"]["status"] == "open" and entry["after"]["status"] == "superseded"
    # a superseded promise is final: it is not cancelled
    refused = client.post(f"/api/v1/promises/{first['id']}/cancel", json={"reason": REASON})
    assert refused.status_code == 409 and refused.json()["code"] == "promise_closed"


def test_the_terms_of_a_promise_are_checked(api: Api) -> None:
    collector, book = promised_cases(api, "PTV")
    client = api.as_(collector)
    case_id = book.case_ids[0]
    cases = [
        (body((-1, "100")), 422, "promise_due_in_past"),
        (body((5, "100"), (5, "100")), 422, "promise_dates_not_increasing"),
        (body((5, "100"), (2, "100")), 422, "promise_dates_not_increasing"),
        (body((5, "0")), 422, "promise_amount"),
        (body((5, "-3.00")), 422, "promise_amount"),
        (body((5, "1.001")), 422, "promise_amount"),
        (body((5, "12,00")), 422, "promise_amount"),
        (body((5, "100"), currency="USD"), 422, "promise_currency"),
        (body((5, "100"), currency="usd"), 422, "promise_currency"),
        (body((5, "100"), account_id="A-other"), 422, "promise_account"),
        (body((5, "100"), contact_id=999), 422, "promise_contact"),
        (body((5, "4000"), (6, "1000.01")), 422, "promise_over_outstanding"),
        ({"installments": [], "currency": "CNY"}, 422, None),
        ({"installments": [{"due_on": "2026-12-01", "amount": "1"}], "currency": "CNY", "x": 1}, 422, None),
    ]
    for payload, status, code in cases:
        answer = take(client, case_id, payload)
        assert answer.status_code == status, (payload, answer.text)
        if code is not None:
            assert answer.json()["code"] == code, (payload, answer.text)
            assert answer.json()["detail"]
    assert promise_count(api, case_id) == 0
    exact = take(client, case_id, body((5, "4000"), (6, "1000.00")))  # exactly what is owed
    assert exact.status_code == 201, exact.text


def test_no_promise_on_a_closed_case_or_under_a_hold_that_stops_collection(api: Api) -> None:
    collector, book = promised_cases(api, "PTH", 3)
    client = api.as_(collector)
    with transaction(api.engine) as session:
        case = session.get(Case, book.case_ids[0])
        assert case is not None
        case.status = "closed"
    closed = take(client, book.case_ids[0], body((1, "10")))
    assert closed.status_code == 409 and closed.json()["code"] == "case_closed"

    for kind in ("dispute", "cease", "bankruptcy", "deceased"):
        held = hold(api, book.customer_ids[1], kind)
        answer = take(client, book.case_ids[1], body((1, "10")))
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "collection_held"
        assert kind in answer.json()["detail"]
        with transaction(api.engine) as session:
            from arrears.disputes.models import Hold

            row = session.get(Hold, held)
            assert row is not None
            row.lifted_at = api.clock.now()
    # lifted holds, and hardship, do not stop a promise
    hold(api, book.customer_ids[1], "hardship")
    assert take(client, book.case_ids[1], body((1, "10"))).status_code == 201
    assert promise_count(api, book.case_ids[0]) == 0


def test_cancel_needs_the_current_version_and_an_open_promise(api: Api) -> None:
    collector, book = promised_cases(api, "PTC")
    client = api.as_(collector)
    promise = take(client, book.case_ids[0], body((2, "50"))).json()
    url = f"/api/v1/promises/{promise['id']}/cancel"

    assert client.post(url, json={"reason": "short"}).json()["code"] == "reason_too_short"
    stale = client.post(url, json={"reason": REASON}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412, stale.text
    bad = client.post(url, json={"reason": REASON}, headers={"If-Match": "yesterday"})
    assert bad.status_code == 400
    done = client.post(url, json={"reason": REASON}, headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "cancelled" and done.headers["ETag"] == '"2"'
    again = client.post(url, json={"reason": REASON}, headers={"If-Match": '"2"'})
    assert again.status_code == 409 and again.json()["code"] == "promise_closed"
    [entry] = audit_entries(api, "promise.cancel")
    assert entry["reason"] == REASON and entry["before"]["status"] == "open"
    assert entry["after"]["status"] == "cancelled"
    # a cancelled promise leaves room for a new open one
    assert take(client, book.case_ids[0], body((2, "50"))).status_code == 201


def test_permission_and_scope(api: Api) -> None:
    collector, book = promised_cases(api, "PTP", 2)
    other, elsewhere = promised_cases(api, "PTQ")
    analyst = api.person(Role.STRATEGY_ANALYST)
    mine = take(api.as_(collector), book.case_ids[0], body((2, "50"))).json()

    # a role without promise.take: 403, whatever the case
    assert take(api.as_(analyst), book.case_ids[1], body((2, "50"))).status_code == 403
    assert (
        api.as_(analyst).post(f"/api/v1/promises/{mine['id']}/cancel", json={"reason": REASON}).status_code
        == 403
    )
    # the analyst reads every case (scope all), the other collector none of these
    assert api.as_(analyst).get(f"/api/v1/promises/{mine['id']}").status_code == 200
    outsider = api.as_(other)
    missing = take(outsider, book.case_ids[1], body((2, "50")))
    assert missing.status_code == 404
    nobody = take(outsider, "C-nobody", body((2, "50")))
    assert nobody.status_code == 404
    assert missing.json()["code"] == nobody.json()["code"] == "not_found"
    assert missing.json()["detail"].replace(book.case_ids[1], "C-nobody") == nobody.json()["detail"]
    assert outsider.get(f"/api/v1/promises/{mine['id']}").status_code == 404
    assert outsider.get(f"/api/v1/cases/{book.case_ids[0]}/promises").status_code == 404
    assert outsider.post(f"/api/v1/promises/{mine['id']}/cancel", json={"reason": REASON}).status_code == 404
    assert api.as_(collector).get("/api/v1/promises/999999").status_code == 404
    assert promise_count(api, book.case_ids[1]) == 0
    assert take(outsider, elsewhere.case_ids[0], body((2, "50"))).status_code == 201


def test_an_agency_promises_only_on_the_accounts_placed_with_it(api: Api) -> None:
    _, book = promised_cases(api, "PAG")
    case_id, customer_id, placed = book.case_ids[0], book.customer_ids[0], book.account_ids[0]
    other = second_account(api, case_id, customer_id)
    agency = api.agency("AG-P")
    with transaction(api.engine) as session:
        session.add(
            Placement(
                account_id=placed,
                agency_id=agency,
                starts_on=TODAY,
                ends_on=TODAY + timedelta(days=30),
                placed_at=API_NOW,
                reason="test",
            )
        )
    agent = api.as_(api.person(Role.AGENCY_USER, agency_id=agency))

    unplaced = take(agent, case_id, body((2, "50"), account_id=other))
    assert unplaced.status_code == 422 and unplaced.json()["code"] == "promise_account"
    whole_case = take(agent, case_id, body((2, "50")))
    assert whole_case.status_code == 422 and whole_case.json()["code"] == "promise_account_required"
    assert promise_count(api, case_id) == 0
    made = take(agent, case_id, body((2, "50"), account_id=placed))
    assert made.status_code == 201, made.text
    assert made.json()["account_id"] == placed


def test_an_idempotency_key_replays_the_first_answer(api: Api) -> None:
    collector, book = promised_cases(api, "PTI", 2)
    client = api.as_(collector)
    case_id = book.case_ids[0]
    payload = body((3, "120.00"), (10, "80"))

    first = take(client, case_id, payload, key="key-1")
    assert first.status_code == 201, first.text
    again = take(client, case_id, payload, key="key-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert promise_count(api, case_id) == 1  # not taken twice, the first not superseded
    assert client.get(f"/api/v1/cases/{case_id}/promises").json()["promises"][0]["status"] == "open"

    other = take(client, case_id, body((3, "121.00")), key="key-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert promise_count(api, case_id) == 1

    # a refusal is kept with its key too: replayed even once the request would succeed
    past = body((-1, "10"))
    refused = take(client, book.case_ids[1], past, key="key-2")
    assert refused.status_code == 422 and refused.json()["code"] == "promise_due_in_past"
    api.clock.advance(timedelta(days=-2))  # the date is no longer past: a new request would pass
    replay = take(client, book.case_ids[1], past, key="key-2")
    assert replay.status_code == 422 and replay.json()["code"] == "promise_due_in_past"
    assert promise_count(api, book.case_ids[1]) == 0

    # keys are the caller's: another user's same key is a new request
    colleague = api.person(Role.SUPERVISOR)
    assert take(api.as_(colleague), case_id, payload, key="key-1").status_code == 404
    assert take(client, case_id, payload, key="k" * 201).status_code == 400


def test_the_history_is_paginated_newest_first(api: Api) -> None:
    collector, book = promised_cases(api, "PTG")
    client = api.as_(collector)
    case_id = book.case_ids[0]
    made = [take(client, case_id, body((day, "10"))).json()["id"] for day in (1, 2, 3)]
    first = client.get(f"/api/v1/cases/{case_id}/promises", params={"limit": 2}).json()
    assert [p["id"] for p in first["promises"]] == made[:0:-1]
    assert [p["status"] for p in first["promises"]] == ["open", "superseded"]
    second = client.get(
        f"/api/v1/cases/{case_id}/promises", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [p["id"] for p in second["promises"]] == made[:1]
    assert second["next_cursor"] is None
    bad = client.get(f"/api/v1/cases/{case_id}/promises", params={"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
