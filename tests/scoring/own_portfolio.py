"""A small portfolio with its delinquency snapshots, for point-in-time feature tests."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.portfolio.frames import PortfolioFrames
from arrears.scoring.features import stage_portfolio

AS_OF = date(2026, 3, 31)
MONTHS = [date(2025, m, 5) for m in range(4, 13)] + [date(2026, m, 5) for m in range(1, 7)]

ACCOUNTS = pa.table(
    {
        "account_id": ["A1", "A2", "A3"],
        "customer_id": ["C1", "C2", "C2"],
        "product": ["credit_card", "personal_loan", "credit_card"],
        "currency": ["CNY", "CNY", "CNY"],
        "status": ["active"] * 3,
        "opened_on": [date(2024, 1, 15), date(2025, 3, 1), date(2025, 3, 20)],
        "credit_limit": [2_000_000, None, 500_000],
    }
)
CUSTOMERS = pa.table({"customer_id": ["C1", "C2"], "birth_date": [date(1990, 5, 1), date(1980, 1, 1)]})


def _installments(accounts: list[tuple[str, int]]) -> pa.Table:
    rows = [(a, seq, due, amount) for a, amount in accounts for seq, due in enumerate(MONTHS, start=1)]
    return pa.table(
        {
            "account_id": [r[0] for r in rows],
            "seq": [r[1] for r in rows],
            "due_date": [r[2] for r in rows],
            "amount_due": [r[3] for r in rows],
        }
    )


def _payments(rows: list[tuple[str, str, date, int, str | None]]) -> pa.Table:
    return pa.table(
        {
            "payment_id": [r[0] for r in rows],
            "account_id": [r[1] for r in rows],
            "paid_on": [r[2] for r in rows],
            "amount": [r[3] for r in rows],
            "reverses": pa.array([r[4] for r in rows], pa.string()),
        }
    )


# A1 paid every month on time until December, then stopped; A2 paid until a reversal in
# January; A3 pays part of each due, late.
BEFORE = [
    *[(f"P1-{i}", "A1", d, 100_000, None) for i, d in enumerate(MONTHS[:9])],
    *[(f"P2-{i}", "A2", d + timedelta(days=2), 60_000, None) for i, d in enumerate(MONTHS[:10])],
    ("R2", "A2", date(2026, 1, 20), 60_000, "P2-9"),
    *[(f"P3-{i}", "A3", d + timedelta(days=20), 20_000, None) for i, d in enumerate(MONTHS[:12])],
]
LATER = [
    ("P1-late", "A1", date(2026, 4, 2), 400_000, None),
    ("R1", "A1", date(2026, 4, 3), 100_000, "P1-8"),  # reverses a payment made before the as-of date
    ("P3-late", "A3", date(2026, 4, 25), 20_000, None),
]


def portfolio(with_later_events: bool) -> tuple[pa.Table, pa.Table, pa.Table]:
    installments = _installments([("A1", 100_000), ("A2", 60_000), ("A3", 40_000)])
    if not with_later_events:
        installments = installments.filter(pc.less_equal(installments["due_date"], AS_OF))
    payments = _payments(BEFORE + (LATER if with_later_events else []))
    return ACCOUNTS, installments, payments


def snapshots(
    accounts: pa.Table, installments: pa.Table, payments: pa.Table, first: date, last: date
) -> pa.Table:
    """The batch's own snapshots every 10 days from ``first`` to ``last``."""
    engine = DuckDBEngine(threads=1)
    engine.load(PortfolioFrames.of(accounts, installments, payments))
    rules = DelinquencyRules()
    day, previous, tables = first, None, []
    while day <= last:
        snapshot = engine.snapshot(day, rules, previous)
        tables.append(snapshot)
        previous = snapshot.select(["account_id", "bucket"])
        day += timedelta(days=10)
    engine.close()
    return pa.concat_tables(tables)


def staged(with_later_events: bool) -> duckdb.DuckDBPyConnection:
    """The portfolio as the batch knew it on the as-of date, or also with what came after.

    Snapshots up to the as-of date are history written on their day; later nights add
    snapshots after it, computed from the portfolio with the later events.
    """
    accounts, installments, payments = portfolio(False)
    history = snapshots(accounts, installments, payments, AS_OF - timedelta(days=210), AS_OF)
    if with_later_events:
        accounts, installments, payments = portfolio(True)
        later = snapshots(
            accounts, installments, payments, AS_OF + timedelta(days=10), AS_OF + timedelta(days=60)
        )
        history = pa.concat_tables([history, later])
    con = duckdb.connect()
    stage_portfolio(con, accounts, installments, payments, history, CUSTOMERS)
    return con
