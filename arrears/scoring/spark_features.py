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

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from arrears.delinquency.definition import to_spark
from arrears.delinquency.engines import SparkWorkspace
from arrears.scoring.features import STAGING, features_sql, staging_inputs


class SparkFeatures:
    """Stage a portfolio once, then compute the features of any as-of date on Spark."""

    def __init__(self, session: Any = None, master: str = "local[2]", work_dir: Path | None = None) -> None:
        self._workspace = SparkWorkspace(master, work_dir, session, prefix="arrears-features-")

    def stage(
        self,
        accounts: pa.Table,
        installments: pa.Table,
        payments: pa.Table,
        snapshots: pa.Table,
        customers: pa.Table | None = None,
    ) -> None:
        """The same inputs as :func:`arrears.scoring.features.stage_portfolio` takes."""
        self._workspace.uncache()
        for name, table in staging_inputs(accounts, installments, payments, snapshots, customers).items():
            self._workspace.view(name, table)
        for name, sql in STAGING:
            self._workspace.cache(name, sql)

    def compute(
        self, as_of: date, delinquent_only: bool = True, accounts: pa.Table | None = None
    ) -> pa.Table:
        """One row per account, as :func:`arrears.scoring.features.compute_features` gives."""
        if accounts is not None:
            self._workspace.view("chosen_accounts", accounts.select(["account_id"]))
        sql = features_sql(as_of, delinquent_only and accounts is None, chosen=accounts is not None)
        table: pa.Table = self._workspace.spark.sql(to_spark(sql)).toArrow()
        return table

    def close(self) -> None:
        self._workspace.close()
