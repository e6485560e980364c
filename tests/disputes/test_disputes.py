"""Disputes over real HTTP: a hold from the moment one is recorded, a verification deadline, open
→ upheld | rejected | withdrawn (final), the hold lifted with it, audited; out of scope is 404."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from arrears.auth.permissions import Role
from tests.api.conftest import Api, Person
from tests.api.work_book import TODAY, audit_entries
from tests.disputes.helpers import REASON, call_decision, desk, later

DESCRIPTION = "客户称该笔贷款非本人申请，要求核实"
RESOLUTION = "调取合同与放款记录，确认为本人借款"


def dispute(api: Api, who: Person, case_id: str, **extra: object) -> httpx.Response:
    body = {"kind": "debt", "written": True, "description": DESCRIPTION, **extra}
    return api.as_(who).post(f"/api/v1/cases/{case_id}/disputes", json=body)


def resolve(
    api: Api, who: Person, dispute_id: int, outcome: str = "rejected", **headers: str
) -> httpx.Response:
    return api.as_(who, **headers).post(
        f"/api/v1/disputes/{dispute_id}/resolve", json={"outcome": outcome, "resolution": RESOLUTION}
    )


def test_a_dispute_holds_contact_until_it_is_resolved_and_stays_resolved(api: Api) -> None:
    d = desk(api, "DSP")
    made = dispute(api, d.collector, d.case_id, account_id=d.account_id)
    assert made.status_code == 201, made.text
    row = made.json()
    assert (row["status"], row["kind"], row["written"], row["account_id"]) == (
        "open",
        "debt",
        True,
        d.account_id,
    )
    assert date.fromisoformat(row["verify_by"]) == TODAY + timedelta(days=15)
    assert made.headers["ETag"] == '"1"' and not row["overdue"]

    api.clock.advance(timedelta(minutes=1))
    decision = call_decision(api, d.customer_id)
    assert not decision.allowed and "HOLD-DISPUTE" in decision.rule_ids
    [hold] = api.as_(d.collector).get(f"/api/v1/customers/{d.customer_id}/holds").json()["holds"]
    assert (hold["id"], hold["kind"], hold["case_id"]) == (row["hold_id"], "dispute", d.case_id)

    by_hand = api.as_(d.boss).post(f"/api/v1/holds/{hold['id']}/lift", json={"reason": REASON})
    assert by_hand.status_code == 409 and by_hand.json()["code"] == "hold_of_dispute"
    assert resolve(api, d.collector, row["id"]).status_code == 403
    assert resolve(api, d.boss, row["id"], **{"If-Match": '"2"'}).status_code == 412
    done = resolve(api, d.boss, row["id"], **{"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["resolved_by"]) == ("rejected", d.boss.user_id)
    assert done.headers["ETag"] == '"2"'

    api.clock.advance(timedelta(minutes=1))
    assert call_decision(api, d.customer_id).allowed
    [hold] = api.as_(d.collector).get(f"/api/v1/customers/{d.customer_id}/holds").json()["holds"]
    assert hold["lifted_at"] is not None

    for outcome in ("upheld", "rejected"):
        again = resolve(api, d.officer, row["id"], outcome)
        assert again.status_code == 409 and again.json()["code"] == "dispute_closed"
    withdrawn = api.as_(d.collector).post(f"/api/v1/disputes/{row['id']}/withdraw", json={"reason": REASON})
    assert withdrawn.status_code == 409
    assert api.as_(d.collector).get(f"/api/v1/disputes/{row['id']}").json()["status"] == "rejected"
    [look] = audit_entries(api, "dispute.read")
    assert (look["object_id"], look["customer_id"], look["actor_id"]) == (
        str(row["id"]),
        d.customer_id,
        d.collector.user_id,
    )

    [raised] = audit_entries(api, "dispute.raise")
    assert (raised["object_id"], raised["customer_id"], raised["actor_id"]) == (
        str(row["id"]),
        d.customer_id,
        d.collector.user_id,
    )
    [resolved] = audit_entries(api, "dispute.resolve")
    assert (resolved["before"]["status"], resolved["after"]["status"]) == ("open", "rejected")
    assert resolved["reason"] == RESOLUTION
    [placed] = audit_entries(api, "hold.place")
    [lifted] = audit_entries(api, "hold.lift")
    assert placed["object_id"] == lifted["object_id"] == str(hold["id"])
    assert lifted["actor_id"] == d.boss.user_id


def test_a_withdrawn_dispute_lifts_its_hold(api: Api) -> None:
    d = desk(api, "DSW")
    row = dispute(api, d.collector, d.case_id, kind="amount").json()
    gone = api.as_(d.collector, **{"If-Match": '"1"'}).post(
        f"/api/v1/disputes/{row['id']}/withdraw", json={"reason": "客户来电撤回异议申请"}
    )
    assert gone.status_code == 200, gone.text
    assert gone.json()["status"] == "withdrawn"
    api.clock.advance(timedelta(minutes=1))
    assert call_decision(api, d.customer_id).allowed
    assert resolve(api, d.boss, row["id"], "upheld").status_code == 409
    assert [e["after"]["status"] for e in audit_entries(api, "dispute.withdraw")] == ["withdrawn"]


def test_overdue_disputes_are_listed_for_compliance(api: Api) -> None:
    d = desk(api, "DSO")
    late = dispute(api, d.collector, d.case_id).json()
    settled = dispute(api, d.collector, d.case_id, kind="amount").json()
    assert resolve(api, d.officer, settled["id"], "upheld").status_code == 200
    assert api.as_(d.officer).get("/api/v1/disputes?overdue=true").json()["disputes"] == []

    (officer,) = later(api, 16, d.officer)
    overdue = api.as_(officer).get("/api/v1/disputes?overdue=true").json()["disputes"]
    assert [(row["id"], row["overdue"]) for row in overdue] == [(late["id"], True)]
    every = api.as_(officer).get(f"/api/v1/disputes?case_id={d.case_id}&limit=1").json()
    assert [row["id"] for row in every["disputes"]] == [settled["id"]]
    following = api.as_(officer).get(
        f"/api/v1/disputes?case_id={d.case_id}&limit=1&cursor={every['next_cursor']}"
    )
    assert [row["id"] for row in following.json()["disputes"]] == [late["id"]]
    assert following.json()["next_cursor"] is None
    upheld = api.as_(officer).get("/api/v1/disputes?status=upheld").json()["disputes"]
    assert [row["id"] for row in upheld] == [settled["id"]]


def test_disputes_out_of_scope_are_not_found_and_bad_input_is_refused(api: Api) -> None:
    d = desk(api, "DSS")
    other = desk(api, "DST")
    assert dispute(api, other.collector, d.case_id).status_code == 404
    assert dispute(api, d.collector, "C-NO-SUCH").status_code == 404
    wrong_account = dispute(api, d.collector, d.case_id, account_id=other.account_id)
    assert wrong_account.status_code == 400
    assert dispute(api, d.collector, d.case_id, kind="fraud").status_code == 422
    assert dispute(api, d.collector, d.case_id, description="不是").status_code == 400
    assert dispute(api, api.person(Role.STRATEGY_ANALYST), d.case_id).status_code == 403

    row = dispute(api, d.collector, d.case_id).json()
    assert resolve(api, other.boss, row["id"]).status_code == 404
    withdraw = api.as_(other.collector).post(
        f"/api/v1/disputes/{row['id']}/withdraw", json={"reason": REASON}
    )
    assert withdraw.status_code == 404
    assert api.as_(other.collector).get(f"/api/v1/disputes/{row['id']}").status_code == 404
    assert api.as_(other.collector).get("/api/v1/disputes").json()["disputes"] == []
    assert [r["id"] for r in api.as_(d.collector).get("/api/v1/disputes").json()["disputes"]] == [row["id"]]
    # the list's look is audited per customer on the page; an empty page looks at no one
    [look] = audit_entries(api, "dispute.read")
    assert (look["object_type"], look["customer_id"], look["actor_id"]) == (
        "dispute",
        d.customer_id,
        d.collector.user_id,
    )
    bad_tag = resolve(api, d.boss, row["id"], **{"If-Match": "yesterday"})
    assert bad_tag.status_code == 400
    assert audit_entries(api, "dispute.resolve") == []
