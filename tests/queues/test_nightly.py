"""The nightly placement and assignment of the book, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.auth.models import Agency
from arrears.cases.models import Case, CaseAssignment
from arrears.db import transaction
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account
from arrears.queues import service
from arrears.queues.models import Retention
from tests.api.book import TODAY, account_id_of, case_id_of, new_id
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
    agency = _agency(engine)
    desk.case("card", products=("credit_card",))
    desk.case("usd", currency="USD")
    desk.case("english", language="en", country="GB")
    desk.case("held")
    desk.case("placed")
    desk.case("broken")
    desk.case("scored")
    desk.case("branch")
    desk.case("old", dpd=95, bucket="M4")
    desk.case("plain")
    with engine.begin() as connection:
        connection.execute(
            insert(Hold).values(customer_id="held", kind="cease", evidence="letter", placed_at=NOW, version=1)
        )
        connection.execute(update(Case).where(Case.customer_id == "broken").values(broken_promises=2))
        connection.execute(update(Account).where(Account.customer_id == "branch").values(branch="SZ002"))
    desk.book.place(account_id_of("placed"), agency)
    desk.book.score(desk.book.model(), case_id_of("scored"), account_id_of("scored"), 720, "A")
    desk.activate(
        queue_set(
            queue("cards", "T", "{products: [credit_card]}"),
            queue("dollars", "T", "{currencies: [USD]}"),
            queue("gb", "T", "{countries: [GB], languages: [en]}"),
            queue("held", "T", "{held: true}"),
            queue("placed", "T", "{placed: true}"),
            queue("broken", "T", "{broken_promises: 2}"),
            queue("scored", "T", "{score: {min: 700, max: 800}}"),
            queue("branch", "T", "{branches: [SZ002]}"),
            queue("old", "T", "{dpd: {min: 91}, buckets: [M4]}"),
            queue("rest", "T", "{held: false, placed: false, dpd: {max: 90}}"),
        )
    )
    desk.night()
    assert desk.queues() == {
        case_id_of("card"): "cards",
        case_id_of("usd"): "dollars",
        case_id_of("english"): "gb",
        case_id_of("held"): "held",
        case_id_of("placed"): "placed",
        case_id_of("broken"): "broken",
        case_id_of("scored"): "scored",
        case_id_of("branch"): "branch",
        case_id_of("old"): "old",
        case_id_of("plain"): "rest",
    }


def test_no_matching_queue_leaves_the_case_out_and_closed_cases_leave(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    desk.case("m1", bucket="M1", dpd=5)
    desk.case("m2")
    desk.activate(queue_set(queue("m1", "T", "{buckets: [M1]}"), queue("m2", "T", "{buckets: [M2]}")))
    desk.night()
    assert set(desk.queues()) == {case_id_of("m1"), case_id_of("m2")}
    with engine.begin() as connection:
        connection.execute(
            update(Case).where(Case.customer_id == "m1").values(status="closed", closed_on=TODAY)
        )
        connection.execute(update(Case).where(Case.customer_id == "m2").values(bucket="M3", worst_dpd=70))
    outcome = desk.night(TODAY + timedelta(1))
    assert desk.queues() == {}
    assert outcome.plan is not None and outcome.plan.cases == {"m1": 0, "m2": 0}


def _agency(engine: Engine) -> int:
    with engine.begin() as connection:
        return new_id(connection, Agency, code="AG", name="AG", active=True, created_at=NOW)


def test_product_skills_and_stale_cases_respect_capacity(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    cards = desk.collector("cards", "T", capacity=10, products=("credit_card",))
    loans = desk.collector("loans", "T", capacity=10, products=("personal_loan",))
    desk.case("c1", products=("credit_card",))
    desk.case("l1")
    desk.activate(queue_set(queue("all", "T", assignment="{reassign_after_days: 2}")))
    desk.night()
    assert desk.collectors() == {case_id_of("c1"): cards, case_id_of("l1"): loans}
    # no progress in 2 days: no other collector has the skill, so they wait in the team's pool
    outcome = desk.night(TODAY + timedelta(2))
    assert desk.collectors() == {case_id_of("c1"): None, case_id_of("l1"): None}
    assert outcome.plan is not None and outcome.plan.pooled == 2


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


def _dealt_to_one_of_two(engine: Engine, reassign_after_days: int) -> tuple[Desk, int | None]:
    """One case, two collectors, a queue that reassigns after the days; the first night dealt it:
    the desk and the collector it went to."""
    desk = Desk(engine)
    desk.team("T")
    desk.collector("a", "T", capacity=100)
    desk.collector("b", "T", capacity=100)
    desk.case("s1")
    desk.activate(queue_set(queue("all", "T", assignment=f"{{reassign_after_days: {reassign_after_days}}}")))
    desk.night()
    return desk, desk.collectors()[case_id_of("s1")]


def test_a_payment_in_the_window_keeps_the_collector(engine: Engine) -> None:
    desk, first = _dealt_to_one_of_two(engine, 3)
    desk.book.payments(account_id_of("s1"), [("PAY-1", TODAY + timedelta(1), 5000, None)])
    desk.night(TODAY + timedelta(3))  # no night in between: the night looks back over the 3 days
    assert desk.collectors()[case_id_of("s1")] == first


def test_progress_a_night_found_is_remembered_until_the_window_passes_it(engine: Engine) -> None:
    desk, first = _dealt_to_one_of_two(engine, 4)
    desk.book.payments(account_id_of("s1"), [("PAY-1", TODAY + timedelta(1), 5000, None)])
    desk.night(TODAY + timedelta(1), progress_from=TODAY)
    # this night reads only its own days' rows: the payment of day 1 is known from case_queues
    desk.night(TODAY + timedelta(4), progress_from=TODAY + timedelta(3))
    assert desk.collectors()[case_id_of("s1")] == first
    desk.night(TODAY + timedelta(5), progress_from=TODAY + timedelta(4))  # 4 days without progress
    assert desk.collectors()[case_id_of("s1")] != first


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


def test_a_recent_hand_reassignment_restarts_the_count(engine: Engine) -> None:
    desk = Desk(engine)
    desk.team("T")
    a = desk.collector("a", "T", capacity=100)
    b = desk.collector("b", "T", capacity=100)
    desk.case("s1")
    desk.activate(queue_set(queue("all", "T", assignment="{reassign_after_days: 3}")))
    desk.night()
    first = desk.collectors()[case_id_of("s1")]
    other = b if first == a else a
    with engine.begin() as connection:  # a supervisor moved it by hand on day 2
        connection.execute(
            update(CaseAssignment)
            .where(CaseAssignment.ended_at.is_(None))
            .values(ended_at=NOW + timedelta(1))
        )
        connection.execute(
            insert(CaseAssignment).values(
                case_id=case_id_of("s1"),
                team_id=desk.teams["T"],
                collector_id=other,
                assigned_at=NOW + timedelta(1),
                assigned_by=None,
                reason="by hand, for a test",
            )
        )
    desk.night(TODAY + timedelta(3))
    assert desk.collectors()[case_id_of("s1")] == other
    desk.night(TODAY + timedelta(4))
    assert desk.collectors()[case_id_of("s1")] == first
