"""Benchmark of nightly scoring: features in DuckDB, model, bands and reason codes, per second.

    .venv/bin/python benchmarks/bench_scoring.py --accounts 1000000
    .venv/bin/python benchmarks/bench_scoring.py --accounts 100000 --kinds scorecard

A synthetic book (every account delinquent) is built with numpy: monthly dues for a year,
payments, and the batch's snapshots at the seven 30-day points the features read. Staging
(the Arrow tables into DuckDB, integer account keys) is timed on its own: the batch stages
once per run, then scores date after date. The models are trained on a 50,000-account
sample with a synthetic outcome (not timed).

Timed per model kind, wall clock and CPU (all threads), with accounts/s per stage: the
feature query (DuckDB SQL to Arrow), the feature matrix, the model with calibration and
score, the bands, and the top-3 reason codes.
- scorecard: every stage for every account; its reason codes are the points each feature
  fell short of its best attribute, exact and computed with the score.
- boosting: score and bands for every account; TreeSHAP reason codes (LightGBM
  ``pred_contrib``) only for ``--shown`` accounts, the ones a day's work queues show, timed
  and reported on their own line, never folded into the whole-book rate.
Peer, measured in the same run on the same staged tables: DuckDB's plainest per-account
aggregate of the three tables the features read (one SUM per table, no feature logic),
the floor any feature query pays. Turning reasons into the JSON rows stored per account is
a Python step, reported separately. The load average is printed: other work on the
machine shows as wall time above CPU time / threads.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arrears.scoring.features import OWN_FEATURES, compute_features, stage_portfolio
from arrears.scoring.frame import FeatureTable, from_arrow
from arrears.scoring.reasons import reasons_for, top_indexes
from arrears.scoring.scale import Bands
from arrears.scoring.trained_model import TrainedModel, learner_for, train

AS_OF = date(2026, 11, 21)
PRODUCTS = np.array(["credit_card", "personal_loan", "auto_loan"])


def book(accounts: int, seed: int = 11) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    ids = np.char.add("A", np.arange(accounts).astype(str))
    due = rng.integers(50_00, 500_00, accounts)
    limit = np.where(rng.random(accounts) < 0.6, due * 20, -1)
    opened = np.datetime64("2020-01-01") + rng.integers(0, 1800, accounts).astype("timedelta64[D]")
    accounts_table = pa.table(
        {
            "account_id": ids,
            "customer_id": ids,
            "product": PRODUCTS[rng.integers(0, 3, accounts)],
            "currency": np.full(accounts, "CNY"),
            "opened_on": opened,
            "credit_limit": pa.array(np.where(limit > 0, limit, 0), mask=limit < 0),
        }
    )
    customers = pa.table(
        {
            "customer_id": ids,
            "birth_date": np.datetime64("1960-01-01")
            + rng.integers(0, 15000, accounts).astype("timedelta64[D]"),
        }
    )
    months = 12
    due_dates = np.array([np.datetime64(AS_OF) - np.timedelta64(30 * k + 5, "D") for k in range(months)])
    installments = pa.table(
        {
            "account_id": np.repeat(ids, months),
            "seq": np.tile(np.arange(months), accounts),
            "due_date": np.tile(due_dates, accounts),
            "amount_due": np.repeat(due, months),
        }
    )
    paid_months = rng.random((accounts, months)) < rng.beta(2, 2, accounts)[:, None]
    rows, cols = np.nonzero(paid_months)
    payments = pa.table(
        {
            "payment_id": np.char.add("P", np.arange(rows.size).astype(str)),
            "account_id": ids[rows],
            "paid_on": due_dates[cols] + rng.integers(0, 20, rows.size).astype("timedelta64[D]"),
            "amount": (due[rows] * rng.uniform(0.3, 1.2, rows.size)).astype(np.int64) + 1,
            "reverses": pa.nulls(rows.size, pa.string()),
        }
    )
    points = 7
    dpd = np.clip(rng.integers(-60, 200, (accounts, points)), 1, None)
    dpd[:, 1:] = np.where(rng.random((accounts, points - 1)) < 0.3, 0, dpd[:, 1:])
    snapshots = pa.table(
        {
            "as_of": np.tile(
                [np.datetime64(AS_OF - timedelta(days=30 * k)) for k in range(points)], accounts
            ),
            "account_id": np.repeat(ids, points),
            "dpd": dpd.ravel().astype(np.int32),
            "bucket_rank": np.minimum((dpd.ravel() + 29) // 30, 7).astype(np.int32),
            "outstanding_amount": np.repeat(due * 6, points),
        }
    )
    return accounts_table, installments, payments, snapshots, customers


PEER_SQL = """
WITH p AS (SELECT account_key FROM snapshots WHERE as_of = {as_of} AND dpd > 0),
s AS (SELECT account_key, SUM(dpd) AS v FROM snapshots GROUP BY account_key),
d AS (SELECT account_key, SUM(amount_due) AS v FROM dues GROUP BY account_key),
l AS (SELECT account_key, SUM(signed_amount) AS v FROM ledger GROUP BY account_key)
SELECT p.account_key, s.v, d.v, l.v FROM p
LEFT JOIN s USING (account_key) LEFT JOIN d USING (account_key) LEFT JOIN l USING (account_key)
"""


class Stopwatch:
    """Wall and CPU time of consecutive stages."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float, float]] = []
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.stages.append((name, wall - self._wall, cpu - self._cpu))
        self._wall, self._cpu = wall, cpu

    def report(self, label: str, rows: int) -> None:
        wall = sum(w for _, w, _ in self.stages)
        cpu = sum(c for _, _, c in self.stages)
        print(
            f"{label}: {rows:,} accounts, {wall:.2f} s wall = {rows / wall:,.0f} accounts/s "
            f"(CPU {cpu:.2f} s = {rows / cpu:,.0f} accounts/CPU-s)"
        )
        for name, w, c in self.stages:
            print(f"  {name:22s} {w:6.2f} s wall {c:6.2f} s CPU {rows / w:>12,.0f} accounts/s")


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--kinds", default="scorecard,boosting")
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--shown", type=int, default=20_000, help="accounts given TreeSHAP reasons")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, DuckDB threads {args.threads}; {load()}")

    accounts, installments, payments, snapshots, customers = book(args.accounts)
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    watch = Stopwatch()
    stage_portfolio(con, accounts, installments, payments, snapshots, customers)
    watch.lap("staging")
    del accounts, installments, payments, snapshots, customers
    watch.report("staging (once per batch run, not in the rates below)", args.accounts)

    sample = compute_features(con, AS_OF).slice(0, 50_000)
    table = from_arrow(sample, OWN_FEATURES)
    rng = np.random.default_rng(3)
    log_odds = 1.0 + 1.5 * np.nan_to_num(table.column("pay_ratio_6m")) - 0.4 * table.column("bucket_now")
    outcome = (rng.random(table.rows) < 1 / (1 + np.exp(-log_odds))).astype(np.int8)
    bands = Bands.parse("A:680,B:640,C:600,D:560,E:0")

    watch = Stopwatch()
    peer = con.sql(PEER_SQL.format(as_of=f"DATE '{AS_OF.isoformat()}'")).to_arrow_table()
    watch.lap("one SUM per table")
    watch.report("peer, DuckDB floor", peer.num_rows)

    for kind in args.kinds.split(","):
        model = train(learner_for(kind, args.rounds), table, outcome)
        if kind == "scorecard":
            whole_book_scorecard(con, model, bands)
        else:
            whole_book_boosting(con, model, bands, args.shown)
    print(load())


def whole_book_scorecard(con: duckdb.DuckDBPyConnection, model: TrainedModel, bands: Bands) -> None:
    watch = Stopwatch()
    features = compute_features(con, AS_OF)
    watch.lap("features (DuckDB)")
    frame = from_arrow(features, model.features, model.vocabularies)
    watch.lap("feature matrix")
    scored, contributions = model.explain(frame)
    watch.lap("score + contributions")
    band = bands.assign(scored.score)
    watch.lap("bands")
    top_indexes(contributions, 3)
    watch.lap("top-3 reason codes")
    watch.report("scorecard, everything for every account", frame.rows)
    print(f"  bands {count_bands(band)}")
    reason_rows(frame, contributions, model)


def whole_book_boosting(
    con: duckdb.DuckDBPyConnection, model: TrainedModel, bands: Bands, shown: int
) -> None:
    watch = Stopwatch()
    features = compute_features(con, AS_OF)
    watch.lap("features (DuckDB)")
    frame = from_arrow(features, model.features, model.vocabularies)
    watch.lap("feature matrix")
    scored = model.score(frame)
    watch.lap("score (LightGBM)")
    band = bands.assign(scored.score)
    watch.lap("bands")
    watch.report("boosting, score and bands for every account, no reason codes", frame.rows)
    print(f"  bands {count_bands(band)}")
    chunk = frame.take(np.arange(min(shown, frame.rows)))
    watch = Stopwatch()
    _, contributions = model.explain(chunk)
    watch.lap("TreeSHAP + score")
    top_indexes(contributions, 3)
    watch.lap("top-3 reason codes")
    watch.report("boosting, reason codes for the shown accounts only", chunk.rows)
    reason_rows(chunk, contributions, model)


def count_bands(band: np.ndarray) -> dict[str, int]:  # type: ignore[type-arg]
    names, counts = np.unique(band, return_counts=True)
    return dict(zip(names.tolist(), counts.tolist(), strict=True))


def reason_rows(frame: FeatureTable, contributions: np.ndarray, model: TrainedModel) -> None:  # type: ignore[type-arg]
    chunk = frame.take(np.arange(min(frame.rows, 100_000)))
    started = time.perf_counter()
    records = reasons_for(chunk, contributions[: chunk.rows], model.features)
    [[r.to_dict() for r in row] for row in records]
    rate = chunk.rows / (time.perf_counter() - started)
    print(f"  reason JSON rows (Python, separately): {rate:,.0f}/s")


if __name__ == "__main__":
    main()
