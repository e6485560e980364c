"""The batch on SQLite and PostgreSQL: snapshots equal the definitions, reruns change nothing, the lock holds."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from arrears.batch import orchestrator
from arrears.batch.lock import BatchLockedError, batch_lock
from arrears.batch.orchestrator import dates_between, run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import reference_snapshot
from arrears.delinquency.rules import DelinquencyRules
from tests.batch.book import dump, insert_book
from tests.conftest import DATABASES, database
from tests.delinquency.portfolios import START, facts_of, generated_book

RULES = DelinquencyRules(materiality={"JPY": 100})


def stored_snapshot(engine: Engine, as_of: date) -> dict[str, tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT account_id, customer_id, currency, status, dpd, bucket, overdue_amount, "
                "outstanding_amount, roll FROM delinquency_snapshots WHERE as_of = :d"
            ),
            {"d": as_of},
        )
        return {row[0]: tuple(row) for row in rows}


def test_backfill_stores_the_reference_snapshot_for_each_date(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    accounts, installments, payments = facts_of(generated_book(80, seed=3))
    insert_book(engine, accounts, installments, payments)
    days = dates_between(START + timedelta(days=40), START + timedelta(days=44))
    summaries = run_batch(engine, days, duck, RULES, clock)
    assert [s.as_of for s in summaries] == days
    previous = None
    for day in days:
        expected = reference_snapshot(accounts, installments, payments, day, RULES, previous)
        stored = stored_snapshot(engine, day)
        assert set(stored) == set(expected)
        for account_id, row in expected.items():
            assert stored[account_id] == (
                row.account_id,
                row.customer_id,
                row.currency,
                row.status,
                row.dpd,
                row.bucket,
                row.overdue_amount,
                row.outstanding_amount,
                row.roll,
            )
        previous = {a: r.bucket for a, r in expected.items()}
    assert summaries[0].rolls["new"] == len(accounts)
    assert summaries[1].rolls["new"] == 0
    with engine.connect() as connection:
        runs = connection.execute(text("SELECT as_of, status, accounts FROM batch_runs ORDER BY as_of")).all()
    assert [(r[1], r[2]) for r in runs] == [("succeeded", len(accounts))] * len(days)


def test_a_backfill_stamps_each_night_by_its_own_clock(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    """One run over several nights (the demo's backfill): each night's record and case events
    carry the time the night_clock gives for that date, not the run's clock."""
    insert_book(engine, *facts_of(generated_book(30, seed=4)))
    days = dates_between(START + timedelta(days=40), START + timedelta(days=42))

    def night_clock(night: date) -> FixedClock:
        return FixedClock(datetime.combine(night + timedelta(days=1), time(1, 0), tzinfo=UTC))

    summaries = run_batch(engine, days, duck, RULES, clock, night_clock=night_clock)
    assert [s.as_of for s in summaries] == days
    with engine.connect() as connection:
        runs = connection.execute(
            text("SELECT as_of, started_at, finished_at FROM batch_runs ORDER BY as_of")
        ).all()
    stamps = [f"{day + timedelta(days=1)} 01:00:00" for day in days]
    assert [str(r[0]) for r in runs] == [d.isoformat() for d in days]
    assert [str(r[1])[:19] for r in runs] == stamps
    assert [str(r[2])[:19] for r in runs] == stamps
    assert all(str(r[1])[:10] != clock.now().date().isoformat() for r in runs)


def test_rerunning_a_date_leaves_the_same_database(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    accounts, installments, payments = facts_of(generated_book(80, seed=4))
    insert_book(engine, accounts, installments, payments)
    day = START + timedelta(days=60)
    run_batch(engine, [day - timedelta(days=1), day], duck, RULES, clock)
    tables = {
        "delinquency_snapshots": "as_of, account_id",
        "cases": "case_id",
        "case_accounts": "case_id, account_id",
    }
    before = {t: dump(engine, t, order) for t, order in tables.items()}
    assert before["delinquency_snapshots"]
    run_batch(engine, [day], duck, RULES, clock)
    after = {t: dump(engine, t, order) for t, order in tables.items()}
    assert after == before
    with engine.connect() as connection:
        attempts = connection.execute(
            text("SELECT attempts FROM batch_runs WHERE as_of = :d"), {"d": day}
        ).scalar()
    assert attempts == 2


def test_a_second_run_is_refused_while_the_lock_is_held(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    with batch_lock(engine, "arrears batch 2024-03-01..2024-03-01"):
        with pytest.raises(BatchLockedError) as refused:
            run_batch(engine, [date(2024, 3, 1)], duck, RULES, clock)
        message = str(refused.value)
        assert "2024-03-01" in message
        assert "Another batch run is in progress" in message and "另一个批处理正在运行" in message
    run_batch(engine, [date(2024, 3, 1)], duck, RULES, clock)  # released: the next run goes ahead


@pytest.mark.parametrize("database_kind", [DATABASES[1]], indirect=True)
def test_a_batch_in_another_postgresql_database_neither_blocks_nor_is_named(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock, tmp_path: Path
) -> None:
    """Advisory locks are per database: a run elsewhere on the server (same key) holds its own."""
    with database("postgresql", tmp_path) as elsewhere, batch_lock(elsewhere, "arrears batch elsewhere"):
        run_batch(engine, [date(2024, 3, 1)], duck, RULES, clock)
        with batch_lock(engine, "arrears batch here"), pytest.raises(BatchLockedError) as refused:
            run_batch(engine, [date(2024, 3, 2)], duck, RULES, clock)
    assert "arrears batch here" in str(refused.value)
    assert "elsewhere" not in str(refused.value)


@pytest.mark.parametrize("database_kind", [DATABASES[1]], indirect=True)
def test_a_night_on_postgresql_leaves_its_tables_analysed(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    accounts, installments, payments = facts_of(generated_book(30, seed=5))
    insert_book(engine, accounts, installments, payments)
    run_batch(engine, [START + timedelta(days=40)], duck, RULES, clock)
    with engine.connect() as connection:
        analysed = connection.execute(
            text(
                "SELECT relname FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND last_analyze IS NOT NULL"
            )
        ).scalars()
        assert {"cases", "delinquency_ranges", "case_accounts", "outbox_messages"} <= set(analysed)


def test_a_night_on_sqlite_has_a_large_page_cache_and_gives_it_back(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    """SQLite's page caches (the database's and the temporary tables') are NIGHT_CACHE_MIB during
    the night's transaction, the connection's own sizes after it, committed or not."""
    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite connection's page cache")
    insert_book(engine, *facts_of(generated_book(20, seed=5)))
    seen: list[int] = []
    with orchestrator._night_transaction(engine) as connection:
        seen.append(int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one()))
        seen.append(int(connection.exec_driver_sql("PRAGMA temp.cache_size").scalar_one()))
    with pytest.raises(RuntimeError), orchestrator._night_transaction(engine) as connection:
        connection.exec_driver_sql("UPDATE customers SET name = 'night probe'")
        raise RuntimeError("the night fails")
    with engine.connect() as connection:
        after = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
        temp_after = int(connection.exec_driver_sql("PRAGMA temp.cache_size").scalar_one())
        assert not connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name = 'night_probe'"
        ).all()
    assert seen == [-orchestrator.NIGHT_CACHE_MIB * 1024] * 2
    assert after == temp_after == -2000  # SQLite's default, given back (the pool keeps one connection here)
    run_batch(engine, [START + timedelta(days=40)], duck, RULES, clock)
    with engine.connect() as connection:
        assert int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one()) == -2000


def test_a_night_runs_with_the_cycle_collector_paused_and_gives_it_back(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each night's transaction runs without Python's cycle collector (its full passes walked
    every object the night held, again and again: docs/batch.md); it runs again afterwards."""
    insert_book(engine, *facts_of(generated_book(20, seed=5)))
    during: list[bool] = []
    night = orchestrator._run_day

    def watched(*args: object, **kwargs: object) -> object:
        during.append(gc.isenabled())
        return night(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(orchestrator, "_run_day", watched)
    assert gc.isenabled()
    run_batch(engine, [START + timedelta(days=40), START + timedelta(days=41)], duck, RULES, clock)
    assert during == [False, False]
    assert gc.isenabled()
