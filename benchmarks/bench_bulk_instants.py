"""Instants written in bulk to SQLite (``arrears.db.arrow.insert_arrow``), as the night writes the
strategy's actions: three timestamp columns (planned_at, window_end, next_allowed_at) beside an id.

Two ways side by side on the same rows, each into a fresh in-memory table, several repeats:
- ``python datetimes``: what insert_arrow did until session 26: the column made Python datetimes
  (``to_pylist``) and sqlite3's default adapter writing each ("2026-12-08 01:00:00+00:00");
- ``arrow text`` (as shipped): the column formatted by Arrow as UTCDateTime stores an instant
  ("2026-12-08 01:00:00.000000") and handed to SQLite as text.
The floor beside them: the same rows with the instants as integers (no formatting at all).

    PYTHONPATH=. python benchmarks/bench_bulk_instants.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from arrears.db.arrow import _sqlite_instants

COLUMNS = ("planned_at", "window_end", "next_allowed_at")


def instants(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = datetime(2026, 12, 8, tzinfo=UTC)
    micros = rng.integers(0, 86_400 * 1_000_000, size=(len(COLUMNS), rows))
    base = int(start.timestamp() * 1_000_000)
    columns = {"id": pa.array(np.arange(rows))}
    for name, offsets in zip(COLUMNS, micros, strict=True):
        columns[name] = pa.array(base + offsets, pa.timestamp("us", tz="UTC"))
    return pa.table(columns)


def as_python(column: pa.Array) -> list[Any]:
    return column.to_pylist()  # type: ignore[no-any-return]


def as_integers(column: pa.Array) -> list[Any]:
    return column.cast(pa.int64()).to_pylist()  # type: ignore[no-any-return]


def write(table: pa.Table, convert: Callable[[pa.Array], list[Any]]) -> float:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id INTEGER, planned_at TEXT, window_end TEXT, next_allowed_at TEXT)")
    began = time.perf_counter()
    for batch in table.to_batches(50_000):
        ids = batch.column(0).to_pylist()
        values = [ids, *(convert(batch.column(i + 1)) for i in range(len(COLUMNS)))]
        db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", zip(*values, strict=True))
    db.commit()
    took = time.perf_counter() - began
    db.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = instants(args.rows, seed=26)
    ways = {"python datetimes": as_python, "arrow text": _sqlite_instants, "integers (floor)": as_integers}
    took: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.repeat):  # interleaved, so that a busy moment falls on every way
        for name, convert in ways.items():
            took[name].append(write(table, convert))
    print(f"{args.rows:,} rows × {len(COLUMNS)} instants into SQLite, {args.repeat} runs each (s):")
    for name, runs in took.items():
        shown = ", ".join(f"{t:.2f}" for t in runs)
        print(f"  {name:<18} median {statistics.median(runs):.2f}  ({shown})")


if __name__ == "__main__":
    main()
