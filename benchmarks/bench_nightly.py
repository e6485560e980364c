"""Benchmark of a bank's night: the day's feed imported, then the whole nightly batch on the store.

    .venv/bin/python benchmarks/bench_nightly.py --accounts 1000000
    .venv/bin/python benchmarks/bench_nightly.py --accounts 10000000 --postgres postgresql://postgres@127.0.0.1:5432/test

Steps, each in a process of its own (so that its peak RSS is its own), all in one run:

1. setup (timed, not the batch): the book is generated chunk by chunk by the portfolio
   generator (``arrears.sim.iter_book_batches``); its customers and accounts go to the
   operational database (SQLite file, or a PostgreSQL schema) and the whole book, staged, to
   the batch store (a DuckDB file), part by part, the way the first full read stages it. The
   operational database gets no installment or payment history: the steady-state night never
   reads it (the first night that does is measured by bench_batch.py). Then the collectors
   (bench_queues' two teams, room for twice their share of the cases) and its queue set, active;
   the example strategy (examples/strategies/cn-cards.yaml) with the example templates, approved.
2. first night (as of 2026-11-21): every account computed, a snapshot range per account
   written, cases opened and dealt to the collectors.
3. second night (2026-11-22): every account's roll goes from ``new`` to what it is, so every
   range is written again; after it, a night writes only what changes.
4. setup: open promises on 3% of the accounts' worth of open cases (300k at 10M) and active plans
   on 1% (100k), as collectors would have taken them.
5. the day's feed: payments from 3% of the accounts dated 2026-11-23, imported by the importer.
6. the next night (as of 2026-11-23), the figure that counts: the store reads that import
   only, restages its accounts, recomputes those and the accounts with an installment falling
   due, carries every other, writes the snapshot ranges that changed, moves the cases that
   changed, evaluates the promises and plans, assigns the book and its priorities, runs the
   strategy over every open case, puts the day's actions to the gate and queues their messages.
7. the same night rerun: the store's state is of that date already, so every account is
   recomputed from the store (the batch without the carried state), and every open case planned.
8. the floor: DuckDB reading once the store's input columns the computation reads.
9. the store compacted, forced: the rows the restage superseded dropped (what a sync does
   when they pass a quarter of the store).
10. the peer: the row-by-row way, each account's rows loaded through the ORM, computed in
   Python and added (bench_batch.orm_peer, 2,000 accounts of a 100k book: its rate is what
   counts).

Printed: seconds, accounts per second, peak RSS, the ratio to the floor (per account), and
where each night's time goes.

To time a change to the night on the same data again and again (SQLite): ``--keep-after-feed``
copies the database and the store as step 5 left them to ``<bench folder>/after-feed``; then
``--next-night-again`` puts that copy back and runs step 6 alone, printing its laps:

    .venv/bin/python benchmarks/bench_nightly.py --accounts 1000000 --keep-after-feed --orm-sample 0
    .venv/bin/python benchmarks/bench_nightly.py --accounts 1000000 --next-night-again
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import DATA, Laps, _database_with_book, measure, orm_peer, prepare  # noqa: E402

FIRST_NIGHT = date(2026, 11, 21)
SECOND_NIGHT = date(2026, 11, 22)
NEXT_NIGHT = date(2026, 11, 23)
ACCOUNTS_PER_CUSTOMER = 1.42
STAGE_ACCOUNTS = 500_000
"""Accounts staged in the store at a time during the setup."""
PAYERS_PER_1000 = 30
PROMISES_PER_1000 = 30
"""Open promises to pay, per 1,000 accounts (300k at 10M), put on open cases after the first night."""
PLANS_PER_1000 = 10
"""Active repayment plans, per 1,000 accounts (100k at 10M)."""
CASES_PER_COLLECTOR = 300
OPEN_CASES_PER_1000 = 135
"""About the share of accounts whose customer has an open case after the first night."""

ARRANGEMENTS_SQL = {
    "promises": """
        SELECT first_promise + rn AS id, case_id, CAST(NULL AS VARCHAR) AS account_id, currency,
               amount, CAST(0 AS BIGINT) AS paid_amount, 'open' AS status, taken_at,
               taken_on, due_on AS first_due_on, due_on AS last_due_on, 1 AS version
        FROM (SELECT *, CAST(greatest(100, overdue_total // 2) AS BIGINT) AS amount,
                     DATE '{night}' - 2 AS taken_on,
                     TIMESTAMPTZ '{night} 02:00:00+00' - INTERVAL 2 DAY AS taken_at,
                     DATE '{night}' - 1 + CAST(hash(case_id, 1) % 8 AS INTEGER) AS due_on
              FROM chosen WHERE rn <= {promises})""",
    "promise_installments": """
        SELECT first_promise + rn AS promise_id, 1 AS seq,
               DATE '{night}' - 1 + CAST(hash(case_id, 1) % 8 AS INTEGER) AS due_on,
               CAST(greatest(100, overdue_total // 2) AS BIGINT) AS amount, CAST(0 AS BIGINT) AS paid_amount,
               'open' AS status
        FROM chosen WHERE rn <= {promises}""",
    "arrangements": """
        SELECT first_plan + rn AS id, case_id, CAST(NULL AS VARCHAR) AS account_id, 'plan' AS kind,
               'equal' AS method, 'remainder_last' AS rounding, 'active' AS status, currency,
               total AS owed_amount, total AS total_amount, CAST(0 AS BIGINT) AS discount_amount,
               CAST(0 AS BIGINT) AS waived_fees, 6 AS installment_count, false AS needs_approval,
               started AS proposed_at, started AS decided_at, started AS activated_at,
               DATE '{night}' - 20 AS starts_on, 1 AS version
        FROM (SELECT *, CAST(greatest(600, overdue_total) AS BIGINT) AS total,
                     TIMESTAMPTZ '{night} 02:00:00+00' - INTERVAL 20 DAY AS started
              FROM chosen WHERE rn > {promises} AND rn <= {promises} + {plans})""",
    "arrangement_installments": """
        SELECT first_plan + rn AS arrangement_id, CAST(j + 1 AS INTEGER) AS seq,
               DATE '{night}' + CAST(hash(case_id, 2) % 25 AS INTEGER) + CAST(30 * j AS INTEGER) AS due_on,
               CASE WHEN j = 5 THEN total - 5 * (total // 6) ELSE total // 6 END AS amount,
               CAST(0 AS BIGINT) AS paid_amount, 'open' AS status
        FROM (SELECT *, CAST(greatest(600, overdue_total) AS BIGINT) AS total FROM chosen
              WHERE rn > {promises} AND rn <= {promises} + {plans}), range(6) t(j)""",
}


def folder_for(accounts: int, url: str | None) -> Path:
    return DATA / f"nightly-{accounts}-{'pg' if url else 'sqlite'}"


def database_for(folder: Path, url: str | None, *, fresh: bool = False) -> Any:
    from sqlalchemy import text

    from arrears.db import make_engine

    if url is None:
        path = folder / "operational.db"
        if fresh:
            for leftover in folder.glob("operational.db*"):
                leftover.unlink()
        return make_engine(f"sqlite:///{path}")
    schema = f"bench_{folder.name.replace('-', '_')}"
    admin = make_engine(url)
    with admin.begin() as connection:
        if fresh:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def store_for(folder: Path) -> Any:
    from arrears.delinquency.engines import DuckDBEngine

    (folder / "spill").mkdir(parents=True, exist_ok=True)
    return DuckDBEngine(memory_limit="2GB", spill_dir=folder / "spill", database=folder / "store.duckdb")


def _stage_parts(spec: Any, database: Any) -> Any:
    """The book's parts for the store, each of about STAGE_ACCOUNTS accounts; customers and
    accounts go to the operational database on the way."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from arrears.db.arrow import insert_arrow
    from arrears.portfolio.frames import PortfolioFrames
    from arrears.sim import iter_book_batches

    pending: list[Any] = []

    def flush() -> Any:
        accounts = pa.concat_tables([c.accounts for c in pending])
        with database.begin() as connection:
            customers = pc.unique(accounts["customer_id"])
            insert_arrow(connection, "customers", pa.table({"customer_id": customers, "name": customers}))
            insert_arrow(connection, "accounts", accounts)
        part = PortfolioFrames.of(
            accounts,
            pa.concat_tables([c.installments for c in pending]),
            pa.concat_tables([c.payments for c in pending]),
        )
        pending.clear()
        return part

    for chunk in iter_book_batches(spec):
        pending.append(chunk)
        if sum(c.accounts.num_rows for c in pending) >= STAGE_ACCOUNTS:
            yield flush()
    if pending:
        yield flush()


def setup(accounts: int, url: str | None) -> int:
    from arrears.db.migrate import upgrade
    from arrears.sim import PortfolioSpec

    folder = folder_for(accounts, url)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "store.duckdb").unlink(missing_ok=True)
    database = database_for(folder, url, fresh=True)
    upgrade(database)
    spec = PortfolioSpec(max(1, int(accounts / ACCOUNTS_PER_CUSTOMER)), 42, FIRST_NIGHT)
    store = store_for(folder)
    store.load_chunks(_stage_parts(spec, database))
    staged = int(store.connection.execute("SELECT count(*) FROM accounts").fetchone()[0])
    store.close()
    database.dispose()
    return staged


def staffing(accounts: int, url: str | None) -> int:
    """The collectors (bench_queues' two teams, room for twice their share of the open cases) and
    its queue set, active before the first night, which deals the whole book."""
    from bench_queues import QUEUES, activate, staff

    database = database_for(folder_for(accounts, url), url)
    collectors = max(10, accounts * OPEN_CASES_PER_1000 // 1000 // CASES_PER_COLLECTOR)
    with database.begin() as connection:
        staff(connection, collectors, 2 * CASES_PER_COLLECTOR)
    activate(database, datetime.combine(FIRST_NIGHT, datetime.min.time(), UTC), QUEUES)
    approve_strategy(database, FIRST_NIGHT)
    database.dispose()
    return collectors


def approve_strategy(database: Any, first_night: date) -> None:
    """The example strategy (examples/strategies/cn-cards.yaml, its agency and the example
    templates approved by a compliance officer) drafted by an analyst and approved by a supervisor
    from ``first_night``: every night then runs it, its actions put to the gate and its messages
    queued."""
    from arrears.audit.trail import SYSTEM
    from arrears.auth import service as auth
    from arrears.auth.models import User
    from arrears.auth.permissions import Role
    from arrears.auth.principal import Principal
    from arrears.channels import template_files
    from arrears.config import get_settings
    from arrears.db import transaction
    from arrears.strategy import service as strategies

    examples = ROOT / "examples"
    now = datetime.combine(first_night, datetime.min.time(), UTC)
    settings = get_settings()
    bank = strategies.bank_of(settings)
    with transaction(database) as session:
        people = {}
        for name, role in (
            ("compliance", Role.COMPLIANCE_OFFICER),
            ("analyst", Role.STRATEGY_ANALYST),
            ("boss", Role.SUPERVISOR),
        ):
            user = User(username=f"bench-{name}", role=role.value, created_at=now, active=True)
            session.add(user)
            session.flush()
            people[name] = Principal(user_id=user.id, username=user.username, role=role)
        auth.create_agency(session, SYSTEM, now=now, code="DEMO-AGENCY", name="Bench agency")
        template_files.load_folder(
            session, SYSTEM, examples / "templates", approver="bench-compliance", pack=bank.pack, now=now
        )
        text = (examples / "strategies" / "cn-cards.yaml").read_text("utf-8")
        row = strategies.draft(session, people["analyst"], text, "cn-cards.yaml", note="bench", now=now)
        strategies.approve(
            session,
            people["boss"],
            row.id,
            active_from=first_night,
            bank=bank,
            today=first_night,
            expected=None,
            now=now,
        )


def arrangements(accounts: int, url: str | None, night: date) -> int:
    """Open promises and active plans on open cases without one (chosen by a hash of the case
    id), as collectors would have taken them before ``night``: each promise a single amount,
    half the case's overdue, due from the day before the night to six days after; each plan
    six monthly installments of the overdue, the first due within 25 days of the night."""
    import duckdb
    import pyarrow as pa
    from sqlalchemy import text

    from arrears.db.arrow import insert_arrow, read_arrow

    database = database_for(folder_for(accounts, url), url)
    promises, plans = accounts * PROMISES_PER_1000 // 1000, accounts * PLANS_PER_1000 // 1000
    with database.begin() as connection:
        free = read_arrow(
            connection,
            "SELECT case_id, currency, overdue_total FROM cases AS c WHERE status = 'open' "
            "AND NOT EXISTS (SELECT 1 FROM promises AS p WHERE p.case_id = c.case_id AND p.status = 'open') "
            "AND NOT EXISTS (SELECT 1 FROM arrangements AS a WHERE a.case_id = c.case_id "
            "AND a.status IN ('proposed', 'approved', 'active'))",
            pa.schema([("case_id", pa.string()), ("currency", pa.string()), ("overdue_total", pa.int64())]),
        )
        first_promise = connection.execute(text("SELECT coalesce(max(id), 0) FROM promises")).scalar_one()
        first_plan = connection.execute(text("SELECT coalesce(max(id), 0) FROM arrangements")).scalar_one()
        con = duckdb.connect()
        con.register("free", free)
        con.execute(
            f"CREATE TABLE chosen AS SELECT *, {first_promise} AS first_promise, {first_plan} AS first_plan, "
            "row_number() OVER (ORDER BY hash(case_id), case_id) AS rn FROM free"
        )
        params = {"night": night.isoformat(), "promises": promises, "plans": plans}
        for table, sql in ARRANGEMENTS_SQL.items():
            insert_arrow(connection, table, con.sql(sql.format(**params)).to_arrow_table())
        con.close()
        if connection.dialect.name == "postgresql":
            for sequence, table in (("promises_id_seq", "promises"), ("arrangements_id_seq", "arrangements")):
                connection.execute(text(f"SELECT setval('{sequence}', (SELECT max(id) FROM {table}))"))
    database.dispose()
    return min(free.num_rows, promises + plans)


def night(accounts: int, url: str | None, as_of: date, label: str) -> int:
    from arrears.batch.orchestrator import StrategyNight, run_batch
    from arrears.clock import FixedClock
    from arrears.compliance.packs import load_pack
    from arrears.delinquency.rules import DelinquencyRules

    folder = folder_for(accounts, url)
    database = database_for(folder, url)
    store = store_for(folder)
    laps = Laps()
    [summary] = run_batch(
        database,
        [as_of],
        store,
        DelinquencyRules(),
        FixedClock(datetime.combine(as_of, datetime.min.time(), UTC).replace(hour=20)),
        report=laps.report,
        checkpoint=laps,
        strategy=StrategyNight(load_pack("cn"), "Asia/Shanghai"),
    )
    laps.lines.append(f"          {'; '.join(summary.notes)}")
    laps.lines.append(
        f"          {summary.delinquent:,} delinquent, {summary.cases.opened:,} cases opened, "
        f"{summary.cases.updated:,} updated, {summary.cases.closed:,} closed"
    )
    (folder / f"profile-{label}.txt").write_text(laps.text(), encoding="utf-8")
    store.close()
    database.dispose()
    return summary.accounts


def day_feed(accounts: int, url: str | None, paid_on: date = NEXT_NIGHT) -> int:
    """The day's payments (3% of the accounts), dated ``paid_on``, written as a feed file and imported."""
    import duckdb

    from arrears.clock import FixedClock
    from arrears.portfolio.importer import ImportOptions, feed_files, import_files

    folder = folder_for(accounts, url)
    feed = folder / "day" / "payments.csv"
    feed.parent.mkdir(exist_ok=True)
    con = duckdb.connect(str(folder / "store.duckdb"), read_only=True)
    con.execute(
        f"COPY (SELECT 'D{paid_on:%Y%m%d}-' || account_id AS payment_id, account_id, "
        f"DATE '{paid_on}' AS paid_on, CASE currency WHEN 'JPY' THEN '5000' ELSE '100.00' END AS amount "
        f"FROM accounts WHERE hash(account_id) % 1000 < {PAYERS_PER_1000} ORDER BY account_id) "
        f"TO '{feed}' (HEADER, DELIMITER ',')"
    )
    con.close()
    database = database_for(folder, url)
    clock = FixedClock(datetime.combine(paid_on, datetime.min.time(), UTC).replace(hour=18))
    [outcome] = import_files(database, feed_files([feed]), clock, ImportOptions(imported_by="bench"))
    database.dispose()
    if outcome.rejected or outcome.error:
        raise RuntimeError(f"the day's feed was not stored whole: {outcome}")
    return outcome.stored


def store_floor(accounts: int, url: str | None) -> int:
    """DuckDB reading once, from the store, the columns the computation reads."""
    import duckdb

    con = duckdb.connect(str(folder_for(accounts, url) / "store.duckdb"), read_only=True)
    con.execute(
        "SELECT (SELECT count(k) + count(account_id) + count(customer_id) + count(currency) "
        "+ count(status) FROM accounts), "
        "(SELECT count(k) + count(due_date) + sum(amount_due) + sum(cum_due) FROM schedule), "
        "(SELECT count(k) + count(paid_on) + sum(signed_amount) FROM ledger)"
    ).fetchall()
    rows = int(con.execute("SELECT count(*) FROM accounts").fetchone()[0])  # type: ignore[index]
    con.close()
    return rows


def compaction(accounts: int, url: str | None) -> int:
    """The store written again without the rows the day's restage superseded (a sync does it
    when they pass a quarter of the store; forced here, to show what it costs)."""
    store = store_for(folder_for(accounts, url))
    con = store.connection
    rows = int(con.execute("SELECT count(*) FROM schedule").fetchall()[0][0])
    rows += int(con.execute("SELECT count(*) FROM ledger").fetchall()[0][0])
    compacted = store.compact(force=True)
    store.close()
    return rows if compacted else 0  # nothing superseded (the day's feed restaged nothing)


KEPT = "after-feed"
"""The folder (inside the bench's) that ``--keep-after-feed`` copies the database and the store to."""


def _copy_state(source: Path, target: Path) -> None:
    """The operational SQLite database and the batch store, copied from ``source`` to ``target``."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for leftover in [*target.glob("operational.db*"), *target.glob("store.duckdb*")]:
        leftover.unlink()
    for path in [*source.glob("operational.db*"), *source.glob("store.duckdb*")]:
        if not path.name.endswith(".lock"):  # the run lock's file stays the run's
            shutil.copy2(path, target / path.name)


def keep_after_feed(accounts: int, url: str | None) -> int:
    """The database and the store as the day's feed left them, kept (``--keep-after-feed``) so that
    the next night can be run again from them (``--next-night-again``)."""
    if url is not None:
        raise SystemExit("--keep-after-feed keeps a SQLite database only")
    import shutil

    folder = folder_for(accounts, url)
    partial = folder / f"{KEPT}.partial"  # renamed when whole: a stopped copy is never taken as kept
    shutil.rmtree(partial, ignore_errors=True)
    _copy_state(folder, partial)
    shutil.rmtree(folder / KEPT, ignore_errors=True)
    partial.rename(folder / KEPT)
    print(f"kept the state after the feed in {folder / KEPT}", flush=True)
    return 1


def put_back_kept(accounts: int, url: str | None) -> None:
    """The kept state put back (``--next-night-again``), its schema brought to the code's (a state
    kept by an earlier version, as a bank migrates before the night), written out to disk before
    the night runs."""
    import os

    from arrears.db.migrate import upgrade

    folder = folder_for(accounts, url)
    if url is not None or not (folder / KEPT / "store.duckdb").exists():
        raise SystemExit(f"nothing kept in {folder / KEPT}: run with --keep-after-feed first (SQLite)")
    _copy_state(folder / KEPT, folder)
    database = database_for(folder, url)
    upgrade(database)
    database.dispose()
    os.sync()  # the copy's pages written out now, not while the night runs


def latest_night(accounts: int, url: str | None) -> date | None:
    """The latest date the batch ran on the database of an earlier run (``--reuse``)."""
    from sqlalchemy import func, select

    from arrears.batch.models import BatchRun

    database = database_for(folder_for(accounts, url), url)
    with database.connect() as connection:
        latest: date | None = connection.execute(select(func.max(BatchRun.as_of))).scalar()
    database.dispose()
    return latest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="the operational database: a schema of its own at this URL")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the setup and the nights of an earlier run (skip step 1): the book goes on, "
        "its two nights are the two days after the latest one run",
    )
    parser.add_argument(
        "--keep-after-feed",
        action="store_true",
        help="copy the database and the store as the day's feed left them to <bench folder>/after-feed "
        "(SQLite), then go on",
    )
    parser.add_argument(
        "--next-night-again",
        action="store_true",
        help="only the next night, run on a fresh copy of what --keep-after-feed kept (SQLite): "
        "to time a change to the night on the same data, again and again",
    )
    parser.add_argument(
        "--orm-sample", type=int, default=2000, help="accounts of the row-by-row peer (0: skip)"
    )
    options = parser.parse_args()
    args = (options.accounts, options.postgres)
    lines: list[tuple[str, int, float, float]] = []
    first_night, second_night, next_night = FIRST_NIGHT, SECOND_NIGHT, NEXT_NIGHT
    if options.next_night_again:
        put_back_kept(*args)
        rows, seconds, peak, _ = measure(night, *args, NEXT_NIGHT, "next", runs=1)
        print(f"next night again: {rows:,} accounts, {seconds:.1f} s, peak RSS {peak / 1024:.2f} GiB")
        print((folder_for(*args) / "profile-next.txt").read_text(encoding="utf-8"), end="")
        return
    latest = latest_night(*args) if options.reuse else None
    if latest is not None:  # the book goes on: a night run again before the latest would be a backfill
        first_night, second_night, next_night = (latest + timedelta(days=n) for n in (1, 2, 3))
    if not options.reuse:
        rows, seconds, peak, _ = measure(setup, *args, runs=1)
        lines.append(("setup: generate, store accounts, stage the book", rows, seconds, peak))
        rows, seconds, peak, _ = measure(staffing, *args, runs=1)
        lines.append(("setup: collectors and the queue set", rows, seconds, peak))
    steps = (
        ("first night: every account, cases opened, dealt", night, (first_night, "first")),
        ("second night: every account's roll settles", night, (second_night, "second")),
        ("setup: open promises and active plans taken", arrangements, (next_night,)),
        ("the day's feed: payments imported", day_feed, (next_night,)),
        *(
            [("setup: the state after the feed kept", keep_after_feed, ())]
            if options.keep_after_feed and not options.reuse
            else []
        ),
        ("next night: whole batch on the store", night, (next_night, "next")),
        ("next night rerun: every account recomputed", night, (next_night, "rerun")),
        ("floor: DuckDB reads the store's input columns once", store_floor, ()),
        ("store compaction, forced (rows before)", compaction, ()),
    )
    for label, task, extra in steps:
        rows, seconds, peak, _ = measure(task, *args, *extra, runs=1)
        lines.append((label, rows, seconds, peak))
    [(_, floor_rows, floor_seconds, _)] = [line for line in lines if line[0].startswith("floor")]
    if options.orm_sample:
        peer_book = prepare(100_000)
        _database_with_book(peer_book, None).dispose()  # built once, not timed
        rows, seconds, peak, _ = measure(orm_peer, peer_book, options.orm_sample, runs=1)
        lines.append((f"peer: ORM loop, one account at a time ({rows:,})", rows, seconds, peak))
    database = "PostgreSQL" if options.postgres else "SQLite"
    print(f"\n{floor_rows:,} accounts; operational database {database}; store {folder_for(*args)}")
    print(f"{'measurement':52} {'seconds':>8} {'rows':>11} {'rows/s':>10} {'x floor':>8} {'peak RSS':>9}")
    for label, count, seconds, peak_mib in lines:
        rate = count / seconds if seconds else float("nan")
        ratio = seconds / floor_seconds * floor_rows / count if count else float("nan")
        print(f"{label:52} {seconds:8.1f} {count:11,} {rate:10,.0f} {ratio:8.1f} {peak_mib / 1024:7.2f} GiB")
    for label in ("first", "second", "next", "rerun"):
        profile = folder_for(*args) / f"profile-{label}.txt"
        print(f"\nwhere the {label} night's time goes (time spent until each point):")
        print(profile.read_text(encoding="utf-8"), end="")


if __name__ == "__main__":
    main()
