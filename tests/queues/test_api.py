"""Queues over real HTTP: queue sets, preview and activation, the queues' sizes by scope, collector
profiles with If-Match, retention; permissions (403) and scope (404), audit entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.auth.permissions import Role
from arrears.queues import nightly
from tests.api.book import TODAY, Book, case_id_of
from tests.api.conftest import API_NOW, Api, Person
from tests.queues.helpers import queue, queue_set


def _actions(api: Api, action: str) -> list[AuditEntry]:
    with Session(api.engine) as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_queue_set_life_cycle_preview_and_activation(api: Api) -> None:
    boss = api.person(Role.SUPERVISOR)
    team = api.team("T1", leader=boss)
    collector = api.person(Role.COLLECTOR, team_id=team)
    api.person(Role.COLLECTOR, team_id=team)
    book = Book(api.engine)
    book.case("q1", bucket="M1", dpd=5)
    book.case("q2", bucket="M2", dpd=45)
    book.assign(case_id_of("q1"), team, collector.user_id)
    client = api.as_(boss)
    bad = client.post("/api/v1/queues/sets", json={"document": "queues:\n  - code: x\n    tam: T1\n"})
    assert bad.status_code == 400 and "line 3" in bad.json()["detail"]
    unknown = client.post("/api/v1/queues/sets", json={"document": queue_set(queue("a", "NOPE"))})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_team"
    made = client.post(
        "/api/v1/queues/sets",
        json={
            "document": queue_set(queue("m1", "T1", "{buckets: [M1]}"), queue("rest", "T1")),
            "note": "first",
        },
    )
    assert made.status_code == 201, made.text
    number, tag = made.json()["number"], made.headers["ETag"]
    assert made.json()["status"] == "draft"
    preview = client.get(f"/api/v1/queues/sets/{number}/preview")
    assert preview.status_code == 200, preview.text
    assert preview.json()["cases"] == {"m1": 1, "rest": 1}
    assert (
        preview.json()["collector_moves"] == 1
    )  # q2 goes to the team's pool; q1 stays (sticky? no: new queue)
    stale = client.post(f"/api/v1/queues/sets/{number}/activate", headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    done = client.post(f"/api/v1/queues/sets/{number}/activate", headers={"If-Match": tag})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"
    again = client.post(f"/api/v1/queues/sets/{number}/activate")
    assert again.status_code == 409 and again.json()["code"] == "queue_set_not_draft"
    assert len(_actions(api, "queue_set.draft")) == 1 and len(_actions(api, "queue_set.activate")) == 1
    # the night does what the preview said
    with api.engine.begin() as connection:
        outcome = nightly.assign_book(connection, TODAY, API_NOW)
    assert outcome.plan is not None
    assert outcome.plan.cases == preview.json()["cases"]
    assert outcome.plan.collector_moves == preview.json()["collector_moves"]
    listed = client.get("/api/v1/queues").json()
    assert listed["queue_set"] == number
    assert {(q["queue"], q["cases"]) for q in listed["queues"]} == {("m1", 1), ("rest", 1)}
    # a collector sees their own cases only
    mine = api.as_(collector).get("/api/v1/queues").json()
    assert sum(q["cases"] for q in mine["queues"]) == 1
    # a supervisor of another team sees none of it
    other = api.person(Role.SUPERVISOR)
    api.team("T2", leader=other)
    assert api.as_(other).get("/api/v1/queues").json()["queues"] == []
    assert api.as_(other).get("/api/v1/queues/overview").json()["queues"] == []
    _watchers_see_every_team(api, collector, listed)
    # a collector may not draft or read sets
    assert api.as_(collector).post("/api/v1/queues/sets", json={"document": "x"}).status_code == 403
    assert api.as_(collector).get("/api/v1/queues/sets").status_code == 403
    sets = api.as_(api.person(Role.STRATEGY_ANALYST)).get("/api/v1/queues/sets")
    assert sets.status_code == 200 and sets.json()["sets"][0]["queues"][0]["name"] == "Queue m1"


def _watchers_see_every_team(api: Api, collector: Person, listed: dict[str, Any]) -> None:
    """An analyst works no queue but watches them all; a collector does not watch."""
    analyst = api.as_(api.person(Role.STRATEGY_ANALYST))
    assert analyst.get("/api/v1/queues").status_code == 403
    watched = analyst.get("/api/v1/queues/overview")
    assert watched.status_code == 200 and watched.json() == listed
    assert api.as_(collector).get("/api/v1/queues/overview").status_code == 403


def test_profiles_with_if_match_and_scope(api: Api) -> None:
    boss = api.person(Role.SUPERVISOR)
    team = api.team("P1", leader=boss)
    collector = api.person(Role.COLLECTOR, team_id=team)
    elsewhere = api.person(Role.COLLECTOR, team_id=api.team("P2"))
    client = api.as_(boss)
    url = f"/api/v1/collectors/{collector.user_id}/profile"
    empty = client.get(url)
    assert empty.status_code == 200 and empty.json()["capacity"] is None
    first = client.put(url, json={"languages": ["zh-CN"], "products": [], "capacity": 40})
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"1"'
    assert (
        client.put(
            url, json={"languages": [], "products": [], "capacity": 5}, headers={"If-Match": '"9"'}
        ).status_code
        == 412
    )
    second = client.put(
        url, json={"languages": ["en"], "products": [], "capacity": 5}, headers={"If-Match": '"1"'}
    )
    assert second.status_code == 200 and second.json()["capacity"] == 5 and second.headers["ETag"] == '"2"'
    entries = _actions(api, "collector.profile")
    assert len(entries) == 2 and '"capacity": 40' in (entries[1].before or "")
    # another team's collector: not found for this supervisor
    assert client.get(f"/api/v1/collectors/{elsewhere.user_id}/profile").status_code == 404
    assert (
        client.put(
            f"/api/v1/collectors/{elsewhere.user_id}/profile",
            json={"languages": [], "products": [], "capacity": 1},
        ).status_code
        == 404
    )
    # a collector may not write profiles
    assert (
        api.as_(collector).put(url, json={"languages": [], "products": [], "capacity": 1}).status_code == 403
    )
    assert client.put(url, json={"languages": [], "products": [], "capacity": -1}).status_code == 422


def test_retention_only_by_the_leader_of_the_case_team(api: Api) -> None:
    boss = api.person(Role.SUPERVISOR)
    team = api.team("R1", leader=boss)
    collector = api.person(Role.COLLECTOR, team_id=team)
    book = Book(api.engine)
    book.case("r1")
    book.case("r2")
    book.case("r3")
    book.assign(case_id_of("r1"), team, collector.user_id)
    book.assign(case_id_of("r3"), team)  # the team's pool: no collector to keep it with
    client = api.as_(boss)
    body = {"days": 5, "reason": "客户承诺月底前还款，保留给原催收员"}
    made = client.post(f"/api/v1/cases/{case_id_of('r1')}/retention", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["collector_id"] == collector.user_id and made.json()["until"] == "2026-11-25"
    assert (
        client.post(f"/api/v1/cases/{case_id_of('r3')}/retention", json=body).json()["code"]
        == "not_retainable"
    )
    # a case out of the supervisor's scope (unassigned) is not found
    assert client.post(f"/api/v1/cases/{case_id_of('r2')}/retention", json=body).status_code == 404
    assert client.post("/api/v1/cases/C-nope/retention", json=body).status_code == 404
    # another supervisor does not see the case
    other = api.person(Role.SUPERVISOR)
    api.team("R2", leader=other)
    assert api.as_(other).post(f"/api/v1/cases/{case_id_of('r1')}/retention", json=body).status_code == 404
    # a collector may not retain
    assert (
        api.as_(collector).post(f"/api/v1/cases/{case_id_of('r1')}/retention", json=body).status_code == 403
    )
    assert (
        client.post(
            f"/api/v1/cases/{case_id_of('r1')}/retention", json={"days": 5, "reason": "short"}
        ).status_code
        == 400
    )
    released = client.delete(f"/api/v1/cases/{case_id_of('r1')}/retention")
    assert released.status_code == 200 and released.json()["released_at"] is not None
    assert client.delete(f"/api/v1/cases/{case_id_of('r1')}/retention").status_code == 404
    assert [e.customer_id for e in _actions(api, "case.retain")] == ["r1"]
    assert len(_actions(api, "case.release")) == 1
