"""The contact gate: local time by IANA zone, next_allowed_at, purity."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.compliance.decision import Verdict
from arrears.compliance.facts import ContactPoint, ContactRequest, Event, Facts
from arrears.compliance.gate import decide
from arrears.compliance.packs import load_pack

NEW_YORK = ZoneInfo("America/New_York")
DEBTOR_PHONE = ContactPoint("M1", "mobile", "debtor")
PURE_MODULES = [
    "batch",
    "batch_facts",
    "batch_reading",
    "batch_rules",
    "calendars",
    "content",
    "context",
    "counting",
    "decision",
    "facts",
    "gate",
    "lexicon",
    "local_clock",
    "messages",
    "packfile",
    "packs",
    "parsing",
    "parties",
    "standing",
    "windows",
]


def _call(at: datetime, facts: Facts, pack_id: str = "us-regf") -> tuple[Verdict, datetime | None]:
    decision = decide(ContactRequest(at=at, channel="call", to="M1"), facts, load_pack(pack_id))
    return decision.verdict, decision.next_allowed_at


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=365 * 24 * 60 - 1))
def test_quiet_hours_follow_the_new_york_wall_clock_all_year(minute: int) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
    facts = Facts(timezone="America/New_York", contact_points=(DEBTOR_PHONE,))
    verdict, next_allowed = _call(at, facts)
    local_hour = at.astimezone(NEW_YORK).hour
    assert (verdict is Verdict.ALLOW) == (8 <= local_hour < 21)
    if verdict is Verdict.BLOCK:
        assert next_allowed is not None
        local_next = next_allowed.astimezone(NEW_YORK)
        assert (local_next.hour, local_next.minute) == (8, 0)
        assert timedelta(0) < next_allowed - at <= timedelta(hours=12)
        assert _call(next_allowed, facts)[0] is Verdict.ALLOW
        assert _call(next_allowed - timedelta(seconds=1), facts)[0] is Verdict.BLOCK


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=14 * 24 * 60 - 1))
def test_next_allowed_at_is_the_earliest_passing_instant_for_the_7_in_7_rule(minute: int) -> None:
    history = tuple(
        Event(
            "call",
            at=datetime(2026, 3, 2 + day, 9, tzinfo=ZoneInfo("America/Los_Angeles")),
            to="M1",
            outcome="no_answer",
        )
        for day in range(7)
    )
    facts = Facts(timezone="America/Los_Angeles", contact_points=(DEBTOR_PHONE,), events=history)
    at = datetime(2026, 3, 8, 17, tzinfo=UTC) + timedelta(minutes=minute)
    verdict, next_allowed = _call(at, facts)
    if verdict is Verdict.ALLOW:
        return
    assert next_allowed is not None and next_allowed > at
    assert _call(next_allowed, facts)[0] is Verdict.ALLOW
    step_back = max(at, next_allowed - timedelta(minutes=1))
    if step_back > at:
        assert _call(step_back, facts)[0] is Verdict.BLOCK


def test_a_hold_gives_no_retry_time() -> None:
    facts = Facts(
        timezone="Asia/Shanghai",
        contact_points=(DEBTOR_PHONE,),
        events=(Event("bankruptcy", at=datetime(2026, 3, 1, tzinfo=UTC)),),
    )
    verdict, next_allowed = _call(datetime(2026, 3, 10, 23, tzinfo=UTC), facts, "cn")
    assert verdict is Verdict.BLOCK
    assert next_allowed is None


def test_reasons_are_given_in_chinese_and_english() -> None:
    facts = Facts(timezone="Asia/Shanghai", contact_points=(DEBTOR_PHONE,))
    decision = decide(
        ContactRequest(
            at=datetime(2026, 3, 10, 22, tzinfo=ZoneInfo("Asia/Shanghai")), channel="call", to="M1"
        ),
        facts,
        load_pack("cn"),
    )
    (reason,) = decision.reasons
    assert reason.rule_id == "CN-TIME-1"
    assert "22:00" in reason.message_zh and "当地时间" in reason.message_zh
    assert "outside 08:00–22:00" in reason.message_en
    assert decision.pack_id == "cn" and decision.pack_version == "2026.1"


def test_the_rule_code_imports_no_database_web_or_cli_code() -> None:
    package = Path(__file__).parents[2] / "arrears" / "compliance"
    forbidden = (
        "sqlalchemy",
        "typer",
        "rich",
        "fastapi",
        "arrears.db",
        "arrears.cli",
        "arrears.compliance.models",
    )
    for module in PURE_MODULES:
        tree = ast.parse((package / f"{module}.py").read_text("utf-8"))
        imported = [
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
        ]
        assert not [n for n in imported if n.startswith(forbidden)], module
