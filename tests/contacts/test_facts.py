"""The gate's facts built from the tables (facts_for): each event kind built right, refused
contacts left out, holds standing or lifted, preferences as they stood, open callbacks only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from arrears.cases.models import Case
from arrears.compliance.facts import TimeWindow
from arrears.contacts.gate import facts_for
from arrears.contacts.models import Callback, Contact, ContactPreference
from arrears.db import transaction
from arrears.disputes.models import Hold
from arrears.portfolio.models import ContactPoint, Customer

AT = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
CASE = "C-F1-20261101"


def _book(engine: Engine) -> dict[str, int]:
    with engine.begin() as connection:
        connection.execute(insert(Customer).values(customer_id="F1", name="F", timezone="Asia/Shanghai"))
        points = {}
        for name, kind, party in (
            ("mobile", "mobile", "debtor"),
            ("spouse", "mobile", "spouse"),
            ("other", "mobile", "other"),
        ):
            points[name] = connection.execute(
                insert(ContactPoint)
                .values(
                    customer_id="F1",
                    type=kind,
                    value=f"+86139{len(points):08d}",
                    party=party,
                    do_not_contact=name == "other",
                )
                .returning(ContactPoint.id)
            ).scalar_one()
        connection.execute(
            insert(Case).values(
                case_id=CASE,
                customer_id="F1",
                status="open",
                opened_on=date(2026, 11, 1),
                worst_dpd=40,
                bucket="M2",
                overdue_total=1,
                currency="CNY",
                account_count=1,
                updated_on=date(2026, 11, 21),
            )
        )
    return points


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with every key (an executemany takes its columns from the first row)."""
    keys = {key for row in rows for key in row}
    return [dict.fromkeys(keys) | row for row in rows]


def _contact(point: int, minutes_before: int, **values: Any) -> dict[str, Any]:
    started = AT - timedelta(minutes=minutes_before)
    return {
        "case_id": CASE,
        "customer_id": "F1",
        "channel": "call",
        "direction": "outbound",
        "contact_point_id": point,
        "party": "debtor",
        "started_at": started,
        "started_on": started.date(),
        "disposition": "no_answer",
        "note_flags": [],
        "violations": [],
        "after_the_fact": False,
        "review_status": "none",
        "source": "collector",
        "recorded_at": started,
    } | values


def test_calls_messages_and_refusals(engine: Engine) -> None:
    points = _book(engine)
    mobile = points["mobile"]
    with engine.begin() as connection:
        connection.execute(
            insert(Contact),
            _rows(
                [
                    _contact(mobile, 60, disposition="no_answer", gate_verdict="allow"),
                    _contact(mobile, 50, disposition="right_party_contact", gate_verdict="allow"),
                    _contact(mobile, 45, disposition="wrong_party", gate_verdict="allow"),
                    _contact(mobile, 40, disposition="refused_by_gate", gate_verdict="block"),
                    _contact(mobile, 35, disposition="no_answer", gate_verdict="block", after_the_fact=True),
                    _contact(mobile, 30, channel="sms", disposition="message_sent", gate_verdict="allow"),
                    _contact(mobile, 25, channel="ivr", disposition="voicemail", gate_verdict="allow"),
                    _contact(mobile, 20, direction="inbound", disposition="right_party_contact"),
                    _contact(
                        mobile, 15, channel="email", direction="inbound", disposition="right_party_contact"
                    ),
                    _contact(mobile, 60 * 24 * 31, disposition="no_answer", gate_verdict="allow"),  # too old
                    _contact(
                        mobile, -10, disposition="no_answer", gate_verdict="allow"
                    ),  # after the question
                ]
            ),
        )
    with transaction(engine) as session:
        facts = facts_for(session, "F1", AT)
    shown = [(e.kind, e.outcome, e.to, e.source) for e in facts.events]
    to = str(mobile)
    assert shown == [
        ("call", "no_answer", to, None),
        ("call", "conversation", to, None),
        ("call", "wrong_party", to, None),
        ("call", "no_answer", to, None),  # after the fact and blocked: it happened all the same
        ("sms", None, to, None),
        ("call", "voicemail", to, None),  # an IVR call is a call
        ("inbound_call", "conversation", None, to),
    ]
    assert facts.timezone == "Asia/Shanghai"
    assert [(p.id, p.party, p.do_not_contact) for p in facts.contact_points] == [
        (to, "debtor", False),
        (str(points["spouse"]), "spouse", False),
        (str(points["other"]), "third_party", True),
    ]


def test_holds_standing_and_lifted(engine: Engine) -> None:
    _book(engine)
    hold = {"customer_id": "F1", "case_id": CASE, "evidence": "letter", "version": 1}
    with engine.begin() as connection:
        connection.execute(
            insert(Hold),
            _rows(
                [
                    hold | {"kind": "dispute", "placed_at": AT - timedelta(days=2)},
                    hold
                    | {
                        "kind": "bankruptcy",
                        "placed_at": AT - timedelta(days=3),
                        "lifted_at": AT - timedelta(days=1),
                    },
                    hold
                    | {
                        "kind": "deceased",
                        "placed_at": AT - timedelta(days=3),
                        "lifted_at": AT + timedelta(days=1),
                    },
                    hold | {"kind": "hardship", "placed_at": AT + timedelta(hours=1)},
                ]
            ),
        )
    with transaction(engine) as session:
        facts = facts_for(session, "F1", AT)
    assert sorted((e.kind, e.hold) for e in facts.events) == [
        ("hold_placed", "deceased"),
        ("hold_placed", "dispute"),
    ]


def test_preferences_as_they_stood(engine: Engine) -> None:
    points = _book(engine)
    mobile, spouse = str(points["mobile"]), str(points["spouse"])
    base = {"customer_id": "F1", "recorded_at": AT - timedelta(days=1)}
    with engine.begin() as connection:
        connection.execute(
            insert(ContactPreference),
            _rows(
                [
                    base
                    | {
                        "kind": "consent",
                        "channel": "ivr",
                        "window_start": time(22),
                        "window_end": time(23),
                        "until": AT + timedelta(days=3),
                    },
                    base
                    | {
                        "kind": "inconvenient_time",
                        "window_start": time(12),
                        "window_end": time(14),
                        "contact_point_id": points["mobile"],
                    },
                    base | {"kind": "opt_out", "channel": "chat", "contact_point_id": points["mobile"]},
                    base | {"kind": "contact_refused", "contact_point_id": points["spouse"]},
                    base | {"kind": "opt_out", "channel": "sms", "withdrawn_at": AT - timedelta(hours=1)},
                    base | {"kind": "opt_out", "channel": "email", "recorded_at": AT + timedelta(hours=1)},
                ]
            ),
        )
    with transaction(engine) as session:
        facts = facts_for(session, "F1", AT)
    shown = sorted((e.kind, e.channel, e.to, e.contact, e.window, e.until) for e in facts.events)
    assert shown == [
        ("consent", "call", None, None, TimeWindow(time(22), time(23)), AT + timedelta(days=3)),
        ("contact_refused", None, None, spouse, None, None),
        ("inconvenient_time", None, mobile, None, TimeWindow(time(12), time(14)), None),
        ("opt_out", "wechat", mobile, None, None, None),
    ]


def test_open_callbacks_only(engine: Engine) -> None:
    points = _book(engine)
    base = {
        "case_id": CASE,
        "contact_point_id": points["mobile"],
        "created_at": AT - timedelta(hours=2),
        "version": 1,
    }
    with engine.begin() as connection:
        connection.execute(
            insert(Callback),
            _rows(
                [
                    base | {"due_at": AT + timedelta(hours=3), "status": "open"},
                    base | {"due_at": AT + timedelta(hours=4), "status": "done"},
                    base | {"due_at": AT + timedelta(hours=5), "status": "cancelled"},
                    base
                    | {
                        "due_at": AT + timedelta(hours=6),
                        "status": "open",
                        "created_at": AT + timedelta(minutes=1),
                    },
                ]
            ),
        )
    with transaction(engine) as session:
        facts = facts_for(session, "F1", AT)
    assert [(e.kind, e.callback_at) for e in facts.events] == [
        ("callback_requested", AT + timedelta(hours=3))
    ]


@pytest.mark.parametrize("kind", ["a customer with no contacts"])
def test_an_unknown_customer_has_no_facts(engine: Engine, kind: str) -> None:
    with transaction(engine) as session:
        facts = facts_for(session, "NOBODY", AT)
    assert (facts.timezone, facts.contact_points, facts.events) == (None, (), ())
