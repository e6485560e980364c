"""The dashboard's roll cells of a night: counted from every account's window, or carried forward
from the previous night's cells (arrears.reports.totals), side by side on the same book.

    .venv/bin/python benchmarks/bench_roll_cells.py [--accounts 1000000] [--days 365] [--moved 0.03]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

Builds, straight in the database (a SQLite file, or a PostgreSQL schema of its own, dropped
afterwards), a book of ``--accounts`` accounts with a year of daily snapshot ranges: four in five
accounts current, changing state about once in the year, one in five delinquent, changing about
ten times (so some 3 ranges an account). The previous night's cells are counted; then the next
night moves ``--moved`` of the accounts (a payment, an installment falling due: their open range
closed, a new one opened) and a few to another product, and its cells are written both ways,
each in a transaction rolled back, best of ``--repeat``. Printed: the book, each way's seconds,
the ratio, and whether both wrote the same rows (they must).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, Engine, select, text

from arrears.db import make_engine
from arrears.db.arrow import insert_arrow
from arrears.db.migrate import upgrade
from arrears.reports import totals
from arrears.reports.models import RollDayCell

BUCKETS = ["C", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"]
PREVIOUS = date(2026, 11, 30)
NIGHT = PREVIOUS + timedelta(days=1)


def build(engine: Engine, accounts: int, days: int, seed: int) -> int:
    """Customers, accounts and their ranges over ``days`` snapshot dates ending ``PREVIOUS``."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:08d}" for i in range(accounts)])
    first = PREVIOUS - timedelta(days=days - 1)
    delinquent = rng.random(accounts) < 0.2
    changes = np.where(delinquent, rng.poisson(10, accounts), rng.poisson(1, accounts))
    # each account's first range from the first day, then a range from each distinct change day
    changed_owners = np.repeat(np.arange(accounts), changes)
    change_days = rng.integers(1, days, changed_owners.size)
    keys = np.unique(np.concatenate([np.arange(accounts) * days, changed_owners * days + change_days]))
    owners, starts = np.divmod(keys, days)
    last = np.append(owners[1:] != owners[:-1], True)
    ends = np.append(starts[1:], 0)  # the last range of each account is open (masked)
    day0 = np.datetime64(first)
    with engine.begin() as connection:
        customers = pa.table({"customer_id": ids, "name": ids})
        insert_arrow(connection, "customers", customers)
        insert_arrow(
            connection,
            "accounts",
            pa.table(
                {
                    "account_id": ids,
                    "customer_id": ids,
                    "product": np.where(np.arange(accounts) % 3 == 0, "card", "loan"),
                    "currency": np.full(accounts, "CNY"),
                    "opened_on": pa.array(np.full(accounts, day0 - 400), pa.date32()),
                    "status": np.full(accounts, "active"),
                }
            ),
        )
        bucket_ranks = rng.integers(0, len(BUCKETS), owners.size)
        insert_arrow(
            connection,
            "delinquency_ranges",
            pa.table(
                {
                    "account_id": ids[owners],
                    "valid_from": pa.array(day0 + starts, pa.date32()),
                    "valid_to": pa.array(day0 + ends, pa.date32(), mask=last),
                    "customer_id": ids[owners],
                    "currency": np.full(owners.size, "CNY"),
                    "status": np.full(owners.size, "active"),
                    "bucket": np.array(BUCKETS)[bucket_ranks],
                    "bucket_rank": bucket_ranks,
                    "overdue_amount": rng.integers(0, 100_000, owners.size),
                    "outstanding_amount": rng.integers(100_000, 5_000_000, owners.size),
                    "roll": np.full(owners.size, "same"),
                }
            ),
        )
        connection.execute(
            text("INSERT INTO snapshot_dates (as_of) VALUES (:day)"),
            [{"day": first + timedelta(days=d)} for d in range(days)],
        )
    return int(owners.size)


def move(engine: Engine, accounts: int, share: float, seed: int) -> pa.Table:
    """The next night's moved accounts: each open range closed and a new one opened; a few
    accounts to another product (noted as the importer notes them)."""
    rng = np.random.default_rng(seed + 1)
    chosen = np.sort(rng.choice(accounts, int(accounts * share), replace=False))
    ids = pa.array([f"A{i:08d}" for i in chosen])
    with engine.begin() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE bench_moved (account_id VARCHAR(64) PRIMARY KEY)"))
        insert_arrow(connection, "bench_moved", pa.table({"account_id": ids}))
        connection.execute(
            text(
                "INSERT INTO delinquency_ranges (account_id, valid_from, valid_to, customer_id, currency,"
                " status, bucket, bucket_rank, overdue_amount, outstanding_amount, roll)"
                " SELECT account_id, :night, NULL, customer_id, currency, status,"
                " CASE WHEN bucket = 'C' THEN 'M1' ELSE 'C' END, CASE WHEN bucket = 'C' THEN 1 ELSE 0 END,"
                " overdue_amount, outstanding_amount - 1000, 'forward' FROM delinquency_ranges"
                " WHERE valid_to IS NULL AND account_id IN (SELECT account_id FROM bench_moved)"
            ),
            {"night": NIGHT},
        )
        connection.execute(
            text(
                "UPDATE delinquency_ranges SET valid_to = :night"
                " WHERE valid_to IS NULL AND valid_from < :night"
                " AND account_id IN (SELECT account_id FROM bench_moved)"
            ),
            {"night": NIGHT},
        )
        movers = [f"A{i:08d}" for i in range(0, accounts, max(1, accounts // 100))]
        _note_movers(connection, movers)
        connection.execute(text("INSERT INTO snapshot_dates (as_of) VALUES (:night)"), {"night": NIGHT})
        totals._write_buckets(connection, NIGHT)
    return pa.table({"account_id": ids})


def _note_movers(connection: Connection, movers: list[str]) -> None:
    """As the importer notes them (arrears.portfolio.loading): the product they had, then the new."""
    connection.execute(text("CREATE TEMPORARY TABLE bench_movers (account_id VARCHAR(64) PRIMARY KEY)"))
    insert_arrow(connection, "bench_movers", pa.table({"account_id": movers}))
    chosen = "account_id IN (SELECT account_id FROM bench_movers)"
    connection.execute(
        text(
            "INSERT INTO account_product_changes (account_id, product_was)"
            f" SELECT account_id, product FROM accounts WHERE {chosen}"
        )
    )
    connection.execute(text(f"UPDATE accounts SET product = 'moved' WHERE {chosen}"))


def timed(engine: Engine, write: Any, repeat: int) -> tuple[float, list[Any]]:
    best, rows = float("inf"), []
    for _ in range(repeat):
        with engine.connect() as connection, connection.begin() as transaction:
            started = time.perf_counter()
            write(connection)
            best = min(best, time.perf_counter() - started)
            table = RollDayCell.__table__
            rows = list(
                connection.execute(select(table).where(table.c.as_of == NIGHT).order_by(*table.primary_key))
            )
            transaction.rollback()
    return best, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--moved", type=float, default=0.03, help="share of accounts moved on the night")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", help="a PostgreSQL URL (a schema of its own); default: a SQLite file")
    args = parser.parse_args()
    schema = f"bench_roll_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            with make_engine(args.postgres).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine = make_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
        else:
            engine = make_engine(f"sqlite:///{Path(folder) / 'roll.db'}")
        try:
            run(engine, args)
        finally:
            engine.dispose()
            if args.postgres:
                with make_engine(args.postgres).begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run(engine: Engine, args: argparse.Namespace) -> None:
    upgrade(engine)
    started = time.perf_counter()
    ranges = build(engine, args.accounts, args.days, args.seed)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    print(
        f"{engine.dialect.name}: {args.accounts:,} accounts, {ranges:,} ranges over {args.days} days;"
        f" built in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    with engine.begin() as connection:
        totals._write_roll(connection, PREVIOUS)
        totals._write_buckets(connection, PREVIOUS)  # a night carries its bucket totals with its cells
    print(f"the previous night's cells counted: {time.perf_counter() - started:.1f} s")
    moved = move(engine, args.accounts, args.moved, args.seed)
    print(f"the night: {moved.num_rows:,} accounts moved ({args.moved:.0%}), 1% to another product")
    counted_seconds, counted = timed(engine, lambda c: totals._write_roll(c, NIGHT), args.repeat)
    noted = None

    def carry(connection: Connection) -> None:
        assert totals._carry_roll(connection, NIGHT, moved, PREVIOUS, noted)

    with engine.connect() as connection:
        noted = connection.execute(text("SELECT MAX(id) FROM account_product_changes")).scalar_one()
    carried_seconds, carried = timed(engine, carry, args.repeat)
    print(f"  counted from every account's window (peer): {counted_seconds:6.2f} s  {len(counted):,} cells")
    print(f"  carried from the previous night's cells:    {carried_seconds:6.2f} s  {len(carried):,} cells")
    print(f"  carried / counted: {carried_seconds / counted_seconds:.2f}; same rows: {carried == counted}")


if __name__ == "__main__":
    main()
