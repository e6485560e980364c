"""Benchmark of the strategy simulator: champion and challenger over N customers for D days.

    .venv/bin/python benchmarks/bench_simulation.py                     # 1M customers, 180 days
    .venv/bin/python benchmarks/bench_simulation.py --customers 100000 --days 60

The champion is the example strategy (examples/strategies/cn-cards.yaml); the challenger the same
with its M1 customers likely to pay called first (examples/strategies/cn-cards-call-first.yaml).
Both run side by side, a process each (``arrears.strategy.simulation.pair``), every night through
the strategy evaluation on DuckDB and the batch gate, as ``arrears sim strategy`` runs them.

Printed: the wall time of the pair (the aim: 1M customers over 180 days in under 10 minutes),
customer-days a second, the peak RSS of the two processes, where each run's time went, and the
floor measured in the same run: DuckDB reading the first night's facts once per night (the least
any evaluation in an engine costs), beside the evaluation's own time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arrears.config import Settings  # noqa: E402
from arrears.strategy.repository import parse_document  # noqa: E402
from arrears.strategy.simulation.pair import Plan, bank_for, simulate_pair  # noqa: E402
from arrears.strategy.simulation.population import draw_population  # noqa: E402
from arrears.strategy.simulation.report import rows  # noqa: E402
from arrears.strategy.simulation.run import first_night_facts  # noqa: E402

START = date(2026, 11, 21)
EXAMPLE = ROOT / "examples" / "strategies" / "cn-cards.yaml"
CHALLENGER = EXAMPLE.with_name("cn-cards-call-first.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    champion = parse_document(EXAMPLE.read_text("utf-8"), "champion")
    challenger = parse_document(CHALLENGER.read_text("utf-8"), "challenger")
    bank = bank_for(Settings())
    plan = Plan(
        (champion, challenger),
        (champion.strategy, challenger.strategy),
        args.customers,
        args.days,
        args.seed,
        START,
        bank,
    )
    print(f"{args.customers:,} customers, {args.days} days, seed {args.seed}: ", end="")
    print(f"{champion.strategy} against {challenger.strategy}")
    started = time.perf_counter()
    last = [0.0]

    def progress(role: str, done: int) -> None:
        now = time.perf_counter() - started
        if role == "champion" and (done % 30 == 0 or done == args.days) and now > last[0]:
            last[0] = now
            print(f"  day {done:>4}: {now:7.1f} s", flush=True)

    comparison = simulate_pair(plan, progress)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    customer_days = 2 * args.customers * args.days
    print(f"\npair, side by side: {wall:,.1f} s ({customer_days / wall:,.0f} customer-days/s;", end=" ")
    print(f"peak RSS {peak:.2f} GiB a process)")
    for role, seconds in zip(("champion", "challenger"), comparison.seconds, strict=True):
        laps = ", ".join(
            f"{name} {value:,.1f} s" for name, value in sorted(seconds.items(), key=lambda kv: -kv[1])
        )
        print(f"  {role:<10} {sum(seconds.values()):7.1f} s: {laps}")
    floor = _floor(plan)
    print(f"floor: DuckDB reading the first night's facts once a night, {args.days} nights: {floor:,.1f} s")
    print()
    for row in rows(comparison, "en"):
        print("  " + " | ".join(row))


def _floor(plan: Plan) -> float:
    people = draw_population(plan.customers, plan.seed, plan.start)
    facts = first_night_facts(plan.documents[0], people, plan.start, plan.bank)
    connection = duckdb.connect()
    connection.register("case_facts", facts)
    started = time.perf_counter()
    for _ in range(plan.days):
        connection.sql(
            "SELECT count(*), sum(overdue), max(dpd), count(DISTINCT bucket) FROM case_facts"
        ).fetchall()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
