"""Placements over real HTTP: overlap refused, recall ends the agency's view at once, listing, audit."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx

from arrears.auth.models import Agency
from arrears.auth.permissions import Role
from arrears.db import transaction
from tests.api.conftest import Api
from tests.api.work_book import REASON, TODAY, add_cases, audit_entries, supervisor_of, visible


def place(
    client: httpx.Client, accounts: list[str], agency_id: int, days: tuple[int, int] = (0, 29)
) -> httpx.Response:
    return client.post(
        "/api/v1/placements",
        json={
            "account_ids": accounts,
            "agency_id": agency_id,
            "starts_on": (TODAY + timedelta(days=days[0])).isoformat(),
            "ends_on": (TODAY + timedelta(days=days[1])).isoformat(),
            "reason": REASON,
        },
    )


def test_an_account_is_not_placed_twice_over_overlapping_dates(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    book = add_cases(api, "PLC", 2, team_id=team)
    first, second = api.agency("first-agency"), api.agency("second-agency")
    client = api.as_(boss)

    made = place(client, book.account_ids, first)
    assert made.status_code == 201, made.text
    assert [p["account_id"] for p in made.json()] == sorted(book.account_ids)
    assert all(p["active"] and p["recalled_at"] is None for p in made.json())

    clash = place(client, [book.account_ids[1]], second, days=(20, 50))
    assert clash.status_code == 409
    assert clash.json()["code"] == "placement_overlap"
    assert book.account_ids[1] in clash.json()["detail"]
    after = place(client, [book.account_ids[1]], second, days=(30, 60))  # the day after the first ends
    assert after.status_code == 201, after.text
    # all or nothing: one clashing account refuses the whole request
    mixed = place(client, book.account_ids, second, days=(100, 120))
    assert mixed.status_code == 201
    again = place(client, [book.account_ids[0]], first, days=(110, 130))
    assert again.status_code == 409

    entries = audit_entries(api, "placement.create")
    assert len(entries) == 5
    assert all(e["reason"] == REASON and e["actor_id"] == boss.user_id for e in entries)
    assert {e["customer_id"] for e in entries} == set(book.customer_ids)
    assert entries[0]["after"]["agency_id"] == first


def test_recall_ends_the_agency_users_view_at_once(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    book = add_cases(api, "RCL", 2, team_id=team)
    agency = api.agency("recall-agency")
    agent = api.person(Role.AGENCY_USER, agency_id=agency)
    assert visible(api, agent, accounts=book.account_ids) == set()

    placed = place(api.as_(boss), book.account_ids, agency).json()
    assert visible(api, agent, accounts=book.account_ids) == set(book.account_ids)
    # the agency user's token, held across the recall, is answered by the scope of the moment
    check = {"customer_id": book.customer_ids[0], "contact": {"channel": "call"}}
    agency_client = api.as_(agent)
    assert agency_client.post("/api/v1/compliance/check", json=check).status_code == 200

    recalled = api.as_(boss).post(
        f"/api/v1/placements/{placed[0]['id']}/recall", json={"reason": "委外机构投诉过多，收回"}
    )
    assert recalled.status_code == 200, recalled.text
    assert recalled.json()["recalled_at"] is not None and recalled.json()["active"] is False
    assert recalled.json()["recalled_by"] == boss.user_id

    assert visible(api, agent, accounts=book.account_ids) == {placed[1]["account_id"]}
    assert agency_client.post("/api/v1/compliance/check", json=check).status_code == 404

    twice = api.as_(boss).post(
        f"/api/v1/placements/{placed[0]['id']}/recall", json={"reason": "委外机构投诉过多，收回"}
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "placement_ended"
    [entry] = audit_entries(api, "placement.recall")
    assert entry["object_id"] == str(placed[0]["id"])
    assert entry["before"]["recalled_at"] is None and entry["after"]["recalled_at"] is not None
    assert entry["reason"] == "委外机构投诉过多，收回"


def test_placements_are_refused_outside_scope_or_with_bad_dates_or_agency(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    _, (team_x,) = supervisor_of(api, "north")
    mine = add_cases(api, "PLM", 1, team_id=team).account_ids
    theirs = add_cases(api, "PLT", 1, team_id=team_x).account_ids
    agency = api.agency("scope-agency")
    client = api.as_(boss)

    hidden, missing = place(client, theirs, agency), place(client, ["A-NOSUCH"], agency)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"].replace("A-NOSUCH", theirs[0])
    backwards = place(client, mine, agency, days=(10, 5))
    assert backwards.status_code == 400
    assert "starts_on" in backwards.json()["detail"]
    with transaction(api.engine) as session:
        row = session.get(Agency, agency)
        assert row is not None
        row.active = False
    disabled = place(client, mine, agency)
    assert disabled.status_code == 409
    assert disabled.json()["code"] == "agency_inactive"
    collector = api.person(Role.COLLECTOR, team_id=team)
    assert place(api.as_(collector), mine, agency).status_code == 403
    assert audit_entries(api, "placement.create") == []


def test_placements_are_listed_newest_first_by_cursor_with_filters(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    _, (team_x,) = supervisor_of(api, "north")
    book = add_cases(api, "PLL", 3, team_id=team)
    other = add_cases(api, "PLO", 1, team_id=team_x)
    one, two = api.agency("list-one"), api.agency("list-two")
    outsider = api.person(Role.SUPERVISOR)
    api.lead(outsider, team_x)
    ids = [p["id"] for p in place(api.as_(boss), book.account_ids[:2], one).json()]
    ids += [p["id"] for p in place(api.as_(boss), book.account_ids[2:], two).json()]
    hidden = place(api.as_(outsider), other.account_ids, one).json()[0]["id"]
    api.as_(boss).post(f"/api/v1/placements/{ids[0]}/recall", json={"reason": REASON})
    client = api.as_(boss)

    first = client.get("/api/v1/placements", params={"limit": 2})
    assert first.status_code == 200
    assert [p["id"] for p in first.json()["placements"]] == sorted(ids, reverse=True)[:2]
    rest = client.get("/api/v1/placements", params={"limit": 2, "cursor": first.json()["next_cursor"]})
    assert [p["id"] for p in rest.json()["placements"]] == sorted(ids, reverse=True)[2:]
    assert rest.json()["next_cursor"] is None
    assert hidden not in [p["id"] for p in first.json()["placements"] + rest.json()["placements"]]

    by_agency = client.get("/api/v1/placements", params={"agency_id": two}).json()["placements"]
    assert [p["id"] for p in by_agency] == [ids[2]]
    active = client.get("/api/v1/placements", params={"active": "true"}).json()["placements"]
    assert sorted(p["id"] for p in active) == sorted(ids[1:])
    ended = client.get("/api/v1/placements", params={"active": "false"}).json()["placements"]
    assert [p["id"] for p in ended] == [ids[0]]
    account = client.get("/api/v1/placements", params={"account_id": book.account_ids[1]}).json()[
        "placements"
    ]
    assert [p["account_id"] for p in account] == [book.account_ids[1]]
    auditor = api.person(Role.AUDITOR)
    assert len(api.as_(auditor).get("/api/v1/placements").json()["placements"]) == 4
    assert client.get("/api/v1/placements", params={"cursor": "not-a-cursor"}).status_code == 400
    collector = api.person(Role.COLLECTOR, team_id=team)
    assert api.as_(collector).get("/api/v1/placements").status_code == 403


def test_ids_beyond_the_columns_and_forged_cursors_are_refused_not_failed(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    book = add_cases(api, "PLH", 1, team_id=team)
    client = api.as_(boss)
    huge = 2**40
    assert place(client, book.account_ids, huge).status_code == 422
    assert client.post(f"/api/v1/placements/{huge}/recall", json={"reason": REASON}).status_code == 422
    assert client.post(f"/api/v1/visits/{huge}/cancel", json={"reason": REASON}).status_code == 422
    assert client.get("/api/v1/placements", params={"agency_id": huge}).status_code == 422
    assert put_assignment(client, book.case_ids[0], huge).status_code == 422
    for forged in ("eyJpZCI6ImFiYyJ9", "eyJpZCI6MTAwMDAwMDAwMDAwMH0", "W10", "%%%"):
        assert client.get("/api/v1/placements", params={"cursor": forged}).status_code == 400


def put_assignment(client: httpx.Client, case_id: str, collector_id: int) -> httpx.Response:
    body = {"team_id": 1, "collector_id": collector_id, "reason": REASON}
    return client.put(f"/api/v1/cases/{case_id}/assignment", json=body)


def test_two_supervisors_placing_one_account_at_once_one_wins(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    other = api.person(Role.SUPERVISOR)
    api.lead(other, team)
    account = add_cases(api, "PLR", 1, team_id=team).account_ids
    agencies = [api.agency("race-one"), api.agency("race-two")]
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def go(index: int) -> None:
        client = api.as_((boss, other)[index])
        start.wait()
        answers.append(place(client, account, agencies[index]))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    assert len(audit_entries(api, "placement.create")) == 1
