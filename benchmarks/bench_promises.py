"""The nightly evaluation of promises to pay at scale: N open promises (and as many closed ones in
their history), measured on SQLite (and on PostgreSQL with --postgres URL).

    python benchmarks/bench_promises.py --promises 300000
    python benchmarks/bench_promises.py --promises 300000 --postgres postgresql://postgres@127.0.0.1/test

The book: one customer, account, open case per open promise (CNY, or JPY for one in ten), 1 to 3
installments each, 0 to 3 payments per account from before the promise to the night (one in a
hundred reversed), and a closed promise per case in the history. Three laps of
:func:`arrears.arrangements.promise_batch.evaluate`, each in its own transaction like the night's
step: the first night (most promises change: paid, kept or broken), its rerun (nothing changes),
and the next night after a day's payments on 3% of the accounts.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import DATA  # noqa: E402

TAKEN = date(2026, 11, 15)
FIRST_NIGHT = date(2026, 11, 21)
NEXT_NIGHT = FIRST_NIGHT + timedelta(days=1)

BOOK_SQL = {
    "customers": "SELECT 'P' || i AS customer_id, 'P' || i AS name FROM range({n}) t(i)",
    "accounts": """
        SELECT 'A' || i AS account_id, 'P' || i AS customer_id, 'personal_loan' AS product,
               CASE WHEN i % 10 = 0 THEN 'JPY' ELSE 'CNY' END AS currency, DATE '2025-01-01' AS opened_on,
               'active' AS status
        FROM range({n}) t(i)""",
    "cases": """
        SELECT 'C-P' || i || '-20261101' AS case_id, 'P' || i AS customer_id, 'open' AS status,
               DATE '2026-11-01' AS opened_on, 40 AS worst_dpd, 'M2' AS bucket, 100000 AS overdue_total,
               CASE WHEN i % 10 = 0 THEN 'JPY' ELSE 'CNY' END AS currency, 1 AS account_count,
               0 AS broken_promises, DATE '2026-11-20' AS updated_on
        FROM range({n}) t(i)""",
    "case_accounts": """
        SELECT 'C-P' || i || '-20261101' AS case_id, 'A' || i AS account_id, DATE '2026-11-01' AS joined_on,
               true AS delinquent, 40 AS dpd, 'M2' AS bucket, 100000 AS overdue_amount,
               CASE WHEN i % 10 = 0 THEN 'JPY' ELSE 'CNY' END AS currency, 'active' AS account_status
        FROM range({n}) t(i)""",
    # ids 1..n: the history (closed), n+1..2n: the open promises
    "promises": """
        SELECT CAST(k * {n} + i + 1 AS INTEGER) AS id, 'C-P' || i || '-20261101' AS case_id,
               CASE WHEN i % 10 = 0 THEN 'JPY' ELSE 'CNY' END AS currency,
               CAST(30000 * (1 + i % 3) AS BIGINT) AS amount, CAST(0 AS BIGINT) AS paid_amount,
               CASE WHEN k = 0 THEN 'broken' ELSE 'open' END AS status,
               TIMESTAMPTZ '2026-11-15 02:00:00+00' AS taken_at,
               DATE '{taken}' - CAST(30 * (1 - k) AS INTEGER) AS taken_on,
               DATE '{taken}' - CAST(30 * (1 - k) AS INTEGER) + CAST(2 + i % 7 AS INTEGER) AS first_due_on,
               DATE '{taken}' - CAST(30 * (1 - k) AS INTEGER) + CAST(2 + i % 7 + 7 * (i % 3) AS INTEGER)
                   AS last_due_on,
               1 AS version
        FROM range({n}) t(i), range(2) s(k)""",
    "promise_installments": """
        SELECT CAST(k * {n} + i + 1 AS INTEGER) AS promise_id, CAST(j + 1 AS INTEGER) AS seq,
               DATE '{taken}' - CAST(30 * (1 - k) AS INTEGER) + CAST(2 + i % 7 + 7 * j AS INTEGER) AS due_on,
               CAST(30000 AS BIGINT) AS amount, CAST(0 AS BIGINT) AS paid_amount,
               CASE WHEN k = 0 THEN 'broken' ELSE 'open' END AS status
        FROM range({n}) t(i), range(2) s(k), range(3) u(j)
        WHERE j <= i % 3""",
    "payments": """
        SELECT 'PAY' || i || '-' || j AS payment_id, 'A' || i AS account_id,
               DATE '{taken}' + CAST(hash(i, j) % 16 AS INTEGER) - 4 AS paid_on,
               CASE WHEN i % 10 = 0 THEN 'JPY' ELSE 'CNY' END AS currency,
               CAST(10000 + hash(i, j, 1) % 40000 AS BIGINT) AS amount, CAST(NULL AS VARCHAR) AS reverses
        FROM range({n}) t(i), range(3) u(j)
        WHERE j < hash(i) % 4""",
}
REVERSALS_SQL = """
    SELECT 'REV-' || payment_id AS payment_id, account_id, paid_on + 1 AS paid_on, currency, amount,
           payment_id AS reverses
    FROM payments WHERE hash(payment_id) % 100 = 0"""
DAY_SQL = """
    SELECT 'DAY' || i AS payment_id, 'A' || i AS account_id, DATE '{night}' AS paid_on,
           CASE WHEN i % 10 = 0 THEN 'JPY' ELSE 'CNY' END AS currency, CAST(30000 AS BIGINT) AS amount,
           CAST(NULL AS VARCHAR) AS reverses
    FROM range({n}) t(i) WHERE hash(i, 7) % 1000 < 30"""


def database(promises: int, url: str | None) -> Any:
    from sqlalchemy import text

    from arrears.db import make_engine
    from arrears.db.migrate import upgrade

    if url is None:
        folder = DATA / f"promises-{promises}"
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob("operational.db*"):
            leftover.unlink()
        engine = make_engine(f"sqlite:///{folder / 'operational.db'}")
    else:
        schema = f"bench_promises_{promises}"
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    return engine


def load(engine: Any, promises: int) -> None:
    import duckdb
    from sqlalchemy import text

    from arrears.db.arrow import insert_arrow

    con = duckdb.connect()
    params = {"n": promises, "taken": TAKEN.isoformat(), "night": NEXT_NIGHT.isoformat()}
    with engine.begin() as connection:
        for table, sql in BOOK_SQL.items():
            rows = con.sql(sql.format(**params)).to_arrow_table()
            if table == "payments":
                con.register("payments", rows)
                reversals = con.sql(REVERSALS_SQL).to_arrow_table()
                insert_arrow(connection, table, rows)
                insert_arrow(connection, table, reversals)
                print(f"  {table}: {rows.num_rows:,} and {reversals.num_rows:,} reversals", flush=True)
                continue
            insert_arrow(connection, table, rows)
            print(f"  {table}: {rows.num_rows:,}", flush=True)
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('promises_id_seq', (SELECT max(id) FROM promises))"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    con.close()


def day_payments(engine: Any, promises: int) -> int:
    import duckdb

    from arrears.db.arrow import insert_arrow

    rows = duckdb.connect().sql(DAY_SQL.format(n=promises, night=NEXT_NIGHT.isoformat())).to_arrow_table()
    with engine.begin() as connection:
        insert_arrow(connection, "payments", rows)
    return int(rows.num_rows)


def lap(engine: Any, as_of: date, label: str) -> None:
    from arrears.arrangements.promise_batch import evaluate

    started = time.perf_counter()
    with engine.begin() as connection:
        counts = evaluate(connection, as_of)
    elapsed = time.perf_counter() - started
    print(
        f"{label:<28} {elapsed:7.2f} s   {counts.evaluated:,} evaluated, {counts.kept:,} kept, "
        f"{counts.partially_kept:,} partially kept, {counts.broken:,} broken",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--promises", type=int, default=300_000, help="open promises (default 300,000)")
    parser.add_argument("--postgres", metavar="URL", help="measure on PostgreSQL (a schema of its own)")
    args = parser.parse_args()
    engine = database(args.promises, args.postgres)
    print(f"{engine.dialect.name}: {args.promises:,} open promises", flush=True)
    started = time.perf_counter()
    load(engine, args.promises)
    print(f"book loaded in {time.perf_counter() - started:.1f} s (not timed below)", flush=True)
    lap(engine, FIRST_NIGHT, f"night {FIRST_NIGHT}")
    lap(engine, FIRST_NIGHT, f"rerun {FIRST_NIGHT}")
    paid = day_payments(engine, args.promises)
    lap(engine, NEXT_NIGHT, f"night {NEXT_NIGHT} (+{paid:,} paid)")
    engine.dispose()


if __name__ == "__main__":
    main()
