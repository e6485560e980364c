"""A generated book for comparing feature engines: irregular histories, two currencies, reversals.

Snapshots are taken every 10 days with a fifth of them missing at random, so that "the latest
snapshot of each 30-day period" is often not the period's last day; some accounts have no
credit limit, some customers no birth date, some payments are reversed later.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

AS_OF = date(2026, 3, 31)
PRODUCTS = np.array(["credit_card", "personal_loan", "auto_loan"])


def _days(start: date, offsets: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    return np.datetime64(start) + offsets.astype("timedelta64[D]")


def generated_book(accounts: int, seed: int = 5) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    ids = np.char.add("A", np.arange(accounts).astype(str))
    customers = np.char.add("C", (np.arange(accounts) // 2).astype(str))
    currency = np.where(rng.random(accounts) < 0.8, "CNY", "JPY")
    due = rng.integers(5_000, 80_000, accounts)
    limit = np.where(rng.random(accounts) < 0.6, due * 15, -1)
    account_table = pa.table(
        {
            "account_id": ids,
            "customer_id": customers,
            "product": PRODUCTS[rng.integers(0, 3, accounts)],
            "currency": currency,
            "opened_on": _days(date(2019, 1, 1), rng.integers(0, 2500, accounts)),
            "credit_limit": pa.array(np.where(limit > 0, limit, 0), mask=limit < 0),
        }
    )
    distinct_customers = np.unique(customers)
    born = _days(date(1955, 1, 1), rng.integers(0, 16000, distinct_customers.size))
    customer_table = pa.table(
        {
            "customer_id": distinct_customers,
            "birth_date": pa.array(born, mask=rng.random(distinct_customers.size) < 0.1),
        }
    )
    months = 14
    due_dates = _days(date(2025, 2, 3), np.arange(months) * 30)
    installments = pa.table(
        {
            "account_id": np.repeat(ids, months),
            "seq": np.tile(np.arange(1, months + 1), accounts),
            "due_date": np.tile(due_dates, accounts),
            "amount_due": np.repeat(due, months),
        }
    )
    paid = rng.random((accounts, months)) < rng.beta(2, 2, accounts)[:, None]
    rows, cols = np.nonzero(paid)
    payment_ids = np.char.add("P", np.arange(rows.size).astype(str))
    paid_on = due_dates[cols] + rng.integers(-3, 40, rows.size).astype("timedelta64[D]")
    reversed_ = np.flatnonzero(rng.random(rows.size) < 0.05)
    payments = pa.table(
        {
            "payment_id": np.concatenate([payment_ids, np.char.add("R", reversed_.astype(str))]),
            "account_id": np.concatenate([ids[rows], ids[rows[reversed_]]]),
            "paid_on": np.concatenate([paid_on, paid_on[reversed_] + np.timedelta64(9, "D")]),
            "amount": np.concatenate(
                [
                    (due[rows] * rng.uniform(0.2, 1.3, rows.size)).astype(np.int64) + 1,
                    np.ones(reversed_.size, int),
                ]
            ),
            "reverses": pa.array([None] * rows.size + payment_ids[reversed_].tolist(), pa.string()),
        }
    )
    dates = [AS_OF + timedelta(days=60) - timedelta(days=10 * k) for k in range(28)]
    snapshot_rows = accounts * len(dates)
    dpd = np.clip(rng.integers(-90, 200, snapshot_rows), 0, None)
    keep = rng.random(snapshot_rows) < 0.8
    keep[np.arange(accounts) * len(dates) + 6] = True  # everyone has a snapshot at AS_OF
    snapshots = pa.table(
        {
            "as_of": np.tile(np.array(dates, dtype="datetime64[D]"), accounts),
            "account_id": np.repeat(ids, len(dates)),
            "dpd": dpd.astype(np.int32),
            "bucket_rank": np.minimum((dpd + 29) // 30, 7).astype(np.int32),
            "outstanding_amount": rng.integers(-1_000, 900_000, snapshot_rows),
        }
    ).filter(pa.array(keep))
    return {
        "accounts": account_table,
        "installments": installments,
        "payments": payments,
        "snapshots": snapshots,
        "customers": customer_table,
    }
