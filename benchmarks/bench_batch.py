"""Benchmark of the nightly batch: DuckDB (and Spark) against the floor and the row-by-row peer.

    .venv/bin/python benchmarks/bench_batch.py --accounts 100000 --orm-sample 2000 --full-batch
    .venv/bin/python benchmarks/bench_batch.py --accounts 1000000 --engines duckdb,spark

The book comes from the portfolio generator (arrears.sim), converted once to minor units and
cached under $ARREARS_BENCH_DATA (default /tmp/arrears-bench). Each measurement runs in a
fresh process so that its peak RSS is its own. Figures: seconds (median of --runs), accounts
per second, peak RSS, ratio to the floor (DuckDB reading the same input columns once, measured
in the same run).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = Path(os.environ.get("ARREARS_BENCH_DATA", "/tmp/arrears-bench"))
AS_OF = date(2026, 11, 21)
ACCOUNTS_PER_CUSTOMER = 1.42  # what the generator's default profile draws


def prepare(accounts: int) -> Path:
    """Generate the book with arrears.sim and convert amounts to minor units (not timed)."""
    import duckdb

    from arrears.money import exponent
    from arrears.sim.generator import PortfolioSpec, generate_portfolio
    from arrears.sim.writer import FeedFormat

    folder = DATA / f"book-{accounts}"
    if (folder / "payments.minor.parquet").exists():
        return folder
    feed = folder / "feed"
    feed.mkdir(parents=True, exist_ok=True)
    customers = max(1, int(accounts / ACCOUNTS_PER_CUSTOMER))
    print(f"generating ~{accounts:,} accounts ({customers:,} customers) ...", flush=True)
    generate_portfolio(PortfolioSpec(customers, 42, AS_OF), feed, FeedFormat.PARQUET)
    con = duckdb.connect()
    currencies = [
        r[0] for r in con.execute(f"SELECT DISTINCT currency FROM '{feed}/accounts.parquet'").fetchall()
    ]
    units = ", ".join(f"('{c}', {10 ** exponent(c)})" for c in currencies)
    con.execute(f"CREATE TABLE units AS SELECT * FROM (VALUES {units}) AS t(currency, unit)")
    con.execute(
        "COPY (SELECT account_id, customer_id, currency, status "
        f"FROM '{feed}/accounts.parquet' ORDER BY account_id) "
        f"TO '{folder}/accounts.minor.parquet' (FORMAT parquet)"
    )
    for name, amount, columns in (
        ("installments", "amount_due", "i.account_id, CAST(i.seq AS BIGINT) AS seq, i.due_date"),
        ("payments", "amount", "i.payment_id, i.account_id, i.paid_on"),
    ):
        extra = ", i.reverses" if name == "payments" else ""
        con.execute(
            f"COPY (SELECT {columns}, CAST(CAST(i.{amount} AS DECIMAL(20, 4)) * u.unit AS BIGINT) "
            f"AS {amount}{extra} "
            f"FROM '{feed}/{name}.parquet' i JOIN '{feed}/accounts.parquet' a USING (account_id) "
            f"JOIN units u ON u.currency = a.currency) TO '{folder}/{name}.minor.parquet' (FORMAT parquet)"
        )
    con.close()
    return folder


def files(folder: Path) -> tuple[Path, Path, Path]:
    return (
        folder / "accounts.minor.parquet",
        folder / "installments.minor.parquet",
        folder / "payments.minor.parquet",
    )


def floor(folder: Path) -> int:
    """DuckDB reading the input columns once: the least any computation over them can cost."""
    import duckdb

    accounts, installments, payments = files(folder)
    con = duckdb.connect()
    con.execute(
        f"SELECT (SELECT count(account_id) + count(customer_id) + count(currency) + count(status) "
        f"FROM '{accounts}'), "
        f"(SELECT count(account_id) + count(seq) + count(due_date) + sum(amount_due) FROM '{installments}'), "
        f"(SELECT count(payment_id) + count(account_id) + count(paid_on) + sum(amount) + count(reverses) "
        f"FROM '{payments}')"
    ).fetchall()
    return int(con.execute(f"SELECT count(*) FROM '{accounts}'").fetchall()[0][0])


def _duckdb(folder: Path, incremental: bool = True) -> Any:
    """A DuckDB engine; books over 2M accounts are staged in a DuckDB file, not in memory."""
    from arrears.delinquency.engines import DuckDBEngine

    on_disk = (folder / "accounts.minor.parquet").stat().st_size > 15_000_000
    database = DATA / "stage.duckdb" if on_disk else None
    if database is not None:
        database.unlink(missing_ok=True)
    return DuckDBEngine(
        memory_limit="3GB", spill_dir=DATA / "spill", database=database, incremental=incremental
    )


def _frames(folder: Path) -> Any:
    """The book as Arrow, as the batch holds it after reading the operational database."""
    import pyarrow.parquet as pq

    from arrears.portfolio.frames import PortfolioFrames

    return PortfolioFrames.of(*(pq.read_table(p) for p in files(folder)))


def duckdb_batch(folder: Path) -> int:
    """Stage the book from Arrow and compute one snapshot (the delinquency computation, no writes)."""
    from arrears.delinquency.rules import DelinquencyRules

    engine = _duckdb(folder)
    engine.load(_frames(folder))
    snapshot = engine.snapshot(AS_OF, DelinquencyRules())
    engine.close()
    return int(snapshot.num_rows)


def duckdb_next_night(folder: Path, incremental: bool) -> int:
    """A second date on the staged book (a backfill's next night): only that snapshot is timed."""
    from arrears.delinquency.rules import DelinquencyRules

    engine = _duckdb(folder, incremental)
    engine.load(_frames(folder))
    first = engine.snapshot(AS_OF, DelinquencyRules()).select(["account_id", "bucket"])
    started = time.perf_counter()
    rows = engine.snapshot(date.fromordinal(AS_OF.toordinal() + 1), DelinquencyRules(), first).num_rows
    _report_inner(time.perf_counter() - started)
    engine.close()
    return int(rows)


def spark_batch(folder: Path) -> int:
    import pyarrow.parquet as pq

    from arrears.delinquency.engines import SparkEngine, spark_session
    from arrears.delinquency.rules import DelinquencyRules
    from arrears.portfolio.frames import PortfolioFrames

    session = spark_session("local[2]")
    session.conf.set("spark.sql.shuffle.partitions", "8")
    accounts, installments, payments = (pq.read_table(p) for p in files(folder))
    engine = SparkEngine(session=session, work_dir=DATA / "spark")
    started = time.perf_counter()
    engine.load(PortfolioFrames.of(accounts, installments, payments))
    rows = engine.snapshot(AS_OF, DelinquencyRules()).num_rows
    _report_inner(time.perf_counter() - started)  # without the JVM start
    engine.close()
    session.stop()
    return int(rows)


def _database_with_book(folder: Path, url: str | None) -> Any:
    """The operational database holding the book: a SQLite file beside it, or a PostgreSQL schema."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from sqlalchemy import text

    from arrears.db import make_engine
    from arrears.db.arrow import insert_arrow
    from arrears.db.migrate import upgrade

    if url is None:
        path = folder / "batch.db"
        ready = path.exists()
        database = make_engine(f"sqlite:///{path}")
    else:
        schema = f"bench_{folder.name.replace('-', '_')}"
        admin = make_engine(url)
        with admin.begin() as connection:
            ready = bool(
                connection.execute(
                    text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                    {"s": schema},
                ).scalar()
            )
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        admin.dispose()
        database = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    if ready:
        return database
    upgrade(database)
    accounts, installments, payments = (pq.read_table(p) for p in files(folder))
    # originals before reversals: a reversal's foreign key names an earlier payment
    payments = payments.take(pc.sort_indices(pc.is_valid(payments["reverses"])))
    currency = dict(zip(accounts["account_id"].to_pylist(), accounts["currency"].to_pylist(), strict=True))
    with database.begin() as connection:
        customers = pc.unique(accounts["customer_id"])
        if url is None:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
        insert_arrow(connection, "customers", _table(customer_id=customers, name=customers))
        insert_arrow(connection, "accounts", _accounts(accounts))
        for name, table in (("installments", installments), ("payments", payments)):
            currencies = [currency[a] for a in table["account_id"].to_pylist()]
            insert_arrow(connection, name, table.append_column("currency", _string(currencies)))
    return database


def _string(values: list[str]) -> Any:
    import pyarrow as pa

    return pa.array(values, pa.string())


def _table(**columns: Any) -> Any:
    import pyarrow as pa

    return pa.table(columns)


def _accounts(accounts: Any) -> Any:
    import pyarrow as pa

    rows = accounts.num_rows
    return accounts.append_column("product", pa.array(["personal_loan"] * rows)).append_column(
        "opened_on", pa.array([date(2020, 1, 1)] * rows, pa.date32())
    )


class Laps:
    """Time spent until each point of a batch run, fed by its report and checkpoint hooks."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._mark = time.perf_counter()

    def __call__(self, what: str) -> None:
        now = time.perf_counter()
        self.lines.append(f"{now - self._mark:8.2f} s  until {what}")
        self._mark = now

    def report(self, message: str, _done: int, _total: int) -> None:
        self(message)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def full_batch(folder: Path, url: str | None = None) -> int:
    """The whole batch on SQLite (or PostgreSQL at ``url``): read, compute, write snapshots and cases."""
    from datetime import UTC, datetime

    from arrears.batch.orchestrator import run_batch
    from arrears.clock import FixedClock
    from arrears.delinquency.rules import DelinquencyRules

    database = _database_with_book(folder, url)
    with database.begin() as connection:  # every measurement starts from the same first night
        for table in ("case_accounts", "cases", "delinquency_snapshots", "batch_runs"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine = _duckdb(folder)
    laps = Laps()
    started = time.perf_counter()
    [summary] = run_batch(
        database,
        [AS_OF],
        engine,
        DelinquencyRules(),
        FixedClock(datetime(2026, 11, 22, tzinfo=UTC)),
        report=laps.report,
        checkpoint=laps,
    )
    _report_inner(time.perf_counter() - started)
    (DATA / "profile.txt").write_text(laps.text(), encoding="utf-8")
    engine.close()
    database.dispose()
    return summary.accounts


def orm_peer(folder: Path, sample: int) -> int:
    """The row-by-row peer: for each account, load its rows through the ORM, compute, add its
    snapshot (a range from the date, as the batch stores it)."""
    from sqlalchemy import delete, select

    from arrears.db import session_factory
    from arrears.delinquency.models import DelinquencyRange
    from arrears.delinquency.reference import AccountFact, InstallmentFact, PaymentFact, account_snapshot
    from arrears.delinquency.rules import DelinquencyRules
    from arrears.portfolio.models import Account, Installment, Payment

    rules = DelinquencyRules()
    database = _database_with_book(folder, None)
    with session_factory(database)() as session:
        session.execute(delete(DelinquencyRange).where(DelinquencyRange.valid_from == AS_OF))
        accounts = session.scalars(select(Account).order_by(Account.account_id).limit(sample)).all()
        for account in accounts:
            installments = session.scalars(
                select(Installment).where(Installment.account_id == account.account_id)
            )
            payments = session.scalars(select(Payment).where(Payment.account_id == account.account_id)).all()
            reversed_ids = [p.reverses for p in payments if p.reverses]
            amount_of = {p.payment_id: p.amount for p in payments}
            for missing in set(reversed_ids) - set(amount_of):
                amount_of[missing] = session.get(Payment, missing).amount  # type: ignore[union-attr]
            row = account_snapshot(
                AccountFact(account.account_id, account.customer_id, account.currency, account.status),
                [InstallmentFact(i.account_id, i.seq, i.due_date, i.amount_due) for i in installments],
                [PaymentFact(p.payment_id, p.account_id, p.paid_on, p.amount, p.reverses) for p in payments],
                AS_OF,
                rules,
                None,
                amount_of,
            )
            session.add(
                DelinquencyRange(
                    valid_from=AS_OF,
                    account_id=row.account_id,
                    customer_id=row.customer_id,
                    currency=row.currency,
                    status=row.status,
                    overdue_since=AS_OF - timedelta(days=row.dpd) if row.dpd else None,
                    bucket=row.bucket,
                    bucket_rank=rules.rank(row.bucket),
                    overdue_amount=row.overdue_amount,
                    outstanding_amount=row.outstanding_amount,
                    roll=row.roll,
                )
            )
        session.flush()
        session.rollback()
    database.dispose()
    return len(accounts)


def _report_inner(seconds: float) -> None:
    Path(DATA / "inner.txt").write_text(str(seconds))


def _child(task: Callable[..., int], args: tuple[object, ...], out: mp.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    try:
        rows = task(*args)
    except BaseException:
        out.put((0, float("nan"), 0))
        raise
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put((rows, elapsed, peak_kib))


def measure(task: Callable[..., int], *args: object, runs: int = 3) -> tuple[int, float, float, float | None]:
    """(rows, median seconds, peak RSS MiB, median inner seconds if the task reports one)."""
    context = mp.get_context("spawn")
    times, inner, peaks, rows = [], [], [], 0
    for _ in range(runs):
        (DATA / "inner.txt").unlink(missing_ok=True)
        queue = context.Queue()
        process = context.Process(target=_child, args=(task, args, queue))
        process.start()
        rows, seconds, peak = queue.get()
        process.join()
        times.append(seconds)
        peaks.append(peak / 1024)
        if (DATA / "inner.txt").exists():
            inner.append(float((DATA / "inner.txt").read_text()))
    return rows, statistics.median(times), max(peaks), statistics.median(inner) if inner else None


def _print_profile(database: str) -> None:
    profile = DATA / "profile.txt"
    if profile.exists():
        print(f"\nwhere the whole batch's time goes on {database} (time spent until each point):")
        print(profile.read_text(encoding="utf-8"), flush=True)
        profile.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--engines", default="duckdb", help="duckdb,spark")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orm-sample", type=int, default=0, help="accounts for the ORM peer (0: skip)")
    parser.add_argument("--full-batch", action="store_true", help="also the whole batch on SQLite")
    parser.add_argument(
        "--postgres", help="also the whole batch on this PostgreSQL URL (a schema of its own)"
    )
    options = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    folder = prepare(options.accounts)
    lines: list[tuple[str, int, float, float]] = []
    rows, floor_s, peak, _ = measure(floor, folder, runs=options.runs)
    lines.append(("floor: DuckDB reads the input columns once", rows, floor_s, peak))
    if "duckdb" in options.engines:
        rows, seconds, peak, _ = measure(duckdb_batch, folder, runs=options.runs)
        lines.append(("DuckDB: stage + one snapshot", rows, seconds, peak))
        rows, _, peak, inner = measure(duckdb_next_night, folder, False, runs=options.runs)
        lines.append(("DuckDB: next night, recomputed in full", rows, inner or 0.0, peak))
        rows, _, peak, inner = measure(duckdb_next_night, folder, True, runs=options.runs)
        lines.append(("DuckDB: next night, state carried (changed accounts only)", rows, inner or 0.0, peak))
    if "spark" in options.engines:
        rows, _, peak, inner = measure(spark_batch, folder, runs=1)
        lines.append(("Spark local[2]: stage + snapshot (no JVM start)", rows, inner or 0.0, peak))
    if options.full_batch:
        rows, _, peak, inner = measure(full_batch, folder, runs=1)
        lines.append(("whole batch on SQLite (read, compute, write, cases)", rows, inner or 0.0, peak))
        _print_profile("SQLite")
    if options.postgres:
        rows, _, peak, inner = measure(full_batch, folder, options.postgres, runs=1)
        lines.append(
            ("whole batch on PostgreSQL (COPY out, compute, COPY in, cases)", rows, inner or 0.0, peak)
        )
        _print_profile("PostgreSQL")
    if options.orm_sample:
        rows, seconds, peak, _ = measure(orm_peer, folder, options.orm_sample, runs=1)
        lines.append((f"ORM per-account loop ({rows:,}-account sample)", rows, seconds, peak))
    print(f"\n{options.accounts:,} accounts requested, {lines[0][1]:,} generated; as of {AS_OF}")
    print(f"{'measurement':58} {'seconds':>9} {'accounts/s':>12} {'x floor':>8} {'peak RSS':>10}")
    for label, count, seconds, peak_mib in lines:
        rate = count / seconds if seconds else float("nan")
        print(
            f"{label:58} {seconds:9.2f} {rate:12,.0f} {seconds / floor_s * lines[0][1] / count:8.1f} "
            f"{peak_mib:8.0f} MiB"
        )


if __name__ == "__main__":
    main()
