"""Benchmark of the champion/challenger machinery: arm assignment and the bootstrap of amounts.

    .venv/bin/python benchmarks/bench_experiments.py                       # 1M customers; 2k-30k accounts
    .venv/bin/python benchmarks/bench_experiments.py --customers 5000000 --accounts 10000

Arm assignment of N customer ids three ways: ``assign_many`` (Python's MD5 per id, NumPy for the
arms), the same ids through ``assignment_sql`` in DuckDB, and ``assign`` one id at a time (on a
100,000-id slice, scaled). Then ``bootstrap_mean_difference`` (BCa, 9,999 resamples) on two arms
of skewed amounts of each size. Wall and CPU seconds: the wall time depends on what else the
machine runs, the CPU seconds much less so.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from arrears.strategy.arms import Arm, assign, assign_many, assignment_sql  # noqa: E402
from arrears.strategy.statistics import bootstrap_mean_difference  # noqa: E402

ARMS = [Arm("holdout", 10, control=True), Arm("champion", 45), Arm("challenger", 45)]


def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def arms(customers: int) -> None:
    ids = [f"C{number:010d}" for number in range(customers)]
    wall, cpu, python = timed(lambda: assign_many("bench-2027", ids, ARMS))
    print(f"assign_many      {customers:>10,} ids {wall:7.2f} s wall {cpu:7.2f} s CPU")
    con = duckdb.connect()
    con.register("customers", pa.table({"customer_id": ids}))
    query = f"SELECT {assignment_sql('bench-2027', ARMS)} AS arm FROM customers"
    wall, cpu, in_duckdb = timed(lambda: con.sql(query).to_arrow_table())
    print(f"DuckDB SQL       {customers:>10,} ids {wall:7.2f} s wall {cpu:7.2f} s CPU (all threads)")
    assert in_duckdb.column("arm").to_pylist() == python.cast(pa.string()).to_pylist()
    sample = ids[:100_000]
    wall, cpu, _ = timed(lambda: [assign("bench-2027", customer, ARMS) for customer in sample])
    scale = customers / len(sample)
    print(
        f"assign, one by one {customers:>8,} ids {wall * scale:7.2f} s wall {cpu * scale:7.2f} s CPU (scaled)"
    )


def bootstrap(accounts: int) -> None:
    rng = np.random.default_rng(1)

    def amounts(mean_payment: float) -> list[int]:
        pays = rng.random(accounts) < 0.3
        return (pays * rng.lognormal(math.log(mean_payment), 1.0, accounts)).astype(np.int64).tolist()

    challenger, control = amounts(52_000), amounts(45_000)
    wall, cpu, result = timed(lambda: bootstrap_mean_difference(challenger, control))
    print(
        f"bootstrap BCa    {accounts:>10,} per arm {wall:7.2f} s wall {cpu:7.2f} s CPU "
        f"(difference {result.difference} [{result.lower}, {result.upper}] fen)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--accounts", type=int, nargs="*", default=[2_000, 10_000, 30_000])
    options = parser.parse_args()
    for customers in options.customers:
        arms(customers)
    for accounts in options.accounts:
        bootstrap(accounts)


if __name__ == "__main__":
    main()
