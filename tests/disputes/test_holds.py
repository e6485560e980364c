"""Holds over real HTTP: placed with evidence, read by the compliance gate, lifted with a
permission of its own (final), audited; out of scope is 404."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest

from arrears.auth.permissions import Role
from tests.api.conftest import Api, Person
from tests.api.work_book import audit_entries
from tests.disputes.helpers import EVIDENCE, REASON, call_decision, desk


def place(
    api: Api, who: Person, customer_id: str, kind: str = "cease", evidence: str = EVIDENCE
) -> httpx.Response:
    return api.as_(who).post(
        f"/api/v1/customers/{customer_id}/holds",
        json={"kind": kind, "evidence": evidence, "evidence_uri": "https://dms.example/doc/1"},
    )


def test_a_hold_stops_contact_until_it_is_lifted_and_a_lifted_hold_stays_lifted(api: Api) -> None:
    d = desk(api, "HLD")
    assert call_decision(api, d.customer_id).allowed

    made = place(api, d.collector, d.customer_id)
    assert made.status_code == 201, made.text
    hold = made.json()
    assert made.headers["ETag"] == '"1"'
    assert (hold["kind"], hold["lifted_at"], hold["placed_by"]) == ("cease", None, d.collector.user_id)
    api.clock.advance(timedelta(minutes=1))
    decision = call_decision(api, d.customer_id)
    assert not decision.allowed and "HOLD-CEASE" in decision.rule_ids

    again = place(api, d.collector, d.customer_id)
    assert again.status_code == 409 and again.json()["code"] == "hold_standing"

    lift = {"reason": REASON}
    refused = api.as_(d.collector).post(f"/api/v1/holds/{hold['id']}/lift", json=lift)
    assert refused.status_code == 403  # a collector records holds, never lifts them
    stale = api.as_(d.boss, **{"If-Match": '"7"'}).post(f"/api/v1/holds/{hold['id']}/lift", json=lift)
    assert stale.status_code == 412, stale.text
    lifted = api.as_(d.boss, **{"If-Match": '"1"'}).post(f"/api/v1/holds/{hold['id']}/lift", json=lift)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["lift_reason"] == REASON and lifted.headers["ETag"] == '"2"'
    api.clock.advance(timedelta(minutes=1))
    assert call_decision(api, d.customer_id).allowed

    final = api.as_(d.officer).post(f"/api/v1/holds/{hold['id']}/lift", json=lift)
    assert final.status_code == 409 and final.json()["code"] == "hold_lifted"

    listed = api.as_(d.collector).get(f"/api/v1/customers/{d.customer_id}/holds").json()["holds"]
    assert [(h["id"], h["lifted_by"]) for h in listed] == [(hold["id"], d.boss.user_id)]
    standing = api.as_(d.collector).get(f"/api/v1/customers/{d.customer_id}/holds?standing=true")
    assert standing.json()["holds"] == []

    [placed] = audit_entries(api, "hold.place")
    assert (placed["object_id"], placed["customer_id"]) == (str(hold["id"]), d.customer_id)
    assert placed["actor_id"] == d.collector.user_id and placed["after"]["kind"] == "cease"
    [lifting] = audit_entries(api, "hold.lift")
    assert lifting["reason"] == REASON and lifting["before"]["lifted_at"] is None
    assert lifting["after"]["lifted_at"] is not None
    looks = audit_entries(api, "hold.read")
    assert len(looks) == 2 and {look["customer_id"] for look in looks} == {d.customer_id}


@pytest.mark.parametrize("kind", ["bankruptcy", "deceased", "hardship"])
def test_each_blocking_kind_is_read_by_the_gate(api: Api, kind: str) -> None:
    d = desk(api, "HK" + kind[:3].upper())
    assert place(api, d.officer, d.customer_id, kind).status_code == 201
    api.clock.advance(timedelta(minutes=1))
    decision = call_decision(api, d.customer_id)
    assert not decision.allowed and f"HOLD-{kind.upper()}" in decision.rule_ids


def test_a_vulnerability_hold_does_not_stop_contact(api: Api) -> None:
    """A deliberate choice (docs/casework.md): vulnerability asks for care, not silence; the pack
    has no rule for it, and the gate lets the call through while the hold is on record."""
    d = desk(api, "HVU")
    made = place(api, d.collector, d.customer_id, "vulnerability")
    assert made.status_code == 201
    api.clock.advance(timedelta(minutes=1))
    assert call_decision(api, d.customer_id).allowed
    listed = api.as_(d.collector).get(f"/api/v1/customers/{d.customer_id}/holds?standing=true")
    assert [h["kind"] for h in listed.json()["holds"]] == ["vulnerability"]


def test_holds_are_refused_out_of_scope_with_bad_evidence_or_for_the_wrong_role(api: Api) -> None:
    d = desk(api, "HSC")
    other = desk(api, "HSO")
    assert place(api, other.collector, d.customer_id).status_code == 404
    assert place(api, other.boss, d.customer_id).status_code == 404
    assert api.as_(other.collector).get(f"/api/v1/customers/{d.customer_id}/holds").status_code == 404
    assert place(api, d.collector, "NO-SUCH").status_code == 404

    short = place(api, d.collector, d.customer_id, evidence="短")
    assert short.status_code == 400 and short.json()["code"] == "text_too_short"
    dispute = place(api, d.collector, d.customer_id, kind="dispute")
    assert dispute.status_code == 422
    bad_uri = api.as_(d.collector).post(
        f"/api/v1/customers/{d.customer_id}/holds",
        json={"kind": "cease", "evidence": EVIDENCE, "evidence_uri": "javascript:alert(1)"},
    )
    assert bad_uri.status_code == 400
    auditor = api.person(Role.AUDITOR)
    assert place(api, auditor, d.customer_id).status_code == 403

    made = place(api, d.collector, d.customer_id, evidence="客户来电 13812345678 要求停止联系")
    assert made.status_code == 201
    hold = made.json()
    assert "13812345678" not in hold["evidence"]  # masked before it is stored and audited
    lift = {"reason": REASON}
    assert api.as_(other.boss).post(f"/api/v1/holds/{hold['id']}/lift", json=lift).status_code == 404
    assert api.as_(d.officer).post("/api/v1/holds/99999/lift", json=lift).status_code == 404
    assert audit_entries(api, "hold.lift") == []


def test_of_two_officers_lifting_at_once_one_wins(api: Api) -> None:
    d = desk(api, "HRC")
    hold = place(api, d.collector, d.customer_id).json()
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def lift(who: Person) -> None:
        client = api.as_(who, **{"If-Match": '"1"'})
        start.wait()
        answers.append(client.post(f"/api/v1/holds/{hold['id']}/lift", json={"reason": REASON}))

    threads = [threading.Thread(target=lift, args=(who,)) for who in (d.boss, d.officer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses[0] == 200 and statuses[1] in (409, 412), [answer.text for answer in answers]
    assert len(audit_entries(api, "hold.lift")) == 1
