"""Where the next night's SQL time goes: every statement of the night timed, on a fresh copy of
the state ``bench_nightly.py --keep-after-feed`` kept (SQLite), in this process.

    ARREARS_BENCH_DATA=/work/bench10m .venv/bin/python benchmarks/night_statements.py --accounts 10000000

Prints the night's laps, the process's CPU time and peak RSS, then the slowest statements with the
line of Arrears that ran each (the hooks add a few microseconds a statement; a night runs some 500;
the bulk reads and writes go to the driver directly and are not among them).

``--cache-mib N`` runs the night with SQLite page caches of N MiB (``orchestrator.NIGHT_CACHE_MIB``);
``--no-spill`` with ``PRAGMA cache_spill = OFF`` (changed pages kept in memory until the commit):
what docs/strategy.md, "Session 24", compared.
"""

from __future__ import annotations

import argparse
import resource
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import bench_nightly as bench
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from arrears.batch import orchestrator


def without_spill() -> None:
    """The night's transaction with its changed pages kept in the cache until the commit."""
    night_transaction = orchestrator._night_transaction

    @contextmanager
    def kept(database: Engine) -> Iterator[Connection]:
        with night_transaction(database) as connection:
            for schema in ("main", "temp"):
                connection.exec_driver_sql(f"PRAGMA {schema}.cache_spill = OFF")
            yield connection

    orchestrator._night_transaction = kept


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--top", type=int, default=40, help="statements to print")
    parser.add_argument("--cache-mib", type=int, help=f"default: {orchestrator.NIGHT_CACHE_MIB}")
    parser.add_argument("--no-spill", action="store_true")
    options = parser.parse_args()
    if options.cache_mib:
        orchestrator.NIGHT_CACHE_MIB = options.cache_mib
    if options.no_spill:
        without_spill()
    bench.put_back_kept(options.accounts, None)
    timed: list[tuple[float, str, str]] = []

    @event.listens_for(Engine, "before_cursor_execute")
    def started(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info.setdefault("started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def ended(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - conn.info["started"].pop()
        ours = [f for f in traceback.extract_stack() if "/arrears/" in f.filename]
        where = f"{ours[-1].filename.split('/arrears/')[1]}:{ours[-1].lineno}" if ours else "?"
        timed.append((seconds, where, " ".join(statement.split())[:100]))

    begun, cpu = time.perf_counter(), time.process_time()
    bench.night(options.accounts, None, bench.NEXT_NIGHT, "next")
    night, cpu = time.perf_counter() - begun, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"next night {night:.1f} s (CPU {cpu:.1f} s, peak RSS {peak:.2f} GiB, caches of ", end="")
    print(f"{orchestrator.NIGHT_CACHE_MIB} MiB{', no spill' if options.no_spill else ''})")
    print(f"SQL {sum(t[0] for t in timed):.1f} s in {len(timed)} statements")
    print((bench.folder_for(options.accounts, None) / "profile-next.txt").read_text(encoding="utf-8"))
    for seconds, where, statement in sorted(timed, reverse=True)[: options.top]:
        print(f"{seconds:7.2f} s  {where:36} {statement}")


if __name__ == "__main__":
    main()
