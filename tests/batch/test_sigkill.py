"""A batch killed with SIGKILL inside its transaction leaves the database as it was; the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, text

from arrears.batch.service import run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from tests.batch.book import dump, insert_book
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
from arrears.batch.service import run_batch
from arrears.clock import FixedClock
from arrears.db import make_engine
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules

url, schema, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])
database = make_engine(url, connect_args={"options": f"-csearch_path={schema}"} if schema else {})

def stop_here(step):
    if step == "cases applied":  # snapshot and cases written, not committed
        marker.write_text(step)
        time.sleep(120)

run_batch(database, [date(2024, 2, 10)], DuckDBEngine(threads=1), DelinquencyRules(),
          FixedClock(datetime(2024, 6, 1, tzinfo=UTC)), checkpoint=stop_here)
"""


def test_sigkill_mid_run_changes_nothing_and_the_rerun_completes(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock, tmp_path: Path
) -> None:
    insert_book(engine, *facts_of(generated_book(300, seed=11)))
    run_batch(engine, [date(2024, 2, 9)], duck, DelinquencyRules(), clock)
    before = {t: dump(engine, t, order) for t, order in TABLES.items()}
    assert before["cases"]

    schema = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = str(connection.execute(text("SELECT current_schema()")).scalar())
    marker = tmp_path / "reached"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, engine.url.render_as_string(hide_password=False), schema, str(marker)],
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

    [summary] = run_batch(engine, [date(2024, 2, 10)], duck, DelinquencyRules(), clock)
    assert summary.accounts == 300
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT count(*) FROM delinquency_snapshots WHERE as_of = :d"), {"d": date(2024, 2, 10)}
        ).scalar()
    assert stored == 300
