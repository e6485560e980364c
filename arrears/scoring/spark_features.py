"""The feature definition on Spark: the same staging and feature SQL, transpiled by sqlglot.

Nothing is rewritten by hand: :data:`arrears.scoring.features.STAGING` and
:func:`arrears.scoring.features.features_sql` are DuckDB SQL, and the delinquency
definition's :func:`to_spark` turns them into Spark SQL, as the batch does for snapshots.
Inputs go to Spark as Parquet in a work directory (on a cluster, a path every executor can
read); the staged tables are cached for the session.

One difference of execution, not of result: the dense ``account_key`` is a ROW_NUMBER over
the whole account list, which Spark computes in a single partition (a sort of the account
ids, once per staging).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from arrears.delinquency.definition import to_spark
from arrears.delinquency.engines import spark_session
from arrears.scoring.features import STAGING, features_sql, staging_inputs


class SparkFeatures:
    """Stage a portfolio once, then compute the features of any as-of date on Spark."""

    def __init__(self, session: Any = None, master: str = "local[2]", work_dir: Path | None = None) -> None:
        self._owns_session = session is None
        self._spark = session if session is not None else spark_session(master)
        self._tmp = None if work_dir is not None else tempfile.TemporaryDirectory(prefix="arrears-features-")
        self._dir = work_dir if work_dir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self._dir.mkdir(parents=True, exist_ok=True)
        self._cached: list[Any] = []

    def stage(
        self,
        accounts: pa.Table,
        installments: pa.Table,
        payments: pa.Table,
        snapshots: pa.Table,
        customers: pa.Table | None = None,
    ) -> None:
        """The same inputs as :func:`arrears.scoring.features.stage_portfolio` takes."""
        self._uncache()
        for name, table in staging_inputs(accounts, installments, payments, snapshots, customers).items():
            self._view(name, table)
        for name, sql in STAGING:
            frame = self._spark.sql(to_spark(sql)).cache()
            frame.createOrReplaceTempView(name)
            self._cached.append(frame)

    def compute(
        self, as_of: date, delinquent_only: bool = True, accounts: pa.Table | None = None
    ) -> pa.Table:
        """One row per account, as :func:`arrears.scoring.features.compute_features` gives."""
        if accounts is not None:
            self._view("chosen_accounts", accounts.select(["account_id"]))
        sql = features_sql(as_of, delinquent_only and accounts is None, chosen=accounts is not None)
        table: pa.Table = self._spark.sql(to_spark(sql)).toArrow()
        return table

    def close(self) -> None:
        self._uncache()
        if self._owns_session:
            self._spark.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def _view(self, name: str, table: pa.Table) -> None:
        path = self._dir / f"{name}.parquet"
        pq.write_table(table, path)
        self._spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def _uncache(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached = []
