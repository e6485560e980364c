"""A batch killed with SIGKILL inside its transaction leaves the database as it was; the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from arrears.batch.orchestrator import run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import reference_snapshot
from arrears.delinquency.rules import DelinquencyRules
from tests.batch.book import dump, insert_book
from tests.batch.test_batch_run import stored_snapshot
from tests.delinquency.portfolios import facts_of, generated_book

TABLES = {
    "delinquency_snapshots": "as_of, account_id",
    "cases": "case_id",
    "case_accounts": "case_id, account_id",
    "batch_runs": "as_of",
}

CHILD = """
import sys, time
from datetime import UTC, date, datetime
from pathlib import Path
from arrears.batch.orchestrator import run_batch
from arrears.clock import FixedClock
from arrears.db import make_engine
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules

url, marker, kill_at, store = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
database = make_engine(url)

def stop_here(step):
    if step == kill_at:
        marker.write_text(step)
        time.sleep(120)

engine = DuckDBEngine(threads=1, database=Path(store) if store else None)
run_batch(database, [date(2024, 2, 10)], engine, DelinquencyRules(),
          FixedClock(datetime(2024, 6, 1, tzinfo=UTC)), checkpoint=stop_here)
"""


@pytest.mark.parametrize(
    ("kill_at", "with_store"),
    [
        ("cases applied", False),  # snapshot and cases written, not committed
        ("computed", True),  # the store already carries the new state; nothing committed
    ],
)
def test_sigkill_mid_run_changes_nothing_and_the_rerun_completes(
    engine: Engine, clock: FixedClock, tmp_path: Path, kill_at: str, with_store: bool
) -> None:
    book = facts_of(generated_book(300, seed=11))
    insert_book(engine, *book)
    store = tmp_path / "batch.duckdb" if with_store else None

    def batch(day: date) -> None:
        duck = DuckDBEngine(memory_limit="500MB", threads=1, database=store)
        try:
            run_batch(engine, [day], duck, DelinquencyRules(), clock)
        finally:
            duck.close()

    batch(date(2024, 2, 9))
    before = {t: dump(engine, t, order) for t, order in TABLES.items()}
    assert before["cases"]

    marker = tmp_path / "reached"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            engine.url.render_as_string(hide_password=False),
            str(marker),
            kill_at,
            str(store or ""),
        ],
        cwd=Path(__file__).resolve().parents[2],
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert child.poll() is None, "the batch ended before the kill point"
        assert time.monotonic() < deadline, "the batch never reached the kill point"
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    assert {t: dump(engine, t, order) for t, order in TABLES.items()} == before

    first = reference_snapshot(*book, date(2024, 2, 9), DelinquencyRules())
    previous = {a: r.bucket for a, r in first.items()}
    for day in (date(2024, 2, 10), date(2024, 2, 11)):  # the rerun, then a night carried from it
        batch(day)
        expected = reference_snapshot(*book, day, DelinquencyRules(), previous)
        stored = stored_snapshot(engine, day)
        assert {a: row[4:] for a, row in stored.items()} == {
            a: (r.dpd, r.bucket, r.overdue_amount, r.outstanding_amount, r.roll) for a, r in expected.items()
        }
        previous = {a: r.bucket for a, r in expected.items()}
