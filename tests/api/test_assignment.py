"""Assigning cases over real HTTP: history kept, scope and team rules, the race, bulk, the audit."""

from __future__ import annotations

import threading

import httpx

from arrears.auth.permissions import Role
from tests.api.conftest import API_NOW, Api
from tests.api.work_book import REASON, add_cases, assignments, audit_entries, disable, supervisor_of


def put(client: httpx.Client, case_id: str, **body: object) -> httpx.Response:
    return client.put(f"/api/v1/cases/{case_id}/assignment", json={"reason": REASON, **body})


def without_request(problem: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in problem.items() if k not in ("instance", "request_id", "detail")}


def test_a_supervisor_moves_a_case_to_a_collector_and_the_history_is_kept(api: Api) -> None:
    boss, (team_a, team_b) = supervisor_of(api, "east", "west")
    collector = api.person(Role.COLLECTOR, team_id=team_b)
    book = add_cases(api, "ASG", 1, team_id=team_a)
    case_id = book.case_ids[0]
    [(first_id, _, _, _)] = assignments(api, case_id)

    answer = put(api.as_(boss), case_id, team_id=team_b, collector_id=collector.user_id)

    assert answer.status_code == 200, answer.text
    made = answer.json()
    assert (made["team_id"], made["collector_id"], made["ended_at"]) == (team_b, collector.user_id, None)
    assert made["reason"] == REASON
    assert answer.headers["ETag"] == f'"{made["id"]}"'
    history = assignments(api, case_id)
    assert [(t, c) for _, t, c, _ in history] == [(team_a, None), (team_b, collector.user_id)]
    assert history[0][3] is not None and history[1][3] is None  # the first one ended, the new one current

    listed = api.as_(boss).get(f"/api/v1/cases/{case_id}/assignments")
    assert listed.status_code == 200
    assert listed.json()["current"]["id"] == made["id"]
    assert [row["id"] for row in listed.json()["history"]] == [made["id"], first_id]
    assert listed.headers["ETag"] == answer.headers["ETag"]
    # the collector now sees the case's history too (it is theirs); a collector of another team does not
    assert api.as_(collector).get(f"/api/v1/cases/{case_id}/assignments").status_code == 200
    stranger = api.person(Role.COLLECTOR, team_id=team_a)
    assert api.as_(stranger).get(f"/api/v1/cases/{case_id}/assignments").status_code == 404

    [entry] = audit_entries(api, "case.assign")
    assert entry["actor_id"] == boss.user_id
    assert entry["object_id"] == case_id and entry["customer_id"] == book.customer_ids[0]
    assert entry["before"] == {"assignment_id": first_id, "team_id": team_a, "collector_id": None}
    assert entry["after"] == {
        "assignment_id": made["id"],
        "team_id": team_b,
        "collector_id": collector.user_id,
    }
    assert entry["reason"] == REASON


def test_a_case_of_another_supervisors_team_is_not_found_exactly_like_a_missing_one(api: Api) -> None:
    boss, (team_a,) = supervisor_of(api, "east")
    _, (team_x,) = supervisor_of(api, "north")
    theirs = add_cases(api, "OTH", 1, team_id=team_x).case_ids[0]

    hidden = put(api.as_(boss), theirs, team_id=team_a)
    missing = put(api.as_(boss), "C-NOSUCH-20261101", team_id=team_a)

    assert hidden.status_code == missing.status_code == 404
    assert without_request(hidden.json()) == without_request(missing.json())
    assert hidden.json()["detail"] == missing.json()["detail"].replace("C-NOSUCH-20261101", theirs)
    assert api.as_(boss).get(f"/api/v1/cases/{theirs}/assignments").status_code == 404
    # and a case they see goes only to a team they lead
    mine = add_cases(api, "MIN", 1, team_id=team_a).case_ids[0]
    refused = put(api.as_(boss), mine, team_id=team_x)
    assert refused.status_code == 403
    assert refused.json()["code"] == "team_not_led"
    assert len(assignments(api, mine)) == 1 and len(assignments(api, theirs)) == 1
    assert audit_entries(api, "case.assign") == []


def test_the_collector_must_be_an_active_collector_of_the_team(api: Api) -> None:
    boss, (team_a, team_b) = supervisor_of(api, "east", "west")
    case_id = add_cases(api, "COL", 1, team_id=team_a).case_ids[0]
    elsewhere = api.person(Role.COLLECTOR, team_id=team_a)
    agent = api.person(Role.FIELD_AGENT, team_id=team_b)
    gone = disable(api, api.person(Role.COLLECTOR, team_id=team_b))

    for who in (elsewhere, agent, gone):
        answer = put(api.as_(boss), case_id, team_id=team_b, collector_id=who.user_id)
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "user_not_eligible"
        assert f"team {team_b}" in answer.json()["detail"]
    chinese = put(
        api.as_(boss, **{"Accept-Language": "zh-CN"}), case_id, team_id=team_b, collector_id=agent.user_id
    )
    assert chinese.status_code == 409 and "不是" in chinese.json()["detail"]
    assert len(assignments(api, case_id)) == 1


def test_a_collector_cannot_assign_and_a_short_reason_is_refused(api: Api) -> None:
    boss, (team_a,) = supervisor_of(api, "east")
    case_id = add_cases(api, "PRM", 1, team_id=team_a).case_ids[0]
    collector = api.person(Role.COLLECTOR, team_id=team_a)

    refused = put(api.as_(collector), case_id, team_id=team_a)
    assert refused.status_code == 403
    assert api.as_(collector).put(f"/api/v1/cases/{case_id}/assignment").status_code == 403  # before the body
    assert refused.json()["code"] == "permission_denied"
    bulk = api.as_(collector).post(
        "/api/v1/cases/assignments", json={"case_ids": [case_id], "team_id": team_a, "reason": REASON}
    )
    assert bulk.status_code == 403

    short = api.as_(boss).put(
        f"/api/v1/cases/{case_id}/assignment", json={"team_id": team_a, "reason": " ok  "}
    )
    assert short.status_code == 400
    assert short.json()["code"] == "reason_too_short"
    missing = api.as_(boss).put(f"/api/v1/cases/{case_id}/assignment", json={"team_id": team_a})
    assert missing.status_code == 422
    assert len(assignments(api, case_id)) == 1


def test_two_supervisors_racing_on_one_case_one_wins_the_other_gets_409(api: Api) -> None:
    first, (team_a, team_b) = supervisor_of(api, "east", "west")
    second = api.person(Role.SUPERVISOR)
    api.lead(second, team_a)
    api.lead(second, team_b)
    case_id = add_cases(api, "RACE", 1, team_id=team_a).case_ids[0]
    read = api.as_(first).get(f"/api/v1/cases/{case_id}/assignments")
    tag = read.headers["ETag"]
    collectors = [api.person(Role.COLLECTOR, team_id=team_b) for _ in range(2)]

    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def move(person_index: int) -> None:
        client = api.as_((first, second)[person_index], **{"If-Match": tag})
        start.wait()
        answers.append(put(client, case_id, team_id=team_b, collector_id=collectors[person_index].user_id))

    threads = [threading.Thread(target=move, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    winner = next(a for a in answers if a.status_code == 200)
    assert loser.json()["code"] == "stale_assignment"
    history = assignments(api, case_id)
    assert len(history) == 2
    assert history[-1][0] == winner.json()["id"] and history[-1][3] is None
    assert len(audit_entries(api, "case.assign")) == 1

    # a stale expectation in the body is refused the same way; the current one passes
    stale = put(api.as_(second), case_id, team_id=team_a, expected_assignment_id=history[0][0])
    assert stale.status_code == 409
    fresh = put(api.as_(second), case_id, team_id=team_a, expected_assignment_id=winner.json()["id"])
    assert fresh.status_code == 200
    assert (
        put(api.as_(second), case_id, team_id=team_a, expected_assignment_id="unassigned").status_code == 409
    )


def test_bulk_assignment_is_all_or_nothing_and_limited(api: Api) -> None:
    boss, (team_a, team_b) = supervisor_of(api, "east", "west")
    _, (team_x,) = supervisor_of(api, "north")
    mine = add_cases(api, "BLK", 3, team_id=team_a).case_ids
    theirs = add_cases(api, "BLX", 1, team_id=team_x).case_ids
    client = api.as_(boss)

    refused = client.post(
        "/api/v1/cases/assignments", json={"case_ids": [*mine, *theirs], "team_id": team_b, "reason": REASON}
    )
    assert refused.status_code == 404
    assert all(len(assignments(api, c)) == 1 for c in mine)  # nothing moved

    done = client.post(
        "/api/v1/cases/assignments", json={"case_ids": mine, "team_id": team_b, "reason": REASON}
    )
    assert done.status_code == 200, done.text
    assert done.json()["count"] == 3
    assert all([t for _, t, _, e in assignments(api, c) if e is None] == [team_b] for c in mine)
    entries = audit_entries(api, "case.assign")
    assert sorted(e["object_id"] for e in entries) == sorted(mine)
    assert all(e["before"]["team_id"] == team_a and e["after"]["team_id"] == team_b for e in entries)
    assert all(e["reason"] == REASON for e in entries)

    too_many = client.post(
        "/api/v1/cases/assignments",
        json={"case_ids": [f"C-{n}" for n in range(501)], "team_id": team_b, "reason": REASON},
    )
    assert too_many.status_code == 400
    assert "500" in too_many.json()["detail"]


def test_the_ended_assignment_carries_the_apis_clock(api: Api) -> None:
    boss, (team_a, team_b) = supervisor_of(api, "east", "west")
    case_id = add_cases(api, "CLK", 1, team_id=team_a).case_ids[0]
    assert put(api.as_(boss), case_id, team_id=team_b).status_code == 200
    ended = assignments(api, case_id)[0][3]
    assert ended is not None and ended == API_NOW
