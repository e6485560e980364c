"""Where the next night's SQL time goes: every statement of the night timed, on a fresh copy of
the state ``bench_nightly.py --keep-after-feed`` kept (SQLite), in this process.

    ARREARS_BENCH_DATA=/work/bench10m .venv/bin/python benchmarks/night_statements.py --accounts 10000000

Prints the night's laps, then the slowest statements with the line of Arrears that ran each
(the hooks add a few microseconds a statement; a night runs some 500).
"""

from __future__ import annotations

import argparse
import time
import traceback
from typing import Any

import bench_nightly as bench
from sqlalchemy import event
from sqlalchemy.engine import Engine


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--top", type=int, default=40, help="statements to print")
    options = parser.parse_args()
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

    begun = time.perf_counter()
    bench.night(options.accounts, None, bench.NEXT_NIGHT, "next")
    night = time.perf_counter() - begun
    print(f"next night {night:.1f} s; SQL {sum(t[0] for t in timed):.1f} s in {len(timed)} statements")
    print((bench.folder_for(options.accounts, None) / "profile-next.txt").read_text(encoding="utf-8"))
    for seconds, where, statement in sorted(timed, reverse=True)[: options.top]:
        print(f"{seconds:7.2f} s  {where:36} {statement}")


if __name__ == "__main__":
    main()
