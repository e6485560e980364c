"""Feed import throughput on SQLite and PostgreSQL, beside a floor and a row-by-row peer.

    .venv/bin/python benchmarks/bench_import.py [--customers 100000] [--postgres URL]

Writes a synthetic feed (N customers, N mobiles in three spellings, N accounts, 24 installments
and 10 payments an account), imports it with `arrears import` semantics (validation, rejects,
upsert, import log) into a fresh SQLite file and a fresh PostgreSQL schema, then imports it again
(all rows unchanged), and prints rows per second for each file. Measured beside it in the same run:
  * the floor: the same installments file loaded by the database's own bulk path with no checks
    (PostgreSQL COPY into an unindexed table; SQLite executemany from Python's csv reader);
  * the peer: a row-at-a-time ORM loop (session.add per row, one commit) on a sample, the way
    row-by-row systems import.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from arrears.clock import FixedClock
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.portfolio.importer import ImportOptions, feed_files, import_files
from arrears.portfolio.models import Installment

INSTALLMENTS_PER_ACCOUNT = 24
PAYMENTS_PER_ACCOUNT = 10


def write_feed(directory: Path, customers: int, seed: int = 7) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    ids = np.arange(customers)
    cust = np.char.add("C", ids.astype(str))
    acct = np.char.add("A", ids.astype(str))
    pacsv.write_csv(
        pa.table(
            {
                "customer_id": cust,
                "name": np.char.add("客户", ids.astype(str)),
                "language": np.full(customers, "zh-CN"),
                "country": np.full(customers, "CN"),
                "timezone": np.full(customers, "Asia/Shanghai"),
            }
        ),
        directory / "customers.csv",
    )
    mobile = (13_800_000_000 + ids).astype(str)
    # One mobile a customer, written three ways a core system writes them (the same numbers).
    forms = np.select(
        [ids % 3 == 0, ids % 3 == 1],
        [np.char.add("+86 ", mobile), np.char.add("0086", mobile)],
        default=mobile,
    )
    pacsv.write_csv(
        pa.table({"customer_id": cust, "type": np.full(customers, "mobile"), "value": forms}),
        directory / "contact_points.csv",
    )
    pacsv.write_csv(
        pa.table(
            {
                "account_id": acct,
                "customer_id": cust,
                "product": np.full(customers, "personal_loan"),
                "currency": np.full(customers, "CNY"),
                "opened_on": np.full(customers, "2024-01-01"),
                "principal": np.full(customers, "24000.00"),
            }
        ),
        directory / "accounts.csv",
    )
    n = INSTALLMENTS_PER_ACCOUNT
    due = np.datetime64("2024-02-01") + np.tile(np.arange(n) * 30, customers).astype("timedelta64[D]")
    minor = rng.integers(50_000, 200_000, customers * n)
    pacsv.write_csv(
        pa.table(
            {
                "account_id": np.repeat(acct, n),
                "seq": np.tile(np.arange(1, n + 1), customers),
                "due_date": due.astype(str),
                "amount_due": _major(minor),
            }
        ),
        directory / "installments.csv",
    )
    p = PAYMENTS_PER_ACCOUNT
    paid = np.datetime64("2024-02-01") + np.tile(np.arange(p) * 30, customers).astype("timedelta64[D]")
    pacsv.write_csv(
        pa.table(
            {
                "payment_id": np.char.add("P", np.arange(customers * p).astype(str)),
                "account_id": np.repeat(acct, p),
                "paid_on": paid.astype(str),
                "amount": _major(rng.integers(50_000, 200_000, customers * p)),
            }
        ),
        directory / "payments.csv",
    )
    return {
        "customers": customers,
        "contact_points": customers,
        "accounts": customers,
        "installments": customers * n,
        "payments": customers * p,
    }


def _major(minor: np.ndarray) -> np.ndarray:
    return np.char.add(
        np.char.add((minor // 100).astype(str), "."), np.char.zfill((minor % 100).astype(str), 2)
    )


def import_once(engine: Engine, feed: Path) -> list[tuple[str, int, float]]:
    clock = FixedClock(datetime(2026, 11, 22, tzinfo=UTC))
    options = ImportOptions(imported_by="bench")
    timings = []
    for path, kind in feed_files([feed]):
        started = time.perf_counter()
        (outcome,) = import_files(engine, [(path, kind)], clock, options)
        assert outcome.rejected == 0 and outcome.error is None, outcome
        timings.append((kind.name, outcome.rows_read, time.perf_counter() - started))
    return timings


def floor_installments(engine: Engine, feed: Path) -> float:
    path = feed / "installments.csv"
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TEMPORARY TABLE floor_inst (account_id TEXT, seq INT, due_date TEXT, amount_due TEXT)"
            )
        )
        if engine.dialect.name == "postgresql":
            raw = connection.connection.driver_connection
            with (
                raw.cursor() as cursor,
                cursor.copy(  # type: ignore[union-attr]
                    "COPY floor_inst FROM STDIN (FORMAT csv, HEADER true)"
                ) as copy,
                path.open("rb") as f,
            ):
                while block := f.read(1 << 20):
                    copy.write(block)
        else:
            with path.open(encoding="utf-8") as f:
                rows = csv.reader(f)
                next(rows)
                connection.exec_driver_sql(
                    "INSERT INTO floor_inst VALUES (?, ?, ?, ?)", [tuple(r) for r in rows]
                )
        connection.execute(text("DROP TABLE floor_inst"))
    return time.perf_counter() - started


def orm_peer(engine: Engine, sample: int) -> float:
    started = time.perf_counter()
    with Session(engine) as session:
        for i in range(sample):
            session.add(
                Installment(
                    account_id="A0",
                    seq=10_000 + i,
                    due_date=date(2030, 1, 1),
                    currency="CNY",
                    amount_due=1000,
                )
            )
        session.commit()
    elapsed = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM installments WHERE account_id = 'A0' AND seq >= 10000"))
    return elapsed


def fresh_engines(directory: Path, postgres: str | None) -> dict[str, tuple[Engine, object]]:
    engines: dict[str, tuple[Engine, object]] = {}
    sqlite = make_engine(f"sqlite:///{directory / 'bench.db'}")
    engines["sqlite"] = (sqlite, None)
    if postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(postgres)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engines["postgresql"] = (
            make_engine(postgres, connect_args={"options": f"-csearch_path={schema}"}),
            (admin, schema),
        )
    return engines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("ARREARS_TEST_POSTGRES_URL"))
    parser.add_argument("--peer-sample", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
        directory = Path(tmp)
        feed = directory / "feed"
        feed.mkdir()
        started = time.perf_counter()
        sizes = write_feed(feed, args.customers)
        print(f"feed: {sizes} written in {time.perf_counter() - started:.1f} s")
        for name, (engine, cleanup) in fresh_engines(directory, args.postgres).items():
            upgrade(engine)
            for label in ("first import", "re-import (unchanged)"):
                timings = import_once(engine, feed)
                total_rows = sum(rows for _, rows, _ in timings)
                total_time = sum(seconds for *_, seconds in timings)
                print(
                    f"\n{name} — {label}: {total_rows:,} rows in {total_time:.1f} s = "
                    f"{total_rows / total_time:,.0f} rows/s"
                )
                for kind, rows, seconds in timings:
                    print(f"  {kind:<14} {rows:>10,} rows {seconds:7.1f} s {rows / seconds:>12,.0f} rows/s")
            floor = floor_installments(engine, feed)
            floor_rate = sizes["installments"] / floor
            print(f"  floor (bulk load of installments.csv, no checks): {floor_rate:,.0f} rows/s")
            peer = orm_peer(engine, args.peer_sample)
            peer_rate = args.peer_sample / peer
            print(f"  peer (ORM row by row, {args.peer_sample:,} installments): {peer_rate:,.0f} rows/s")
            engine.dispose()
            if cleanup is not None:
                admin, schema = cleanup  # type: ignore[misc]
                with admin.begin() as connection:
                    connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
