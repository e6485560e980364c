"""Every gate decision is recorded with its pack, version, rule ids and the facts it relied on."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from arrears.clock import FixedClock
from arrears.compliance.facts import ContactPoint, ContactRequest, Event, Facts, TextRequest
from arrears.compliance.packs import load_pack, tighten
from arrears.compliance.repository import decisions_for_customer, flagged_decisions
from arrears.compliance.service import gate
from arrears.db import transaction

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK = FixedClock(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))


def test_a_blocked_contact_is_recorded_with_its_facts(engine: Engine) -> None:
    facts = Facts(
        timezone="Asia/Shanghai",
        contact_points=(ContactPoint("N1", "mobile", "debtor"),),
        events=(Event("call", at=datetime(2026, 3, 10, 9, tzinfo=SHANGHAI), to="N1", outcome="no_answer"),),
    )
    request = ContactRequest(at=datetime(2026, 3, 10, 22, 30, tzinfo=SHANGHAI), channel="call", to="N1")
    pack = tighten(load_pack("cn"), {"quiet_start": "21:00"})
    with transaction(engine) as session:
        decision = gate(session, request, facts, pack, CLOCK, customer_id="C1", requested_by="dialer")
    assert decision.verdict.value == "block"

    with transaction(engine) as session:
        (row,) = decisions_for_customer(session, "C1")
        assert row.pack == "cn"
        assert row.pack_version == "2026.1+tenant"
        assert row.decision == "block"
        assert "CN-TIME-1" in row.rule_ids
        assert row.tightened == {"quiet_start": "21:00"}
        assert row.decided_at == CLOCK.now()
        assert row.decided_at.tzinfo is not None
        assert row.next_allowed_at == datetime(2026, 3, 11, 8, tzinfo=SHANGHAI)
        assert row.request["to"] == "N1"
        assert row.facts["timezone"] == "Asia/Shanghai"
        assert row.facts["events"][0]["outcome"] == "no_answer"
        assert row.reasons[0]["zh-CN"] and row.reasons[0]["en"]
        assert row.requested_by == "dialer"


def test_a_flagged_note_is_kept_for_review(engine: Engine) -> None:
    note = TextRequest("note", "再不还就爆你通讯录", "call")
    with transaction(engine) as session:
        gate(session, note, Facts(), load_pack("cn"), CLOCK, customer_id="C2", requested_by="collector:u7")
    with transaction(engine) as session:
        (flagged,) = flagged_decisions(session)
        assert flagged.customer_id == "C2"
        assert flagged.request["text"] == "再不还就爆你通讯录"
        assert set(flagged.rule_ids) == {"CN-CONDUCT-1", "CN-PI-2"}


def test_the_service_does_not_commit(engine: Engine) -> None:
    request = TextRequest("template", "请按时还款", "sms")
    with transaction(engine) as session:
        gate(session, request, Facts(), load_pack("cn"), CLOCK, customer_id="C3")
        session.rollback()
    with transaction(engine) as session:
        assert decisions_for_customer(session, "C3") == []
