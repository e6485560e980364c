"""Field visits over real HTTP: planned for an active field agent of a led team, cancelled, audited."""

from __future__ import annotations

from datetime import timedelta

import httpx

from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.api.work_book import REASON, TODAY, add_cases, audit_entries, disable, supervisor_of, visible


def plan(client: httpx.Client, case_id: str, agent_id: int, days: int = 1) -> httpx.Response:
    return client.post(
        f"/api/v1/cases/{case_id}/visits",
        json={
            "agent_id": agent_id,
            "planned_on": (TODAY + timedelta(days=days)).isoformat(),
            "reason": REASON,
        },
    )


def test_a_planned_visit_shows_the_agent_the_customer_until_it_is_cancelled(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    book = add_cases(api, "VIS", 1, team_id=team)
    agent = api.person(Role.FIELD_AGENT, team_id=team)
    assert visible(api, agent, customers=book.customer_ids) == set()

    made = plan(api.as_(boss), book.case_ids[0], agent.user_id)
    assert made.status_code == 201, made.text
    visit = made.json()
    assert (visit["status"], visit["agent_id"], visit["customer_id"]) == (
        "planned",
        agent.user_id,
        book.customer_ids[0],
    )
    assert visible(api, agent, customers=book.customer_ids) == set(book.customer_ids)
    check = {"customer_id": book.customer_ids[0], "contact": {"channel": "visit"}}
    assert api.as_(agent).post("/api/v1/compliance/check", json=check).status_code == 200

    cancelled = api.as_(boss).post(
        f"/api/v1/visits/{visit['id']}/cancel", json={"reason": "客户已还款，取消外访"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert visible(api, agent, customers=book.customer_ids) == set()
    assert api.as_(agent).post("/api/v1/compliance/check", json=check).status_code == 404

    again = api.as_(boss).post(
        f"/api/v1/visits/{visit['id']}/cancel", json={"reason": "客户已还款，取消外访"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "visit_not_planned"

    [assigned] = audit_entries(api, "visit.assign")
    assert assigned["object_id"] == str(visit["id"]) and assigned["customer_id"] == book.customer_ids[0]
    assert assigned["after"]["agent_id"] == agent.user_id and assigned["reason"] == REASON
    [cancel] = audit_entries(api, "visit.cancel")
    assert (cancel["before"]["status"], cancel["after"]["status"]) == ("planned", "cancelled")
    assert cancel["reason"] == "客户已还款，取消外访"


def test_visits_are_refused_for_the_wrong_agent_case_or_day(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    _, (team_x,) = supervisor_of(api, "north")
    mine = add_cases(api, "VIM", 1, team_id=team).case_ids[0]
    theirs = add_cases(api, "VIT", 1, team_id=team_x).case_ids[0]
    agent = api.person(Role.FIELD_AGENT, team_id=team)
    client = api.as_(boss)

    for wrong in (
        api.person(Role.COLLECTOR, team_id=team),
        api.person(Role.FIELD_AGENT, team_id=team_x),
        disable(api, api.person(Role.FIELD_AGENT, team_id=team)),
    ):
        refused = plan(client, mine, wrong.user_id)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "user_not_eligible"
    hidden, missing = plan(client, theirs, agent.user_id), plan(client, "C-NOSUCH-20261101", agent.user_id)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"].replace("C-NOSUCH-20261101", theirs)
    past = plan(client, mine, agent.user_id, days=-1)
    assert past.status_code == 400
    far = plan(client, mine, agent.user_id, days=367)
    assert far.status_code == 400 and "366 days ahead" in far.json()["detail"]
    collector = api.person(Role.COLLECTOR, team_id=team)
    assert plan(api.as_(collector), mine, agent.user_id).status_code == 403
    assert api.as_(collector).post("/api/v1/visits/1/cancel", json={"reason": REASON}).status_code == 403
    assert client.post("/api/v1/visits/999/cancel", json={"reason": REASON}).status_code == 404
    assert audit_entries(api, "visit.assign") == []
