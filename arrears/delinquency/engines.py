"""Engines that run the delinquency definition: DuckDB in process, Apache Spark local or cluster.

Both stage the portfolio once (schedule running totals, ledger by day) and then compute one
snapshot per as-of date, so a backfill of 90 days reads the portfolio once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from arrears.delinquency.definition import (
    carried_ranks_sql,
    previous_ranks_sql,
    snapshot_sql,
    stage_accounts_sql,
    stage_calendar_sql,
    stage_ledger_sql,
    stage_schedule_sql,
    state_sql,
    to_spark,
)
from arrears.delinquency.frames import SNAPSHOT_SCHEMA, empty_previous
from arrears.delinquency.ranges import CHANGES_SCHEMA, STATE_COLUMNS, changes_sql, states_sql
from arrears.delinquency.rules import DelinquencyRules
from arrears.portfolio.frames import PortfolioFrames, conform

ENGINES = ("duckdb", "spark")


class SnapshotEngine(Protocol):
    name: str

    def load(self, portfolio: PortfolioFrames) -> None:
        """Stage the portfolio; later snapshots read the staged tables."""

    def snapshot(
        self,
        as_of: date,
        rules: DelinquencyRules,
        previous: pa.Table | None = None,
        *,
        roll_from_carry: bool = False,
    ) -> pa.Table:
        """Every account's delinquency as of the date, rolled against ``previous`` (account_id, bucket),
        or, with ``roll_from_carry``, against the buckets of the state the engine carries.

        After a snapshot the engine carries each account's state, so the next later date on the
        same staged portfolio recomputes only the accounts that can have changed.
        """

    def carries(self, as_of: date, rules: DelinquencyRules, run_attempt: int) -> bool:
        """Whether the carried state is the one of that run of ``as_of`` (then it can give the roll's
        previous buckets without reading that snapshot back)."""

    def mark_run(self, as_of: date, run_attempt: int) -> None:
        """The snapshot of ``as_of`` was committed as that attempt of the date's run."""

    def close(self) -> None: ...


@dataclass(slots=True)
class CarriedState:
    """The date of the state an engine carries, the rules it was computed under, and the run
    attempt whose snapshot it equals (None until that run committed)."""

    as_of: date
    rules: str
    run_attempt: int | None = None
    generation: int = 0
    """The newest staging generation the state was computed from."""

    def is_run(self, as_of: date, rules: DelinquencyRules, run_attempt: int) -> bool:
        """Whether this is the state of that committed run of ``as_of``, under those rules."""
        return (self.as_of, self.rules, self.run_attempt) == (as_of, rules.fingerprint, run_attempt)


STAGED_TABLES = ("accounts", "schedule", "ledger", "calendar")
CALENDAR_PART = 1_000_000
"""Accounts whose installments are sorted by due date at a time when the calendar is written."""
STORE_FORMAT = 6
"""The layout of the staged tables; a store file of another layout is staged again (5: integer
account keys and staging generations, superseded rows kept until compacted, the calendar;
6: accounts carry their opened_on)."""
COMPACT_SHARE = 0.25
"""Superseded rows, as a share of the schedule and ledger rows, past which a store compacts."""


class DuckDBEngine:
    """The default engine: DuckDB in this process, spilling to ``spill_dir`` past ``memory_limit``.

    With ``database`` the staged tables and the carried state live in that DuckDB file and
    outlast the process: the batch store (arrears.batch.store) keeps them in step with the
    operational database, so a night recomputes only what can have changed.
    """

    name = "duckdb"

    def __init__(
        self,
        memory_limit: str = "3GB",
        threads: int | None = None,
        spill_dir: Path | None = None,
        database: Path | None = None,
        incremental: bool = True,
    ):
        self._con = duckdb.connect(str(database) if database is not None else ":memory:")
        self._incremental = incremental
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute("SET preserve_insertion_order = false")
        self._con.execute("SET enable_progress_bar = false")  # the CLI draws its own
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        if spill_dir is not None:
            self._con.execute(f"SET temp_directory = '{spill_dir}'")
        self._drop_other_format()
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS carry_meta "
            "(as_of DATE, rules VARCHAR, run_attempt INTEGER, generation INTEGER)"
        )
        self._con.execute("CREATE TABLE IF NOT EXISTS superseded (rows BIGINT)")
        self._con.execute("CREATE TABLE IF NOT EXISTS written_meta (as_of DATE, run_attempt INTEGER)")
        self._pending_written: date | None = None
        self._pending_changes_only = False
        leftovers = ("state", "written_next", "written_changes", *(f"{t}_loading" for t in STAGED_TABLES))
        for leftover in leftovers:  # by a killed run
            self._con.execute(f"DROP TABLE IF EXISTS {leftover}")

    def _drop_other_format(self) -> None:
        """A store file written by another version of the layout is emptied (a full read follows)."""
        con = self._con
        con.execute("CREATE TABLE IF NOT EXISTS store_format (version INTEGER)")
        if con.execute("SELECT version FROM store_format").fetchall() == [(STORE_FORMAT,)]:
            return
        for table in (
            *STAGED_TABLES,
            "carry",
            "carry_meta",
            "dirty",
            "superseded",
            "written",
            "written_meta",
        ):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("DELETE FROM store_format")
        con.execute("INSERT INTO store_format VALUES (?)", [STORE_FORMAT])

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def staged(self) -> bool:
        """Whether a portfolio is staged (in a store file, by an earlier process)."""
        names = {row[0] for row in self._con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return set(STAGED_TABLES) <= names

    def load(self, portfolio: PortfolioFrames) -> None:
        """Stage from Arrow: installments and payments are scanned in place, never copied whole;
        once staged, the caller can let the frames go."""
        self.load_chunks([portfolio])

    def load_chunks(self, chunks: Iterable[PortfolioFrames]) -> int:
        """Stage a portfolio that arrives in parts, each holding whole accounts (every row of an
        account in the same part): a book larger than memory is staged part by part, each part
        appended and committed to tables of their own (on disk in a store file; one long
        transaction would keep them in memory), which replace the staged ones at the end, all
        at once. Returns the rows staged."""
        con = self._con
        rows = 0
        first_key = 0
        for number, chunk in enumerate(chunks):
            verb = "CREATE OR REPLACE TABLE {}_loading AS" if number == 0 else "INSERT INTO {}_loading"
            con.register("accounts_frame", chunk.accounts)
            con.register("installments", chunk.installments)
            con.register("payments", chunk.payments)
            try:
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE account_keys AS "
                    + stage_accounts_sql("accounts_frame", first_key, generation=0)
                )
                con.execute(f"{verb.format('accounts')} SELECT * FROM account_keys ORDER BY k")
                con.execute(f"{verb.format('schedule')} {stage_schedule_sql(0)}")
                con.execute(
                    f"{verb.format('calendar')} " + _calendar_sql("schedule_loading", f"k >= {first_key}")
                )
                con.execute(f"{verb.format('ledger')} {stage_ledger_sql(0)}")
            finally:
                for name in ("accounts_frame", "installments", "payments"):
                    con.unregister(name)
                con.execute("DROP TABLE IF EXISTS account_keys")
            first_key += chunk.accounts.num_rows
            rows += chunk.accounts.num_rows + chunk.installments.num_rows + chunk.payments.num_rows
        con.execute("BEGIN TRANSACTION")
        for table in STAGED_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
            con.execute(f"ALTER TABLE {table}_loading RENAME TO {table}")
        self._forget()
        con.execute("DELETE FROM superseded")
        con.execute("COMMIT")
        return rows

    def restage(self, changes: PortfolioFrames) -> int:
        """Apply feed rows that are new or changed since the portfolio was staged: every account
        they touch is staged again, whole (its account row, schedule and ledger from its stored
        rows and the changed ones), under a new staging generation, so that the next snapshot
        recomputes it whatever the carried state says. Its older schedule and ledger rows are
        superseded, not deleted: deleting rows scattered over a 300M-row table makes DuckDB
        hold a deletion mask for nearly every vector of it in memory (GiBs at 10M accounts).
        A new account gets the next free key. Returns how many accounts were staged again."""
        con = self._con
        con.register("changed_accounts", changes.accounts)
        con.register("changed_installments", changes.installments)
        con.register("changed_payments", changes.payments)
        try:
            con.execute("BEGIN TRANSACTION")
            generation = _one(con, "SELECT COALESCE(MAX(gen), 0) + 1 FROM accounts")
            con.execute(RESTAGE_KEYS)
            con.execute(RESTAGE_ROWS)
            con.execute(RESTAGE_ACCOUNTS.format(generation=generation))
            con.execute(f"INSERT INTO schedule {stage_schedule_sql(generation)}")
            con.execute("INSERT INTO calendar " + _calendar_sql("schedule", f"gen = {generation}"))
            con.execute(f"INSERT INTO ledger {stage_ledger_sql(generation)}")
            touched = _one(con, "SELECT count(*) FROM account_keys")
            for name in ("installments", "payments", "account_keys"):
                con.execute(f"DROP TABLE {name}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for name in ("changed_accounts", "changed_installments", "changed_payments"):
                con.unregister(name)
        return touched

    def compact(self, *, force: bool = False) -> bool:
        """Drop the superseded rows once they pass COMPACT_SHARE of the schedule and ledger (or
        when forced): each table is written again with its current rows only, in one
        transaction. Returns whether it did."""
        con = self._con
        superseded = _one(con, "SELECT COALESCE(SUM(rows), 0) FROM superseded")
        if not superseded or not self.staged():
            return False
        stored = _one(con, "SELECT (SELECT count(*) FROM schedule) + (SELECT count(*) FROM ledger)")
        if not force and superseded < COMPACT_SHARE * stored:
            return False
        con.execute("BEGIN TRANSACTION")
        for table in ("schedule", "ledger"):
            con.execute(
                f"CREATE TABLE {table}_loading AS SELECT t.* FROM {table} AS t "
                "SEMI JOIN accounts AS a ON a.k = t.k AND a.gen = t.gen"
            )
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE {table}_loading RENAME TO {table}")
        self._write_calendar()
        con.execute("DELETE FROM superseded")
        con.execute("COMMIT")
        return True

    def _write_calendar(self) -> None:
        """The calendar again from the schedule, sorted by due date a range of accounts at a
        time (one sort of 300M rows would spill them all)."""
        con = self._con
        last = _one(con, "SELECT COALESCE(MAX(k), -1) FROM accounts")
        con.execute("CREATE OR REPLACE TABLE calendar_loading AS " + _calendar_sql("schedule", "false"))
        for first in range(0, last + 1, CALENDAR_PART):
            where = f"k >= {first} AND k < {first + CALENDAR_PART}"
            con.execute("INSERT INTO calendar_loading " + _calendar_sql("schedule", where))
        con.execute("DROP TABLE calendar")
        con.execute("ALTER TABLE calendar_loading RENAME TO calendar")

    def frames(self) -> PortfolioFrames:
        """The staged portfolio as Arrow, e.g. for another engine or the scoring step."""
        con = self._con
        return PortfolioFrames.of(
            con.sql(
                "SELECT account_id, customer_id, currency, status, opened_on FROM accounts"
            ).to_arrow_table(),
            con.sql(
                "SELECT a.account_id, s.seq, s.due_date, s.amount_due "
                "FROM schedule AS s JOIN accounts AS a ON a.k = s.k AND a.gen = s.gen"
            ).to_arrow_table(),
            con.sql(
                "SELECT l.payment_id, a.account_id, l.paid_on, l.amount, l.reverses "
                "FROM ledger AS l JOIN accounts AS a ON a.k = l.k AND a.gen = l.gen"
            ).to_arrow_table(),
        )

    def carried(self) -> CarriedState | None:
        rows = self._con.execute("SELECT as_of, rules, run_attempt, generation FROM carry_meta").fetchall()
        return CarriedState(*rows[0]) if rows else None

    def carries(self, as_of: date, rules: DelinquencyRules, run_attempt: int) -> bool:
        carried = self.carried()
        return carried is not None and carried.is_run(as_of, rules, run_attempt)

    def mark_run(self, as_of: date, run_attempt: int) -> None:
        self._con.execute("UPDATE carry_meta SET run_attempt = ? WHERE as_of = ?", [run_attempt, as_of])
        if self._pending_written == as_of:
            self._keep_written(as_of, run_attempt)

    def changes_since_written(
        self, snapshot: pa.Table, as_of: date, base: tuple[date, int] | None
    ) -> pa.Table | None:
        """What ``snapshot`` (of ``as_of``, the latest snapshot date or after it) changes against
        the snapshot this store wrote last, when that is the one the database holds for
        ``base`` (its date and run attempt): the accounts whose state differs
        (``ranges.CHANGES_SCHEMA``); None when the store does not hold that one. What is needed
        to make the snapshot's states the written ones is kept aside until its run is marked
        (:meth:`mark_run`): the changes alone (``written_changes``, applied to ``written`` then;
        a night changes a few percent of the accounts, and writing every state again cost most
        of this step), or every state (``written_next``) when the store holds no usable base."""
        con = self._con
        held = con.execute("SELECT as_of, run_attempt FROM written_meta").fetchall()
        usable = base is not None and held == [base]
        con.register("night_snapshot", snapshot)
        try:
            if usable:
                states = f"({states_sql('night_snapshot', ordered=False)})"
                con.execute(f"CREATE OR REPLACE TABLE written_changes AS {changes_sql(states, 'written')}")
            else:
                con.execute(f"CREATE OR REPLACE TABLE written_next AS {states_sql('night_snapshot')}")
        finally:
            con.unregister("night_snapshot")
        self._pending_written, self._pending_changes_only = as_of, usable
        if not usable:
            con.execute("DROP TABLE IF EXISTS written_changes")
            return None
        con.execute("DROP TABLE IF EXISTS written_next")
        ordered = "SELECT * FROM written_changes ORDER BY account_id"  # the table keeps no order
        return con.sql(ordered).to_arrow_table().cast(CHANGES_SCHEMA)

    def _keep_written(self, as_of: date, run_attempt: int) -> None:
        """The states kept aside become the written snapshot of that run, all at once: the changes
        applied to the written states, or every state put in their place."""
        con = self._con
        columns = ", ".join(("account_id", *STATE_COLUMNS))
        con.execute("BEGIN TRANSACTION")
        if self._pending_changes_only:
            con.execute("DELETE FROM written WHERE account_id IN (SELECT account_id FROM written_changes)")
            con.execute(
                f"INSERT INTO written ({columns}) SELECT {columns} FROM written_changes WHERE present"
            )
            con.execute("DROP TABLE written_changes")
        else:
            con.execute("DROP TABLE IF EXISTS written")
            con.execute("ALTER TABLE written_next RENAME TO written")
        con.execute("DELETE FROM written_meta")
        con.execute("INSERT INTO written_meta VALUES (?, ?)", [as_of, run_attempt])
        con.execute("COMMIT")
        self._pending_written = None

    def snapshot(
        self,
        as_of: date,
        rules: DelinquencyRules,
        previous: pa.Table | None = None,
        *,
        roll_from_carry: bool = False,
    ) -> pa.Table:
        con = self._con
        carried = self.carried()
        carried_as_of = _usable(carried, as_of, rules, self._incremental)
        generation = _one(con, "SELECT COALESCE(MAX(gen), 0) FROM accounts")
        carried_generation = carried.generation if carried is not None else 0
        con.execute(
            f"CREATE OR REPLACE TABLE state AS {state_sql(as_of, rules, carried_as_of, carried_generation)}"
        )
        if roll_from_carry and carried is not None:
            con.execute(f"CREATE OR REPLACE TEMP VIEW previous AS {carried_ranks_sql(carried.as_of, rules)}")
        else:
            con.register("previous_frame", previous if previous is not None else empty_previous())
            con.execute(f"CREATE OR REPLACE TEMP VIEW previous AS {previous_ranks_sql(rules)}")
        try:
            result = con.sql(snapshot_sql(as_of, rules)).to_arrow_table()
        finally:
            con.execute("DROP VIEW previous")
            if not (roll_from_carry and carried is not None):
                con.unregister("previous_frame")
        self._keep_state(as_of, rules, generation)
        return conform(result, SNAPSHOT_SCHEMA)

    def _keep_state(self, as_of: date, rules: DelinquencyRules, generation: int) -> None:
        """The new state replaces the carried one, all at once: a process killed here keeps either."""
        con = self._con
        con.execute("BEGIN TRANSACTION")
        con.execute("DROP TABLE IF EXISTS carry")
        con.execute("ALTER TABLE state RENAME TO carry")
        con.execute("DELETE FROM carry_meta")
        con.execute("INSERT INTO carry_meta VALUES (?, ?, NULL, ?)", [as_of, rules.fingerprint, generation])
        con.execute("COMMIT")

    def _forget(self) -> None:
        self._con.execute("DROP TABLE IF EXISTS carry")
        self._con.execute("DELETE FROM carry_meta")

    def close(self) -> None:
        self._con.close()


def _usable(
    carried: CarriedState | None, as_of: date, rules: DelinquencyRules, incremental: bool
) -> date | None:
    """The carried state's date when the state as of ``as_of`` can start from it."""
    if incremental and carried is not None and carried.as_of < as_of and carried.rules == rules.fingerprint:
        return carried.as_of
    return None


def _calendar_sql(schedule: str, where: str) -> str:
    """The calendar's rows of ``schedule`` that meet ``where``, by due date."""
    return f"SELECT * FROM ({stage_calendar_sql(schedule)}) AS c WHERE {where} ORDER BY due_date"


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()  # all: DuckDB refuses other work while a result is pending
    return int(rows[0][0]) if rows else 0


# Restaging after a feed import (DuckDBEngine.restage). The touched accounts keep their keys;
# new ones are numbered after the last key, in account_id order.
RESTAGE_KEYS = """
CREATE OR REPLACE TEMP TABLE touched AS
SELECT account_id FROM changed_accounts
UNION SELECT account_id FROM changed_installments
UNION SELECT account_id FROM changed_payments;
CREATE OR REPLACE TEMP TABLE account_keys AS
SELECT t.account_id, a.k, a.gen AS stored_gen
FROM touched AS t JOIN accounts AS a ON a.account_id = t.account_id;
INSERT INTO account_keys
SELECT t.account_id, (SELECT COALESCE(MAX(k), -1) FROM accounts) + ROW_NUMBER() OVER (ORDER BY t.account_id),
       NULL
FROM touched AS t
WHERE t.account_id NOT IN (SELECT account_id FROM account_keys);
DROP TABLE touched;
"""
# The touched accounts' rows as the feed has them: their current stored rows the import did not
# replace, and the imported ones. Their stored rows become superseded, and are counted.
RESTAGE_ROWS = """
CREATE OR REPLACE TEMP TABLE stored_installments AS
SELECT t.account_id, s.seq, s.due_date, s.amount_due
FROM schedule AS s
JOIN account_keys AS t ON t.k = s.k AND t.stored_gen = s.gen;
CREATE OR REPLACE TEMP TABLE stored_payments AS
SELECT l.payment_id, t.account_id, l.paid_on, l.amount, l.reverses
FROM ledger AS l
JOIN account_keys AS t ON t.k = l.k AND t.stored_gen = l.gen;
INSERT INTO superseded
SELECT (SELECT count(*) FROM stored_installments) + (SELECT count(*) FROM stored_payments);
CREATE OR REPLACE TEMP TABLE installments AS
SELECT s.account_id, s.seq, s.due_date, s.amount_due
FROM stored_installments AS s
WHERE NOT EXISTS (
    SELECT 1 FROM changed_installments AS c WHERE c.account_id = s.account_id AND c.seq = s.seq
)
UNION ALL
SELECT account_id, seq, due_date, amount_due FROM changed_installments;
CREATE OR REPLACE TEMP TABLE payments AS
SELECT p.payment_id, p.account_id, p.paid_on, p.amount, p.reverses
FROM stored_payments AS p
WHERE p.payment_id NOT IN (SELECT payment_id FROM changed_payments)
UNION ALL
SELECT payment_id, account_id, paid_on, amount, reverses FROM changed_payments;
DROP TABLE stored_installments;
DROP TABLE stored_payments;
"""
RESTAGE_ACCOUNTS = """
CREATE OR REPLACE TEMP TABLE restaged_accounts AS
SELECT t.k, c.account_id, c.customer_id, c.currency, c.status, c.opened_on
FROM changed_accounts AS c JOIN account_keys AS t ON t.account_id = c.account_id
UNION ALL
SELECT a.k, a.account_id, a.customer_id, a.currency, a.status, a.opened_on
FROM accounts AS a JOIN account_keys AS t ON t.k = a.k
WHERE a.account_id NOT IN (SELECT account_id FROM changed_accounts);
DELETE FROM accounts WHERE k IN (SELECT k FROM account_keys);
INSERT INTO accounts
SELECT k, account_id, customer_id, currency, status, opened_on, {generation}
FROM restaged_accounts ORDER BY k;
DROP TABLE restaged_accounts;
"""


class SparkWorkspace:
    """A Spark session (its own, or one lent and left running) and a folder where Arrow tables
    become temporary views through Parquet (on a cluster, a path every executor can read).
    Frames it caches are released on :meth:`uncache` and :meth:`close`."""

    def __init__(self, master: str, work_dir: Path | None, session: Any, prefix: str) -> None:
        self._owns_session = session is None
        self.spark: Any = session if session is not None else spark_session(master)
        self._tmp = None if work_dir is not None else tempfile.TemporaryDirectory(prefix=prefix)
        self._dir = work_dir if work_dir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self._dir.mkdir(parents=True, exist_ok=True)
        self._cached: list[Any] = []

    def view(self, name: str, table: pa.Table) -> None:
        path = self._dir / f"{name}.parquet"
        pq.write_table(table, path)
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def cache(self, name: str, sql: str) -> None:
        """The query (DuckDB's dialect) as a cached view of that name."""
        frame = self.spark.sql(to_spark(sql)).cache()
        frame.createOrReplaceTempView(name)
        self._cached.append(frame)

    def uncache(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached = []

    def close(self) -> None:
        self.uncache()
        if self._owns_session:
            self.spark.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


class SparkEngine:
    """The same definition on Spark: ``local[2]`` in tests, a cluster URL in production.

    The portfolio goes to Spark as Parquet in ``work_dir`` (on a cluster, a path every
    executor can read). The carried state lives as long as the session.
    """

    name = "spark"

    def __init__(
        self,
        master: str = "local[2]",
        work_dir: Path | None = None,
        session: Any = None,
        incremental: bool = True,
    ):
        self._incremental = incremental
        self._carried: CarriedState | None = None
        self._workspace = SparkWorkspace(master, work_dir, session, prefix="arrears-spark-")
        self._spark = self._workspace.spark

    @property
    def spark(self) -> Any:
        """The engine's Spark session (the strategy step runs its SQL on it too)."""
        return self._spark

    def load(self, portfolio: PortfolioFrames) -> None:
        self._workspace.uncache()
        self._workspace.view("accounts_frame", portfolio.accounts)
        self._workspace.view("installments", portfolio.installments)
        self._workspace.view("payments", portfolio.payments)
        self._workspace.cache("accounts", stage_accounts_sql("accounts_frame", 0, generation=0))
        self._spark.table("accounts").createOrReplaceTempView("account_keys")
        self._workspace.cache("schedule", stage_schedule_sql(0))
        self._spark.sql(to_spark(stage_calendar_sql())).createOrReplaceTempView("calendar")
        self._workspace.cache("ledger", stage_ledger_sql(0))
        self._carried = None

    def carries(self, as_of: date, rules: DelinquencyRules, run_attempt: int) -> bool:
        carried = self._carried
        return carried is not None and carried.is_run(as_of, rules, run_attempt)

    def mark_run(self, as_of: date, run_attempt: int) -> None:
        if self._carried is not None and self._carried.as_of == as_of:
            self._carried.run_attempt = run_attempt

    def snapshot(
        self,
        as_of: date,
        rules: DelinquencyRules,
        previous: pa.Table | None = None,
        *,
        roll_from_carry: bool = False,
    ) -> pa.Table:
        carried = self._carried
        sql = state_sql(as_of, rules, _usable(carried, as_of, rules, self._incremental))
        # materialised and cut from its lineage, so that night after night the plan stays one night long
        state = self._spark.sql(to_spark(sql)).localCheckpoint()
        if roll_from_carry and carried is not None:
            self._spark.sql(to_spark(carried_ranks_sql(carried.as_of, rules))).createOrReplaceTempView(
                "previous"
            )
        else:
            self._workspace.view("previous_frame", previous if previous is not None else empty_previous())
            self._spark.sql(to_spark(previous_ranks_sql(rules))).createOrReplaceTempView("previous")
        state.createOrReplaceTempView("state")
        result = self._spark.sql(to_spark(snapshot_sql(as_of, rules))).toArrow()
        state.createOrReplaceTempView("carry")
        self._carried = CarriedState(as_of, rules.fingerprint)
        return conform(result, SNAPSHOT_SCHEMA)

    def close(self) -> None:
        self._workspace.close()


def spark_session(master: str) -> Any:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("arrears-batch")
    if master.startswith("local"):
        # small local runs: a few partitions, not the cluster default of 200
        builder = builder.config("spark.sql.shuffle.partitions", "2").config("spark.default.parallelism", "2")
    session = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def make_engine(
    name: str,
    spark_master: str = "local[2]",
    spark_work_dir: Path | None = None,
    store: DuckDBEngine | None = None,
) -> SnapshotEngine:
    """The engine by name; DuckDB computes in the batch store when there is one."""
    if name == "duckdb":
        return store if store is not None else DuckDBEngine()
    if name == "spark":
        return SparkEngine(spark_master, work_dir=spark_work_dir)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
