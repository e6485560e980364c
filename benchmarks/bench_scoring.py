"""Benchmark of nightly scoring: features in DuckDB, model, bands and reason codes, per second.

    .venv/bin/python benchmarks/bench_scoring.py --accounts 1000000
    .venv/bin/python benchmarks/bench_scoring.py --accounts 100000 --kinds scorecard

A synthetic book (every account delinquent) is built with numpy: monthly dues for a year,
payments, and the batch's snapshots at the seven 30-day points the features read. The
models are trained on a 50,000-account sample with a synthetic outcome (not timed). Timed,
per model kind: feature computation (DuckDB SQL over the staged tables), conversion to the
model's matrix, calibrated probability and score, bands, and the top-3 reason codes (the
per-feature contributions and their ranking), wall clock and CPU; then, separately, turning the reasons into
the JSON rows stored per account (a Python step, reported on its own).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arrears.scoring.features import OWN_FEATURES, compute_features, stage_portfolio
from arrears.scoring.frame import from_arrow
from arrears.scoring.model import learner_for, train
from arrears.scoring.reasons import reasons_for, top_indexes
from arrears.scoring.scale import Bands

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--kinds", default="scorecard,boosting")
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    accounts, installments, payments, snapshots, customers = book(args.accounts)
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    stage_portfolio(con, accounts, installments, payments, snapshots, customers)
    del accounts, installments, payments, snapshots, customers
    print(f"book of {args.accounts:,} accounts built and staged in {time.perf_counter() - started:.1f} s")

    sample = compute_features(con, AS_OF).slice(0, 50_000)
    table = from_arrow(sample, OWN_FEATURES)
    rng = np.random.default_rng(3)
    log_odds = 1.0 + 1.5 * np.nan_to_num(table.column("pay_ratio_6m")) - 0.4 * table.column("bucket_now")
    outcome = (rng.random(table.rows) < 1 / (1 + np.exp(-log_odds))).astype(np.int8)
    bands = Bands.parse("A:680,B:640,C:600,D:560,E:0")

    for kind in args.kinds.split(","):
        model = train(learner_for(kind, args.rounds), table, outcome)
        t0, cpu0 = time.perf_counter(), time.process_time()
        features = compute_features(con, AS_OF)
        t1 = time.perf_counter()
        frame = from_arrow(features, model.features, model.vocabularies)
        scored = model.score(frame)
        band = bands.assign(scored.score)
        t2 = time.perf_counter()
        contributions = model.contributions(frame)
        top_indexes(contributions, 3)
        t3, cpu3 = time.perf_counter(), time.process_time()
        chunk = frame.take(np.arange(min(frame.rows, 100_000)))
        records = reasons_for(chunk, contributions[: chunk.rows], model.features)
        [[r.to_dict() for r in row] for row in records]
        t4 = time.perf_counter()
        total = t3 - t0
        per_row_json = (t4 - t3) / chunk.rows
        names, counts = np.unique(band, return_counts=True)
        print(
            f"{kind:9s} {features.num_rows:,} accounts: features {t1 - t0:.2f} s, "
            f"score+bands {t2 - t1:.2f} s, reason codes {t3 - t2:.2f} s; "
            f"total {total:.2f} s = {features.num_rows / total:,.0f} accounts/s "
            f"(CPU {cpu3 - cpu0:.2f} s over all threads: other work on the machine shows as the gap); "
            f"bands {dict(zip(names.tolist(), counts.tolist(), strict=True))}; "
            f"reason JSON rows {1 / per_row_json:,.0f}/s (separately)"
        )


if __name__ == "__main__":
    main()
