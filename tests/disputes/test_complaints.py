"""Complaints over real HTTP: an owner (the team's leader, else the compliance queue), a response
deadline, open → responded → closed (final), every change audited; out of scope is 404."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import httpx

from arrears.auth.permissions import Role
from tests.api.conftest import Api, Person
from tests.api.work_book import TODAY, add_cases, audit_entries
from tests.disputes.helpers import REASON, desk, later

DESCRIPTION = "客户投诉催收员夜间多次来电"
RESPONSE = "已核实通话记录，向客户致歉并调整联系时间"


def complain(api: Api, who: Person, case_id: str, **extra: object) -> httpx.Response:
    body = {"category": "harassment", "description": DESCRIPTION, **extra}
    return api.as_(who).post(f"/api/v1/cases/{case_id}/complaints", json=body)


def act(
    api: Api, who: Person, complaint_id: int, action: str, body: dict[str, object], **headers: str
) -> httpx.Response:
    return api.as_(who, **headers).post(f"/api/v1/complaints/{complaint_id}/{action}", json=body)


def test_a_complaint_goes_open_responded_closed_and_stays_closed(api: Api) -> None:
    d = desk(api, "CMP")
    made = complain(api, d.collector, d.case_id, about_user_id=d.collector.user_id)
    assert made.status_code == 201, made.text
    row = made.json()
    assert (row["status"], row["owner_id"], row["about_user_id"]) == (
        "open",
        d.boss.user_id,
        d.collector.user_id,
    )
    assert date.fromisoformat(row["respond_by"]) == TODAY + timedelta(days=15)

    respond = {"response": RESPONSE}
    assert act(api, d.collector, row["id"], "respond", respond).status_code == 403
    early = act(api, d.boss, row["id"], "close", {"reason": REASON})
    assert early.status_code == 409 and early.json()["code"] == "complaint_state"
    assert act(api, d.boss, row["id"], "respond", respond, **{"If-Match": '"5"'}).status_code == 412
    answered = act(api, d.boss, row["id"], "respond", respond, **{"If-Match": '"1"'})
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["response"]) == ("responded", RESPONSE)
    twice = act(api, d.boss, row["id"], "respond", respond)
    assert twice.status_code == 409 and twice.json()["code"] == "complaint_state"

    closed = act(
        api, d.boss, row["id"], "close", {"reason": REASON}, **{"If-Match": answered.headers["ETag"]}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"] is not None
    for action, body in (
        ("close", {"reason": REASON}),
        ("respond", respond),
        ("assign", {"owner_id": d.officer.user_id, "reason": REASON}),
    ):
        final = act(api, d.officer, row["id"], action, body)
        assert final.status_code == 409 and final.json()["code"] == "complaint_closed", action

    [recorded] = audit_entries(api, "complaint.record")
    assert (recorded["object_id"], recorded["customer_id"]) == (str(row["id"]), d.customer_id)
    [responded] = audit_entries(api, "complaint.respond")
    assert (responded["before"]["status"], responded["after"]["status"]) == ("open", "responded")
    [closing] = audit_entries(api, "complaint.close")
    assert closing["reason"] == REASON and closing["after"]["status"] == "closed"


def test_without_a_team_leader_a_complaint_waits_in_the_compliance_queue(api: Api) -> None:
    team = api.team("leaderless")
    collector = api.person(Role.COLLECTOR, team_id=team)
    case_id = add_cases(api, "CMQ", 1, team_id=team, collector_id=collector.user_id).case_ids[0]
    officer = api.person(Role.COMPLIANCE_OFFICER)
    row = complain(api, collector, case_id, category="third_party", about_user_id=collector.user_id).json()
    assert row["owner_id"] is None
    queue = api.as_(officer).get("/api/v1/complaints?owner=none").json()["complaints"]
    assert [c["id"] for c in queue] == [row["id"]]
    assert api.as_(officer).get("/api/v1/complaints?owner=me").json()["complaints"] == []
    [look] = audit_entries(api, "complaint.read")  # the list with a row, not the empty one
    assert (look["customer_id"], look["actor_id"]) == (row["customer_id"], officer.user_id)

    to_subject = act(api, officer, row["id"], "assign", {"owner_id": collector.user_id, "reason": REASON})
    assert to_subject.status_code == 409 and to_subject.json()["code"] == "user_not_eligible"
    taken = act(
        api,
        officer,
        row["id"],
        "assign",
        {"owner_id": officer.user_id, "reason": REASON},
        **{"If-Match": '"1"'},
    )
    assert taken.status_code == 200 and taken.json()["owner_id"] == officer.user_id
    mine = api.as_(officer).get("/api/v1/complaints?owner=me").json()["complaints"]
    assert [c["id"] for c in mine] == [row["id"]]
    [assigned] = audit_entries(api, "complaint.assign")
    assert (assigned["before"]["owner_id"], assigned["after"]["owner_id"]) == (None, officer.user_id)

    (officer,) = later(api, 16, officer)
    overdue = api.as_(officer).get("/api/v1/complaints?owner=me&overdue=true").json()["complaints"]
    assert [(c["id"], c["overdue"]) for c in overdue] == [(row["id"], True)]
    assert act(api, officer, row["id"], "respond", {"response": RESPONSE}).status_code == 200
    assert api.as_(officer).get("/api/v1/complaints?overdue=true").json()["complaints"] == []


def test_complaints_out_of_scope_are_not_found_and_bad_input_is_refused(api: Api) -> None:
    d = desk(api, "CMS")
    other = desk(api, "CMT")
    assert complain(api, other.collector, d.case_id).status_code == 404
    assert complain(api, d.collector, d.case_id, category="rudeness").status_code == 422
    assert complain(api, d.collector, d.case_id, about_user_id=999_999).status_code == 400
    assert complain(api, d.collector, d.case_id, contact_id=999_999).status_code == 400
    row = complain(api, d.collector, d.case_id).json()
    assert act(api, other.boss, row["id"], "respond", {"response": RESPONSE}).status_code == 404
    to_other = {"owner_id": other.boss.user_id, "reason": REASON}
    assert act(api, other.boss, row["id"], "assign", to_other).status_code == 404
    assert act(api, other.boss, row["id"], "close", {"reason": REASON}).status_code == 404
    assert api.as_(other.boss).get(f"/api/v1/complaints/{row['id']}").status_code == 404
    assert api.as_(other.boss).get("/api/v1/complaints").json()["complaints"] == []
    assert api.as_(d.collector).get("/api/v1/complaints").status_code == 403
    assert api.as_(d.boss).get("/api/v1/complaints?owner=someone").status_code == 400
    bad_owner = act(api, d.boss, row["id"], "assign", {"owner_id": d.collector.user_id, "reason": REASON})
    assert bad_owner.status_code == 409
    assert audit_entries(api, "complaint.assign") == []


def test_of_two_handlers_answering_at_once_one_wins_and_nothing_is_lost(api: Api) -> None:
    d = desk(api, "CMR")
    row = complain(api, d.collector, d.case_id).json()
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def answer(who: Person, text: str) -> None:
        client = api.as_(who, **{"If-Match": '"1"'})
        start.wait()
        answers.append(client.post(f"/api/v1/complaints/{row['id']}/respond", json={"response": text}))

    threads = [
        threading.Thread(target=answer, args=(d.boss, RESPONSE)),
        threading.Thread(target=answer, args=(d.officer, RESPONSE + "（合规）")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in answers)
    assert statuses[0] == 200 and statuses[1] in (409, 412), [r.text for r in answers]
    winner = next(r for r in answers if r.status_code == 200).json()
    stored = api.as_(d.boss).get(f"/api/v1/complaints/{row['id']}").json()
    assert (stored["response"], stored["version"]) == (winner["response"], 2)
    assert len(audit_entries(api, "complaint.respond")) == 1
    assert [look["customer_id"] for look in audit_entries(api, "complaint.read")] == [d.customer_id]
