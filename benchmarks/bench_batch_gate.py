"""Benchmark of the contact gate over a night's planned actions: one batch against one call per action.

    .venv/bin/python benchmarks/bench_batch_gate.py --actions 100000
    .venv/bin/python benchmarks/bench_batch_gate.py --actions 1000000 --pack us-regf --sample 5000

The night comes from tests/compliance/nightly_book.py (seeded numpy, built before timing): two
actions per customer, an SMS at 10:00 local and a call at an hour of the working day (5% at 21:30,
in the quiet hours); customers in the pack's 2–3 zones (us-regf: New York, Chicago, Los Angeles;
cn: Shanghai, Urumqi), contacts in the last week (a Poisson mean of 1.5 calls and 0.5 texts each),
holds on 7% (30% of them lifted), SMS opt-outs on 4%, numbers marked do-not-contact on 2%, and
callbacks asked by ``--special`` of the customers (their actions go to the scalar gate).

Timed, median of ``--runs``, wall clock and CPU: ``decide_batch`` over every action (the
columnar rows and the scalar gate's, together), in actions per second; separately, the whole
``Decision`` with its reasons' wording for every blocked action (what the nightly keeps).
Peer, measured in the same run on the same facts: ``decide()`` one call per action on a random
sample of ``--sample`` actions (each customer's ``Facts`` built beforehand, not timed); its time
per call is extrapolated to all the actions, and said so. The sample's answers are compared with
the batch's (verdict, rule ids, next_allowed_at). The load average is printed: other work on the
machine shows as wall time above CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arrears.compliance.batch import BatchDecisions, decide_batch
from arrears.compliance.decision import Verdict
from arrears.compliance.facts import ContactRequest
from arrears.compliance.gate import decide
from arrears.compliance.packs import Pack, load_pack
from tests.compliance.nightly_book import Night, night


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def timed_batch(planned: Night, pack: Pack, runs: int) -> tuple[BatchDecisions, float, float]:
    walls, cpus = [], []
    decided = None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        decided = decide_batch(planned.requests, planned.facts, pack)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert decided is not None
    return decided, statistics.median(walls), statistics.median(cpus)


def timed_reasons(decided: BatchDecisions) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    blocked = sum(1 for _ in decided.decisions(Verdict.BLOCK))
    return blocked, time.perf_counter() - wall, time.process_time() - cpu


def scalar_peer(planned: Night, pack: Pack, decided: BatchDecisions, sample: int) -> tuple[int, float, int]:
    """decide() per action on a random sample: (actions, seconds, answers that differ)."""
    rng = np.random.default_rng(3)
    chosen = np.sort(
        rng.choice(planned.requests.num_rows, min(sample, planned.requests.num_rows), replace=False)
    )
    rows = planned.requests.take(chosen).to_pylist()
    facts = planned.facts.subset(r["customer_id"] for r in rows).facts_by_customer()
    asked = [
        (
            ContactRequest(at=r["at"], channel=r["channel"], to=r["to"], purpose=r["purpose"]),
            facts[r["customer_id"]],
        )
        for r in rows
    ]
    wall = time.perf_counter()
    answers = [decide(request, one, pack) for request, one in asked]
    seconds = time.perf_counter() - wall
    batch = decided.table.take(chosen).to_pylist()
    differ = sum(
        1
        for a, b in zip(answers, batch, strict=True)
        if (a.verdict.value, list(a.rule_ids), a.next_allowed_at)
        != (b["verdict"], b["rule_ids"], b["next_allowed_at"])
    )
    return len(asked), seconds, differ


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--pack", default="us-regf", choices=["us-regf", "cn", "uk-fca"])
    parser.add_argument("--special", type=float, default=0.005, help="share of customers with a callback")
    parser.add_argument("--sample", type=int, default=5000, help="actions put to decide() one by one")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pack = load_pack(args.pack)
    print(f"{os.cpu_count()} CPUs; {load()}")
    planned = night(args.actions, args.pack, special=args.special)
    n = planned.requests.num_rows
    print(
        f"{n:,} actions of {planned.facts.customers.num_rows:,} customers, {planned.facts.events.num_rows:,} "
        f"events, pack {args.pack}; {planned.special_customers:,} customers asked for a callback"
    )
    decided, wall, cpu = timed_batch(planned, pack, args.runs)
    verdicts = decided.table.group_by("verdict").aggregate([("row", "count")]).to_pylist()
    print(
        f"decide_batch      {wall:8.2f} s wall {cpu:8.2f} s CPU {n / wall:>12,.0f} actions/s "
        f"(median of {args.runs})"
    )
    print(
        f"  columnar {decided.columnar_rows:,}, handed to the scalar gate {decided.scalar_rows:,}; "
        + ", ".join(f"{v['verdict']} {v['row_count']:,}" for v in sorted(verdicts, key=str))
    )
    blocked, reasons_wall, reasons_cpu = timed_reasons(decided)
    print(
        f"reasons of the {blocked:,} blocked {reasons_wall:6.2f} s wall {reasons_cpu:8.2f} s CPU "
        f"{blocked / max(reasons_wall, 1e-9):>12,.0f} decisions/s"
    )
    asked, seconds, differ = scalar_peer(planned, pack, decided, args.sample)
    per_call = seconds / asked
    print(
        f"decide() per call {per_call * 1e6:8.1f} us on a sample of {asked:,} "
        f"{1 / per_call:>12,.0f} actions/s"
    )
    print(
        f"  extrapolated to {n:,} actions: {per_call * n:8.1f} s, {per_call * n / wall:.0f}x the batch's time"
    )
    print(f"  sample answers that differ from the batch's: {differ}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS {peak:.2f} GiB (the night's tables, the batch and the sample's facts); {load()}")


if __name__ == "__main__":
    main()
