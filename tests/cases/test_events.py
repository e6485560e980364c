"""The case step writes only what changed, and the date's case events, on SQLite and PostgreSQL.

A night given the accounts whose state changed plans only their customers' cases and moves the
others' DPD in place: the case tables and the events end exactly as when every open case is
planned again, night after night, with late payments arriving between nights.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from arrears.batch.orchestrator import run_batch
from arrears.cases import service as cases
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from tests.batch.book import insert_book
from tests.cases.test_lifecycle import ACCOUNTS, INSTALLMENTS, PAYMENTS, run
from tests.delinquency.portfolios import START, PaymentFact, facts_of, generated_book

RULES = DelinquencyRules()
TABLES = (
    ("cases", "case_id"),
    ("case_accounts", "case_id, account_id"),
    ("case_events", "case_id, as_of, kind, account_id"),
)


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        found = {}
        for table, key in TABLES:
            columns = (
                "*" if table != "case_events" else "case_id, occurred_on, kind, from_bucket, to_bucket, "
            )
            columns += "account_id, as_of" if table == "case_events" else ""
            found[table] = [
                tuple(r) for r in connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY {key}"))
            ]
        return found


def events(engine: Engine, as_of: date) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT case_id, kind, from_bucket, to_bucket, account_id FROM case_events "
                "WHERE as_of = :d ORDER BY case_id, kind, account_id"
            ),
            {"d": as_of},
        )
        return [tuple(r) for r in rows]


def nights(engine: Engine, clock: FixedClock) -> None:
    """Ten nights, with gaps, one store for the first ones; late payments arrive, then a fresh
    store reads them."""
    days = [START + timedelta(days=n) for n in (0, 1, 2, 3, 7, 8, 30)]
    duck = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        run_batch(engine, days, duck, RULES, clock)
    finally:
        duck.close()
    late = [PaymentFact(f"LATE{n}", f"A{n:07d}", days[-1], 50_000) for n in range(0, 240, 3)]
    insert_book(engine, [], [], late)
    for day in (days[-1] + timedelta(days=1), days[-1] + timedelta(days=2), days[-1] + timedelta(days=2)):
        duck = DuckDBEngine(memory_limit="500MB", threads=1)
        try:
            run_batch(engine, [day], duck, RULES, clock)
        finally:
            duck.close()


def test_planning_only_the_changed_cases_ends_as_planning_every_case(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_book(engine, *facts_of(generated_book(240, seed=5)))
    planned: list[int] = []
    apply = cases.apply_snapshot

    def counting(connection: Any, snapshot: Any, as_of: date, changed: Any = None, since: Any = None) -> Any:
        planned.append(-1 if changed is None else changed.num_rows)
        return apply(connection, snapshot, as_of, changed, since)

    monkeypatch.setattr(cases, "apply_snapshot", counting)
    nights(engine, clock)
    incremental = dump(engine)
    assert planned[0] == 240 and min(planned[1:]) >= 0 and min(planned[1:]) < 240  # some nights change few
    assert incremental["case_events"] and incremental["cases"]
    kinds = {row[2] for row in incremental["case_events"]}
    assert {"opened", "bucket_changed", "account_joined"} <= kinds

    with engine.begin() as connection:
        for table in (
            "case_events",
            "case_accounts",
            "cases",
            "delinquency_ranges",
            "snapshot_dates",
            "batch_runs",
        ):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM payments WHERE payment_id LIKE 'LATE%'"))

    def everything(
        connection: Any, snapshot: Any, as_of: date, changed: Any = None, since: Any = None
    ) -> Any:
        return apply(connection, snapshot, as_of)  # no changes given: every open case planned

    monkeypatch.setattr(cases, "apply_snapshot", everything)
    nights(engine, clock)
    assert dump(engine) == incremental


def test_the_events_of_a_case_s_life_and_a_rerun_replaces_them(engine: Engine, clock: FixedClock) -> None:
    insert_book(engine, ACCOUNTS, INSTALLMENTS, PAYMENTS)
    run(engine, date(2024, 1, 15), clock)
    assert events(engine, date(2024, 1, 15)) == [
        ("C-K1-20240115", "opened", None, "M1", None),
        ("C-K3-20240115", "opened", None, "M1", None),
        ("C-K4-20240115", "opened", None, "M1", None),
    ]
    run(engine, date(2024, 1, 25), clock)
    assert events(engine, date(2024, 1, 25)) == [("C-K1-20240115", "account_joined", None, None, "B")]
    run(engine, date(2024, 2, 2), clock)
    closing = [
        ("C-K3-20240115", "closed", "M1", "M0", None),  # paid off
        ("C-K4-20240115", "cured", "M1", "M0", None),
    ]
    assert events(engine, date(2024, 2, 2)) == closing
    run(engine, date(2024, 2, 2), clock)  # a rerun: the same events, not twice
    run(engine, date(2024, 2, 2), clock)
    assert events(engine, date(2024, 2, 2)) == closing
    with engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET status = 'charged_off' WHERE account_id = 'B'"))
    run(engine, date(2024, 2, 7), clock)
    assert [e[1] for e in events(engine, date(2024, 2, 7))] == ["closed"]  # written off
    with engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET status = 'active' WHERE account_id = 'B'"))
    run(engine, date(2024, 2, 8), clock)
    assert events(engine, date(2024, 2, 8)) == [("C-K1-20240208", "reopened", None, "M1", None)]


def test_a_bucket_move_is_an_event_and_a_rerun_keeps_where_it_came_from(
    engine: Engine, clock: FixedClock
) -> None:
    insert_book(engine, ACCOUNTS, INSTALLMENTS, PAYMENTS)
    run(engine, date(2024, 1, 15), clock)
    run(engine, date(2024, 2, 1), clock)  # K1's A: 22 days; B 12: still M1
    run(engine, date(2024, 2, 12), clock)  # K1's worst, B, 23 days (A cured 5 Feb): still M1
    assert [e for e in events(engine, date(2024, 2, 12)) if e[1] == "bucket_changed"] == []
    run(engine, date(2024, 2, 25), clock)  # B 36 days: M2
    move = [("C-K1-20240115", "bucket_changed", "M1", "M2", None)]
    assert events(engine, date(2024, 2, 25)) == move
    run(engine, date(2024, 2, 25), clock)  # the case already says M2: the move still starts at M1
    assert events(engine, date(2024, 2, 25)) == move
