"""Strategies over real HTTP: draft, check with preview, approve (four eyes, If-Match, failing
checks), diff, retire; a case's actions with why (scope, audit); proposals confirmed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.auth.permissions import Role
from tests.api.book import Book, case_id_of
from tests.api.conftest import Api
from tests.strategy.test_nightly import DOCUMENT, night
from tests.strategy.test_service import CALLS_ONLY


def _audited(api: Api, action: str) -> list[AuditEntry]:
    with Session(api.engine) as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_a_strategy_from_draft_to_approval_over_http(api: Api) -> None:
    analyst, boss = api.person(Role.STRATEGY_ANALYST), api.person(Role.SUPERVISOR)
    Book(api.engine).case("early", dpd=5, bucket="M1")
    writer, approver = api.as_(analyst), api.as_(boss)
    bad = writer.post("/api/v1/strategies", json={"document": CALLS_ONLY.replace("when:", "wen:", 1)})
    assert (
        bad.status_code == 400 and "line 5: segments[0].wen is not a known key here" in bad.json()["detail"]
    )
    checked = writer.post("/api/v1/strategies/check", json={"document": DOCUMENT})
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert not body["valid"]
    assert {"where": "paths.gentle.steps[0].template", "warning": False} | {
        "message": "no approved sms template first_delinquency"
    } in body["problems"]
    assert body["preview"]["segments"] == {"m1": 1}
    assert approver.post("/api/v1/strategies", json={"document": CALLS_ONLY}).status_code == 403
    made = writer.post("/api/v1/strategies", json={"document": CALLS_ONLY, "note": "calls first"})
    assert made.status_code == 201, made.text
    first, tag = made.json()["id"], made.headers["ETag"]
    assert made.json()["status"] == "draft" and made.json()["segments"] == ["held", "m1", "m2", "rest"]
    failing = writer.post("/api/v1/strategies", json={"document": DOCUMENT}).json()["id"]
    refused = approver.post(f"/api/v1/strategies/{failing}/approve", json={})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_strategy"
    assert "paths.gentle.steps[0].template" in refused.json()["detail"]
    assert writer.post(f"/api/v1/strategies/{first}/approve", json={}).status_code == 403
    stale = approver.post(f"/api/v1/strategies/{first}/approve", json={}, headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    past = approver.post(f"/api/v1/strategies/{first}/approve", json={"active_from": "2000-01-01"})
    assert past.status_code == 400
    done = approver.post(f"/api/v1/strategies/{first}/approve", json={}, headers={"If-Match": tag})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved" and done.json()["active_from"] is not None
    changed = approver.get(f"/api/v1/strategies/{first}/diff/{failing}").json()["lines"]
    assert any(line.startswith("+      - {day: 1, action: sms") for line in changed)
    assert api.as_(api.person(Role.COLLECTOR)).get("/api/v1/strategies").status_code == 403
    assert [e.object_id for e in _audited(api, "strategy.approve")] == [str(first)]
    retired = approver.post(f"/api/v1/strategies/{first}/retire", json={"reason": "replaced"})
    assert retired.status_code == 200 and retired.json()["status"] == "retired"


def test_a_case_s_actions_with_why_and_a_confirmed_proposal(api: Api) -> None:
    boss = api.person(Role.SUPERVISOR)
    team = api.team("T1", leader=boss)
    book = Book(api.engine)
    book.case("late", dpd=45, bucket="M2")
    book.case("other", dpd=45, bucket="M2")
    book.assign(case_id_of("late"), team)
    analyst = api.person(Role.STRATEGY_ANALYST)
    made = api.as_(analyst).post("/api/v1/strategies", json={"document": CALLS_ONLY}).json()["id"]
    assert api.as_(boss).post(f"/api/v1/strategies/{made}/approve", json={}).status_code == 200
    night(api.engine)
    client = api.as_(boss)
    shown = client.get(f"/api/v1/cases/{case_id_of('late')}/actions")
    assert shown.status_code == 200, shown.text
    (referral,) = shown.json()["actions"]
    assert referral["action"] == "legal_referral" and referral["status"] == "proposed"
    assert referral["why"]["segment"] == "m2" and referral["why"]["facts"] == {"bucket": "M2", "hold": "none"}
    assert client.get(f"/api/v1/cases/{case_id_of('other')}/actions").status_code == 404  # not their team's
    assert [e.customer_id for e in _audited(api, "strategy_action.read")] == ["late"]
    waiting = client.get("/api/v1/strategy-actions/proposed").json()["actions"]
    assert [a["case_id"] for a in waiting] == [case_id_of("late")]
    confirmed = client.post(f"/api/v1/strategy-actions/{referral['id']}/confirm", json={"reason": "checked"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["decided_by"] == boss.user_id and confirmed.json()["case_event_id"] is not None
    again = client.post(f"/api/v1/strategy-actions/{referral['id']}/decline", json={})
    assert again.status_code == 409 and again.json()["code"] == "action_answered"
    assert (
        api.as_(analyst).post(f"/api/v1/strategy-actions/{referral['id']}/confirm", json={}).status_code
        == 403
    )


def test_fairness_and_an_experiment_s_report_over_http(api: Api) -> None:
    from tests.strategy.test_nightly import EXPERIMENT

    analyst, boss = api.person(Role.STRATEGY_ANALYST), api.person(Role.SUPERVISOR)
    book = Book(api.engine)
    for n in range(8):
        book.case(f"e{n}", dpd=5, bucket="M1")
    reader = api.as_(analyst)
    assert reader.get("/api/v1/strategy-fairness").json()["night"] is None  # no night yet
    made = reader.post(
        "/api/v1/strategies",
        json={
            "document": EXPERIMENT.replace(
                "      - {day: 1, action: letter, template: first_delinquency}\n", ""
            )
        },
    )
    assert made.status_code == 201, made.text
    assert api.as_(boss).post(f"/api/v1/strategies/{made.json()['id']}/approve", json={}).status_code == 200
    night(api.engine)
    fair = reader.get("/api/v1/strategy-fairness")
    assert fair.status_code == 200, fair.text
    assert fair.json()["night"] == "2026-11-21" and "region" in fair.json()["measures"]
    shown = reader.get("/api/v1/experiments/m1-calls/report", params={"horizon": 1, "minimum_effect": "0.1"})
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["control"] == "champion" and {a["arm"] for a in body["arms"]} == {"champion", "quiet"}
    assert sum(a["members"] for a in body["arms"]) + body["waiting"] == 8
    assert reader.get("/api/v1/experiments/nothing/report").status_code == 404
    assert reader.get("/api/v1/experiments/m1-calls/report", params={"horizon": 0}).status_code == 422
    assert api.as_(api.person(Role.COLLECTOR)).get("/api/v1/strategy-fairness").status_code == 403
