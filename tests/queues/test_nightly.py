"""The nightly placement and assignment of the book, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.cases.models import CaseAssignment
from arrears.db import transaction
from arrears.queues import service
from arrears.queues.models import Retention
from tests.api.book import TODAY, case_id_of
from tests.queues.helpers import NOW, Desk, queue, queue_set


def test_without_an_active_set_nothing_happens(engine: Engine) -> None:
    desk = Desk(engine)
    desk.case("c1")
    outcome = desk.night()
    assert outcome.plan is None
    assert "no active queue set" in outcome.note()
    assert desk.queues() == {}


def test_first_matching_queue_takes_the_case(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    desk.case("early", dpd=5, bucket="M1")
    desk.case("late", dpd=45, bucket="M2")
    desk.case("big", dpd=45, bucket="M2", overdue=9_000_000)
    desk.activate(
        queue_set(
            queue("big", "T", "{balance: {min: 1000000, currency: CNY}}"),
            queue("m1", "T", "{buckets: [M1]}"),
            queue("m2", "T", "{dpd: {min: 31, max: 60}}"),
            queue("rest", "T"),
        )
    )
    desk.night()
    assert desk.queues() == {case_id_of("early"): "m1", case_id_of("late"): "m2", case_id_of("big"): "big"}


def test_each_rule_field(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    desk.case("card", products=("credit_card",))
    desk.case("usd", currency="USD")
    desk.case("english", language="en", country="GB")
    desk.case("plain")
    desk.activate(
        queue_set(
            queue("cards", "T", "{products: [credit_card]}"),
            queue("dollars", "T", "{currencies: [USD]}"),
            queue("gb", "T", "{countries: [GB], languages: [en]}"),
            queue("held", "T", "{held: true}"),
            queue("placed", "T", "{placed: true}"),
            queue("broken", "T", "{broken_promises: 1}"),
            queue("scored", "T", "{score: {min: 1}}"),
            queue("rest", "T"),
        )
    )
    desk.night()
    assert desk.queues() == {
        case_id_of("card"): "cards",
        case_id_of("usd"): "dollars",
        case_id_of("english"): "gb",
        case_id_of("plain"): "rest",
    }


def test_balanced_within_capacity_and_skills(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    a = desk.collector("a", "T", capacity=2)
    b = desk.collector("b", "T", capacity=10)
    english = desk.collector("e", "T", capacity=10, languages=("en",))
    for n in range(6):
        desk.case(f"z{n}", overdue=1000 + n)
    desk.case("en1", language="en")
    desk.activate(queue_set(queue("all", "T")))
    outcome = desk.night()
    got = desk.collectors()
    assert got[case_id_of("en1")] in (b, english)
    zh = [got[case_id_of(f"z{n}")] for n in range(6)]
    assert english not in zh  # skills: a zh-CN customer never goes to the English-only collector
    assert zh.count(a) == 2  # capacity
    assert zh.count(b) == 4
    assert outcome.plan is not None and outcome.plan.collector_moves == 7


def test_balance_spreads_cases_evenly(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    ids = [desk.collector(f"k{n}", "T", capacity=100) for n in range(3)]
    for n in range(9):
        desk.case(f"c{n}", overdue=(n + 1) * 100)
    desk.activate(queue_set(queue("all", "T")))
    desk.night()
    got = list(desk.collectors().values())
    assert sorted(got.count(i) for i in ids) == [3, 3, 3]


def test_sticky_and_retention_and_closed(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    desk.team("U")
    a = desk.collector("a", "T", capacity=100)
    b = desk.collector("b", "T", capacity=100)
    u = desk.collector("u", "U", capacity=100)
    desk.case("s1")
    desk.case("s2")
    number = desk.activate(queue_set(queue("all", "T")))
    desk.night()
    first = desk.collectors()
    # a third collector joins: sticky cases stay where they are
    desk.collector("c", "T", capacity=100)
    desk.night(TODAY + timedelta(1))
    assert desk.collectors() == first
    # retained with its collector: a new set that sends everything to team U leaves it
    with Session(engine) as session, session.begin():
        session.add(
            Retention(
                case_id=case_id_of("s1"),
                collector_id=first[case_id_of("s1")],
                until=TODAY + timedelta(3),
                reason="keep it please",
                created_at=NOW,
                created_by=a,
            )
        )
    desk.activate(queue_set(queue("u", "U")))
    desk.night(TODAY + timedelta(2))
    got = desk.collectors()
    assert got[case_id_of("s1")] == first[case_id_of("s1")]
    assert got[case_id_of("s2")] == u
    # after its date, the rules apply again
    desk.night(TODAY + timedelta(4))
    assert desk.collectors()[case_id_of("s1")] == u
    assert number == 1 and b


def test_reassign_after_days_without_progress(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    a = desk.collector("a", "T", capacity=100)
    b = desk.collector("b", "T", capacity=100)
    desk.case("s1")
    desk.activate(queue_set(queue("all", "T", assignment="{reassign_after_days: 3}")))
    desk.night()
    first = desk.collectors()[case_id_of("s1")]
    desk.night(TODAY + timedelta(2))
    assert desk.collectors()[case_id_of("s1")] == first
    desk.night(TODAY + timedelta(3))
    second = desk.collectors()[case_id_of("s1")]
    assert second != first and {first, second} == {a, b}


def test_moves_are_audited_and_history_kept(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    a = desk.collector("a", "T", capacity=100)
    desk.case("s1")
    desk.case("s2")
    desk.activate(queue_set(queue("all", "T")))
    desk.night()
    with Session(engine) as session:
        entries = (
            session.execute(select(AuditEntry).where(AuditEntry.action == "queue.assign")).scalars().all()
        )
        assert len(entries) == 1
        moves = json.loads(json.loads(entries[0].after or "{}")["moves"])
        assert sorted(m[0] for m in moves) == [case_id_of("s1"), case_id_of("s2")]
        assert all(m[3] is None and m[5] == a for m in moves)
        rows = session.execute(select(CaseAssignment)).scalars().all()
        assert {r.reason for r in rows} == {"nightly assignment: queue all"}
        assert all(r.assigned_by is None for r in rows)


def test_preview_counts_equal_what_the_night_does(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    desk.collector("a", "T", capacity=1)
    desk.collector("b", "T", capacity=1)
    for n in range(4):
        desk.case(f"p{n}", dpd=5 if n % 2 else 45, bucket="M1" if n % 2 else "M2")
    with transaction(engine) as session:
        from arrears.audit.trail import SYSTEM

        row = service.draft(
            session,
            SYSTEM,
            queue_set(queue("m1", "T", "{buckets: [M1]}"), queue("rest", "T")),
            "t.yaml",
            note=None,
            now=NOW,
        )
        plan = service.preview(session, SYSTEM, row.number, TODAY)
        service.activate(session, SYSTEM, row.number, expected=1, now=NOW)
    outcome = desk.night()
    assert outcome.plan == plan
    assert plan.cases == {"m1": 2, "rest": 2}
    assert plan.collector_moves == 4 and plan.pooled == 2
