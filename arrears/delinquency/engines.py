"""Engines that run the delinquency definition: DuckDB in process, Apache Spark local or cluster.

Both stage the portfolio once (schedule running totals, ledger by day) and then compute one
snapshot per as-of date, so a backfill of 90 days reads the portfolio once.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from arrears.delinquency.definition import STAGE_LEDGER, STAGE_SCHEDULE, snapshot_sql, state_sql, to_spark
from arrears.delinquency.frames import SNAPSHOT_SCHEMA, PortfolioFrames, conform, empty_previous
from arrears.delinquency.rules import DelinquencyRules

ENGINES = ("duckdb", "spark")


class SnapshotEngine(Protocol):
    name: str

    def load(self, portfolio: PortfolioFrames) -> None:
        """Stage the portfolio; later snapshots read the staged tables."""

    def snapshot(self, as_of: date, rules: DelinquencyRules, previous: pa.Table | None = None) -> pa.Table:
        """Every account's delinquency as of the date, rolled against ``previous`` (account_id, bucket).

        After a snapshot the engine carries each account's state, so the next later date on the
        same staged portfolio recomputes only the accounts that can have changed.
        """

    def close(self) -> None: ...


class _Carry:
    """Which state the engine carries: its date and the rules it was computed with."""

    def __init__(self, incremental: bool) -> None:
        self.incremental = incremental
        self.as_of: date | None = None
        self.rules: DelinquencyRules | None = None

    def usable_for(self, as_of: date, rules: DelinquencyRules) -> date | None:
        if self.incremental and self.as_of is not None and self.as_of < as_of and self.rules == rules:
            return self.as_of
        return None

    def remember(self, as_of: date, rules: DelinquencyRules) -> None:
        self.as_of, self.rules = as_of, rules

    def forget(self) -> None:
        self.as_of, self.rules = None, None


class DuckDBEngine:
    """The default engine: DuckDB in this process, spilling to ``spill_dir`` past ``memory_limit``.

    With ``database`` the staged tables live in that DuckDB file instead of memory, so a book
    larger than ``memory_limit`` is staged on disk.
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
        self._carry = _Carry(incremental)
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute("SET preserve_insertion_order = false")
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        if spill_dir is not None:
            self._con.execute(f"SET temp_directory = '{spill_dir}'")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def load(self, portfolio: PortfolioFrames) -> None:
        """Stage from Arrow: installments and payments are scanned in place, never copied whole;
        once staged, the caller can let the frames go."""
        con = self._con
        con.register("accounts_frame", portfolio.accounts)
        con.execute("CREATE OR REPLACE TABLE accounts AS SELECT * FROM accounts_frame")
        con.unregister("accounts_frame")
        con.register("installments", portfolio.installments)
        con.register("payments", portfolio.payments)
        try:
            self._stage()
        finally:
            con.unregister("installments")
            con.unregister("payments")

    def _stage(self) -> None:
        self._con.execute(f"CREATE OR REPLACE TABLE schedule AS {STAGE_SCHEDULE}")
        self._con.execute(f"CREATE OR REPLACE TABLE ledger AS {STAGE_LEDGER}")
        self._con.execute("DROP TABLE IF EXISTS carry")
        self._carry.forget()

    def snapshot(self, as_of: date, rules: DelinquencyRules, previous: pa.Table | None = None) -> pa.Table:
        con = self._con
        carried_as_of = self._carry.usable_for(as_of, rules)
        con.execute(f"CREATE OR REPLACE TABLE state AS {state_sql(as_of, rules, carried_as_of)}")
        con.register("previous", previous if previous is not None else empty_previous())
        try:
            result = con.sql(snapshot_sql(as_of, rules)).to_arrow_table()
        finally:
            con.unregister("previous")
        con.execute("DROP TABLE IF EXISTS carry")
        con.execute("ALTER TABLE state RENAME TO carry")
        self._carry.remember(as_of, rules)
        return conform(result, SNAPSHOT_SCHEMA)

    def close(self) -> None:
        self._con.close()


class SparkEngine:
    """The same definition on Spark: ``local[2]`` in tests, a cluster URL in production.

    The portfolio goes to Spark as Parquet in ``work_dir`` (on a cluster, a path every
    executor can read).
    """

    name = "spark"

    def __init__(
        self,
        master: str = "local[2]",
        work_dir: Path | None = None,
        session: Any = None,
        incremental: bool = True,
    ):
        self._carry = _Carry(incremental)
        self._owns_session = session is None
        self._spark = session if session is not None else spark_session(master)
        self._tmp = None if work_dir is not None else tempfile.TemporaryDirectory(prefix="arrears-spark-")
        self._dir = work_dir if work_dir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self._dir.mkdir(parents=True, exist_ok=True)
        self._staged: list[Any] = []

    def _view(self, name: str, table: pa.Table) -> Any:
        path = self._dir / f"{name}.parquet"
        pq.write_table(table, path)
        frame = self._spark.read.parquet(str(path))
        frame.createOrReplaceTempView(name)
        return frame

    def load(self, portfolio: PortfolioFrames) -> None:
        for name in ("accounts", "installments", "payments"):
            self._view(name, getattr(portfolio, name))
        for name, sql in (("schedule", STAGE_SCHEDULE), ("ledger", STAGE_LEDGER)):
            frame = self._spark.sql(to_spark(sql)).cache()
            frame.createOrReplaceTempView(name)
            self._staged.append(frame)
        self._carry.forget()

    def snapshot(self, as_of: date, rules: DelinquencyRules, previous: pa.Table | None = None) -> pa.Table:
        sql = state_sql(as_of, rules, self._carry.usable_for(as_of, rules))
        # materialised and cut from its lineage, so that night after night the plan stays one night long
        state = self._spark.sql(to_spark(sql)).localCheckpoint()
        state.createOrReplaceTempView("state")
        self._view("previous", previous if previous is not None else empty_previous())
        result = self._spark.sql(to_spark(snapshot_sql(as_of, rules))).toArrow()
        state.createOrReplaceTempView("carry")
        self._carry.remember(as_of, rules)
        return conform(result, SNAPSHOT_SCHEMA)

    def close(self) -> None:
        for frame in self._staged:
            frame.unpersist()
        if self._owns_session:
            self._spark.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


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
    name: str, spark_master: str = "local[2]", spark_work_dir: Path | None = None
) -> SnapshotEngine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine(spark_master, work_dir=spark_work_dir)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
