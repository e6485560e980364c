"""Logging contacts over real HTTP: through the gate when made now, flagged when recorded after the
fact, refusals recorded, inbound ones ungated, notes checked, every write audited."""

from __future__ import annotations

from datetime import timedelta

from arrears.auth.permissions import Role
from tests.api.book import MOBILE, Book
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.contacts.helpers import desk, local


def test_an_allowed_call_is_logged_with_the_gates_decision_and_audited(api: Api) -> None:
    d = desk(api)
    made = d.log(
        disposition="right_party_contact", ended_at=(api.clock.now() + timedelta(minutes=4)).isoformat()
    )
    assert made.status_code == 201, made.text
    contact = made.json()
    assert contact["gate_verdict"] == "allow" and contact["gate_decision_id"] is not None
    assert contact["review_status"] == "none" and contact["violations"] == []
    assert contact["counts_as"] == ["attempt", "connected", "right_party"]
    assert contact["contact_point"]["value"] == "+86138****5678" and contact["contact_point"]["masked"]
    [row] = d.contacts()
    assert (row.started_at, row.started_on.isoformat(), row.team_id) == (
        api.clock.now(),
        "2026-11-21",
        d.team,
    )
    [entry] = audit_entries(api, "contact.log")
    assert entry["object_id"] == str(contact["id"]) and entry["customer_id"] == d.customer_id
    assert MOBILE not in str(entry)


def test_a_call_in_quiet_hours_is_refused_and_the_refusal_kept(api: Api) -> None:
    d = desk(api)
    d.at(local(21, 22, 30))
    refused = d.log()
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "contact_blocked" and "CN-TIME-1" in problem["rules"]
    assert problem["next_allowed_at"] == local(22, 8).isoformat().replace("+00:00", "+00:00")
    assert "CN-TIME-1" in problem["detail"]
    [row] = d.contacts()  # committed although the request failed
    assert (row.disposition, row.gate_verdict, row.review_status) == ("refused_by_gate", "block", "none")
    assert row.id == problem["contact_id"] and row.gate_decision_id == problem["gate_decision_id"]
    [decision] = d.decisions()
    assert decision.decision == "block" and "CN-TIME-1" in decision.rule_ids
    [entry] = audit_entries(api, "contact.refused")
    assert entry["outcome"] == "refused" and "CN-TIME-1" in entry["rules"]
    # the refused contact never happened: it is not an attempt the next question counts
    d.at(local(22, 9))
    assert d.log().status_code == 201


def test_the_chinese_problem_names_the_rules(api: Api) -> None:
    d = desk(api)
    d.at(local(21, 23))
    refused = d.log(api.as_(d.collector, **{"Accept-Language": "zh-CN"}))
    assert refused.status_code == 409
    assert "合规" in refused.json()["detail"] and "CN-TIME-1" in refused.json()["detail"]


def test_a_contact_after_the_fact_is_kept_with_its_violations_for_review(api: Api) -> None:
    d = desk(api)
    made = d.log(
        after_the_fact=True, started_at=local(20, 23, 15).isoformat(), disposition="right_party_contact"
    )
    assert made.status_code == 201, made.text
    contact = made.json()
    assert contact["violations"] == ["CN-TIME-1"] and contact["review_status"] == "pending"
    assert contact["after_the_fact"] and contact["gate_verdict"] == "block"

    officer = api.person(Role.COMPLIANCE_OFFICER)
    listed = api.as_(officer).get("/api/v1/contacts/review")
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["contacts"]] == [contact["id"]]
    assert api.as_(d.collector).get("/api/v1/contacts/review").status_code == 403

    done = api.as_(officer).post(
        f"/api/v1/contacts/{contact['id']}/review", json={"outcome": "confirmed", "note": "desk phone, late"}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["review_status"], done.json()["review_outcome"]) == ("reviewed", "confirmed")
    again = api.as_(officer).post(f"/api/v1/contacts/{contact['id']}/review", json={"outcome": "cleared"})
    assert again.status_code == 409 and again.json()["code"] == "contact_not_pending"
    assert api.as_(officer).get("/api/v1/contacts/review").json()["contacts"] == []
    [entry] = audit_entries(api, "contact.review")
    assert entry["after"]["outcome"] == "confirmed" and entry["rules"] == "CN-TIME-1"


def test_an_allowed_contact_after_the_fact_has_no_violations(api: Api) -> None:
    d = desk(api)
    made = d.log(after_the_fact=True, started_at=local(20, 15).isoformat())
    assert made.status_code == 201
    assert (made.json()["violations"], made.json()["review_status"]) == ([], "none")


def test_a_flagged_note_is_kept_with_its_flags_and_listed_for_review(api: Api) -> None:
    d = desk(api)
    made = d.log(disposition="refuses_to_pay", note="客户拒绝，告知再不还就爆你通讯录 13812345678")
    assert made.status_code == 201, made.text
    contact = made.json()
    assert contact["review_status"] == "pending" and contact["note_flags"]
    assert "13812345678" not in contact["note"]  # the collector does not see phones in full
    officer = api.person(Role.COMPLIANCE_OFFICER)
    assert [c["id"] for c in api.as_(officer).get("/api/v1/contacts/review").json()["contacts"]] == [
        contact["id"]
    ]
    [entry] = audit_entries(api, "contact.log")
    assert "通讯录" not in str(entry) and entry["rules"]


def test_inbound_contacts_are_not_gated(api: Api) -> None:
    d = desk(api)
    d.at(local(21, 23, 30))
    made = d.log(direction="inbound", disposition="right_party_contact")
    assert made.status_code == 201, made.text
    assert made.json()["gate_decision_id"] is None and d.decisions() == []


def test_three_conversations_a_day_then_the_fourth_call_is_refused(api: Api) -> None:
    d = desk(api)
    d.at(local(21, 12))
    for hour in (9, 10, 11):
        made = d.log(
            after_the_fact=True, started_at=local(21, hour).isoformat(), disposition="right_party_contact"
        )
        assert made.status_code == 201
    refused = d.log()
    assert refused.status_code == 409 and "CN-FREQ-1" in refused.json()["rules"]
    assert refused.json()["next_allowed_at"] == local(22, 8).isoformat()


def test_a_clearance_is_used_once_for_the_contact_it_was_asked_for(api: Api) -> None:
    d = desk(api)
    url = f"/api/v1/cases/{d.case_id}/contacts/attempts"
    cleared = d.client.post(url, json={"channel": "call", "contact_point_id": d.mobile})
    assert cleared.status_code == 201, cleared.text
    ident = cleared.json()["gate_decision_id"]
    d.at(api.clock.now() + timedelta(minutes=3))
    wrong_point = d.log(
        gate_decision_id=ident, contact_point_id=d.email, channel="email", disposition="message_sent"
    )
    assert wrong_point.status_code == 409 and wrong_point.json()["code"] == "clearance_invalid"
    made = d.log(gate_decision_id=ident, disposition="voicemail")
    assert made.status_code == 201, made.text
    assert made.json()["gate_decision_id"] == ident
    twice = d.log(gate_decision_id=ident)
    assert twice.status_code == 409 and twice.json()["code"] == "clearance_invalid"
    d.at(api.clock.now() + timedelta(minutes=1))
    late = d.client.post(url, json={"channel": "call", "contact_point_id": d.mobile}).json()[
        "gate_decision_id"
    ]
    d.at(api.clock.now() + timedelta(minutes=20))
    expired = d.log(gate_decision_id=late)
    assert expired.status_code == 409 and expired.json()["code"] == "clearance_invalid"


def test_an_attempt_the_gate_blocks_is_refused_and_recorded(api: Api) -> None:
    d = desk(api)
    d.at(local(21, 7, 30))
    refused = d.client.post(
        f"/api/v1/cases/{d.case_id}/contacts/attempts", json={"channel": "sms", "contact_point_id": d.mobile}
    )
    assert refused.status_code == 409 and refused.json()["next_allowed_at"] == local(21, 8).isoformat()
    [row] = d.contacts()
    assert (row.channel, row.disposition, row.gate_verdict) == ("sms", "refused_by_gate", "block")


def test_a_contact_person_is_not_called_while_the_debtor_is_reachable(api: Api) -> None:
    d = desk(api)
    refused = d.log(contact_point_id=d.emergency, party="emergency_contact")
    assert refused.status_code == 409 and "CN-PARTY-2" in refused.json()["rules"]
    assert refused.json()["next_allowed_at"] is None


def test_wrong_input_is_refused_with_a_clear_problem(api: Api) -> None:
    d = desk(api)
    other = desk(api, "OT")
    now = api.clock.now()
    cases = [
        ({"contact_point_id": other.mobile}, 400, "contact_point_unknown"),
        ({"ended_at": (now - timedelta(minutes=1)).isoformat()}, 400, "contact_invalid"),
        (
            {"channel": "sms", "recording_uri": "s3://r/1.wav", "recording_sha256": "a" * 64},
            400,
            "contact_invalid",
        ),
        ({"recording_uri": "s3://r/1.wav"}, 400, "contact_invalid"),
        ({"recording_uri": "s3://r/1.wav", "recording_sha256": "xyz"}, 422, "malformed"),
        ({"disposition": "nonsense"}, 400, "unknown_disposition"),
        ({"disposition": "refused_by_gate"}, 400, "contact_invalid"),
        ({"started_at": "2026-11-21T10:00:00"}, 422, "malformed"),
        ({"started_at": (now - timedelta(hours=2)).isoformat()}, 400, "contact_invalid"),
        (
            {"started_at": (now + timedelta(hours=2)).isoformat(), "after_the_fact": True},
            400,
            "contact_invalid",
        ),
        ({"after_the_fact": True}, 400, "contact_invalid"),
        ({"contact_point_id": None}, 400, "contact_invalid"),
        ({"channel": "fax"}, 422, "malformed"),
        ({"party": "neighbour"}, 422, "malformed"),
        ({"disposition": "callback_requested"}, 400, "contact_invalid"),
        ({"direction": "inbound", "after_the_fact": True}, 400, "contact_invalid"),
    ]
    for body, status, code in cases:
        answer = d.log(**body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (body, answer.text)
    assert d.contacts() == []
    good = d.log(recording_uri="s3://rec/1.wav", recording_sha256="AB" * 32, disposition="busy")
    assert good.status_code == 201 and good.json()["recording_sha256"] == "ab" * 32


def test_scope_and_permission(api: Api) -> None:
    d = desk(api)
    stranger = desk(api, "SX").collector
    hidden = d.log(api.as_(stranger))
    missing = api.as_(stranger).post(
        "/api/v1/cases/C-NOSUCH-20261101/contacts",
        json={"channel": "call", "contact_point_id": d.mobile, "disposition": "busy"},
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"].replace("C-NOSUCH-20261101", d.case_id)
    assert api.as_(stranger).get(f"/api/v1/cases/{d.case_id}/contacts").status_code == 404
    attempt = {"channel": "call", "contact_point_id": d.mobile}
    assert (
        api.as_(stranger).post(f"/api/v1/cases/{d.case_id}/contacts/attempts", json=attempt).status_code
        == 404
    )
    callback = {"due_at": "2026-11-21T08:00:00Z", "contact_point_id": d.mobile}
    assert api.as_(stranger).post(f"/api/v1/cases/{d.case_id}/callbacks", json=callback).status_code == 404
    officer = api.person(Role.COMPLIANCE_OFFICER)
    assert d.log(api.as_(officer)).status_code == 403
    assert d.contacts() == [] and d.decisions() == []
    agency_user = api.person(Role.AGENCY_USER, agency_id=api.agency("AG-contacts"))
    assert d.log(api.as_(agency_user)).status_code == 404


def test_the_case_list_is_newest_first_in_pages_and_the_look_audited(api: Api) -> None:
    d = desk(api)
    for minutes in (30, 20, 10):
        started = (api.clock.now() - timedelta(minutes=minutes)).isoformat()
        assert d.log(after_the_fact=True, started_at=started).status_code == 201
    client = api.as_(d.supervisor)
    first = client.get(f"/api/v1/cases/{d.case_id}/contacts", params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    second = client.get(
        f"/api/v1/cases/{d.case_id}/contacts", params={"limit": 2, "cursor": page["next_cursor"]}
    )
    started = [c["started_at"] for c in page["contacts"] + second.json()["contacts"]]
    assert started == sorted(started, reverse=True) and len(started) == 3
    assert second.json()["next_cursor"] is None
    assert (
        page["contacts"][0]["contact_point"]["value"] == "+86138****5678"
    )  # no role but the customer sees it
    reads = audit_entries(api, "contact.read")
    assert len(reads) == 2 and reads[0]["customer_id"] == d.customer_id


def test_no_outbound_contact_on_a_closed_case(api: Api) -> None:
    d = desk(api)
    book = Book(api.engine)
    closed = book.case("CLOSED1", status="closed")
    book.assign(closed, d.team, d.collector.user_id)
    mobile = book.contact_ids["CLOSED1"]["mobile"]
    url = f"/api/v1/cases/{closed}/contacts"
    body = {"channel": "call", "contact_point_id": mobile, "disposition": "no_answer"}
    refused = d.client.post(url, json=body)
    assert refused.status_code == 409 and refused.json()["code"] == "case_closed"
    callback = {"due_at": local(21, 15).isoformat(), "contact_point_id": mobile}
    assert d.client.post(f"/api/v1/cases/{closed}/callbacks", json=callback).json()["code"] == "case_closed"
    assert (
        d.client.post(
            url, json=body | {"direction": "inbound", "disposition": "right_party_contact"}
        ).status_code
        == 201
    )
    earlier = body | {"after_the_fact": True, "started_at": local(21, 9).isoformat()}
    assert d.client.post(url, json=earlier).status_code == 201
