"""POST /compliance/check over real HTTP: the gate's decisions in zh-CN and en, scope, audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from arrears.auth.permissions import Role
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint, Customer
from tests.api.conftest import Api
from tests.api.work_book import add_cases, audit_entries, supervisor_of

LATE_CALL: dict[str, Any] = {
    "pack": "cn",
    "debtor": {"timezone": "Asia/Shanghai"},
    "contact_points": [{"id": "N1", "type": "mobile", "party": "debtor"}],
    "contact": {"at": "2026-11-21T22:30:00+08:00", "channel": "call", "to": "N1"},
}
THREAT = "你等着瞧，后果自负，我们知道你家住在哪"


@pytest.mark.parametrize(("language", "word"), [("en", "22:00"), ("zh-CN", "22:00")])
def test_a_call_at_half_past_ten_local_is_blocked_until_eight(api: Api, language: str, word: str) -> None:
    collector = api.person(Role.COLLECTOR)
    answer = api.as_(collector, **{"Accept-Language": language}).post(
        "/api/v1/compliance/check", json=LATE_CALL
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "block"
    assert body["rules"] == ["CN-TIME-1"]
    assert body["next_allowed_at"] == "2026-11-22T00:00:00Z"  # 08:00 in Shanghai, in UTC
    assert body["next_allowed_local"] == "2026-11-22T08:00:00+08:00"
    assert body["language"] == language
    [reason] = body["reasons"]
    assert reason["rule_id"] == "CN-TIME-1" and reason["blocking"]
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in reason["message"])
    assert chinese is (language == "zh-CN")
    [entry] = audit_entries(api, "compliance.check")
    assert entry["rules"] == "CN-TIME-1"
    assert entry["actor_id"] == collector.user_id
    assert entry["after"]["decision"] == "block"
    assert entry["after"]["next_allowed_at"].startswith("2026-11-22T00:00:00")


def test_the_same_call_in_the_afternoon_is_allowed(api: Api) -> None:
    collector = api.person(Role.COLLECTOR)
    afternoon = {**LATE_CALL, "contact": {**LATE_CALL["contact"], "at": "2026-11-21T15:00:00+08:00"}}
    body = api.as_(collector).post("/api/v1/compliance/check", json=afternoon).json()
    assert (body["decision"], body["rules"], body["next_allowed_at"]) == ("allow", [], None)
    unrelated = {"debtor": {"timezone": "Asia/Shanghai"}, "contact": {**afternoon["contact"], "to": None}}
    unrelated["contact"]["party"] = "third_party"
    answer = api.as_(collector).post("/api/v1/compliance/check", json=unrelated).json()
    assert (answer["decision"], answer["rules"]) == ("block", ["CN-PARTY-1"])


def test_a_threat_in_a_template_is_blocked_and_in_a_note_flagged(api: Api) -> None:
    analyst = api.person(Role.STRATEGY_ANALYST)
    for language in ("en", "zh-CN"):
        client = api.as_(analyst, **{"Accept-Language": language})
        template = client.post(
            "/api/v1/compliance/check", json={"text": {"purpose": "template", "text": THREAT}}
        )
        assert template.status_code == 200, template.text
        assert template.json()["decision"] == "block"
        assert "CN-CONDUCT-1" in template.json()["rules"]
        message = next(r["message"] for r in template.json()["reasons"] if r["rule_id"] == "CN-CONDUCT-1")
        assert ("a threat" in message) is (language == "en")
        assert ("威胁" in message) is (language == "zh-CN")
        note = client.post("/api/v1/compliance/check", json={"text": {"purpose": "note", "text": THREAT}})
        assert note.json()["decision"] == "review"
        assert "CN-CONDUCT-1" in note.json()["rules"]
    entries = audit_entries(api, "compliance.check")
    assert len(entries) == 4
    assert all("CN-CONDUCT-1" in (e["rules"] or "") for e in entries)
    assert all(THREAT not in str(e) for e in entries)  # the text itself is not copied into the trail
    polite = api.as_(analyst).post(
        "/api/v1/compliance/check", json={"text": {"purpose": "note", "text": "客户说下周一还款"}}
    )
    assert polite.json()["decision"] == "allow"


def test_a_stored_customer_must_be_in_scope_and_lends_their_zone_and_points(api: Api) -> None:
    boss, (team,) = supervisor_of(api, "east")
    _, (team_x,) = supervisor_of(api, "north")
    mine = add_cases(api, "CMP", 1, team_id=team).customer_ids[0]
    theirs = add_cases(api, "CMT", 1, team_id=team_x).customer_ids[0]
    client = api.as_(boss)
    late = {"customer_id": mine, "contact": {"at": "2026-11-21T23:00:00+08:00", "channel": "call"}}

    answer = client.post("/api/v1/compliance/check", json=late)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rules"] == ["CN-TIME-1"]
    hidden = client.post("/api/v1/compliance/check", json={**late, "customer_id": theirs})
    missing = client.post("/api/v1/compliance/check", json={**late, "customer_id": "NOSUCH"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"].replace("NOSUCH", theirs)
    [entry] = audit_entries(api, "compliance.check")
    assert entry["customer_id"] == mine

    # the stored zone decides the local time, and `to` names a stored contact point by its id
    with transaction(api.engine) as session:
        customer = session.get(Customer, mine)
        assert customer is not None
        customer.timezone = "America/Los_Angeles"
        point = session.execute(select(ContactPoint).where(ContactPoint.customer_id == mine)).scalar_one()
        point.do_not_contact = True
        point_id = str(point.id)
    afternoon = {"customer_id": mine, "contact": {"at": "2026-11-21T14:00:00+08:00", "channel": "call"}}
    in_los_angeles = client.post("/api/v1/compliance/check", json=afternoon).json()
    assert in_los_angeles["rules"] == ["CN-TIME-1"]  # 22:00 in Los Angeles
    assert in_los_angeles["next_allowed_local"].endswith("-08:00")
    told = {**afternoon, "debtor": {"timezone": "Asia/Shanghai"}}
    assert client.post("/api/v1/compliance/check", json=told).json()["decision"] == "allow"
    to_point = {**told, "contact": {**told["contact"], "to": point_id}}
    assert client.post("/api/v1/compliance/check", json=to_point).json()["rules"] == ["OPT-OUT"]


def test_malformed_or_forbidden_questions_are_refused(api: Api) -> None:
    collector = api.person(Role.COLLECTOR)
    client = api.as_(collector)
    both = client.post(
        "/api/v1/compliance/check", json={"contact": {"channel": "call"}, "text": {"text": "hello there"}}
    )
    assert both.status_code == 400
    neither = client.post("/api/v1/compliance/check", json={"pack": "cn"})
    assert neither.status_code == 400
    unknown = client.post("/api/v1/compliance/check", json={"pack": "xx", "contact": {"channel": "call"}})
    assert unknown.status_code == 422
    loosened = client.post(
        "/api/v1/compliance/check",
        json={**LATE_CALL, "tighten": {"quiet_start": "23:00"}},
    )
    assert loosened.status_code == 400
    assert loosened.json()["code"] == "loosening_refused"
    tightened = client.post(
        "/api/v1/compliance/check",
        json={
            **LATE_CALL,
            "contact": {**LATE_CALL["contact"], "at": "2026-11-21T21:30:00+08:00"},
            "tighten": {"quiet_start": "21:00"},
        },
    )
    assert tightened.json()["decision"] == "block"
    assert "TENANT-POLICY" in tightened.json()["rules"]
    customer = api.person(Role.CUSTOMER)
    assert api.as_(customer).post("/api/v1/compliance/check", json=LATE_CALL).status_code == 403


def test_instants_at_the_ends_of_the_calendar_are_a_400_not_a_500(api: Api) -> None:
    client = api.as_(api.person(Role.COLLECTOR))
    far = {**LATE_CALL, "contact": {**LATE_CALL["contact"], "at": "9999-12-31T23:30:00+08:00"}}
    assert client.post("/api/v1/compliance/check", json=far).status_code == 400
    held = {**LATE_CALL, "events": [{"kind": "consent", "channel": "call", "until": "9999-12-31"}]}
    assert client.post("/api/v1/compliance/check", json=held).status_code in (200, 400)
    naive = {**LATE_CALL, "contact": {**LATE_CALL["contact"], "at": "2026-11-21T22:30:00"}}
    assert client.post("/api/v1/compliance/check", json=naive).status_code == 400
