"""Arrears' own history as scoring input: the portfolio and its snapshots staged in DuckDB,
and a labelled sample for training read from the delinquency snapshots.

The sample: for each observation date D, every account delinquent at D with its features as
of D (point in time), and the outcome 1 when within ``horizon`` days after D the account came
back to the first bucket (cured) or its payments covered the amount overdue at D.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Connection

from arrears.delinquency.repository import read_history
from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_
from arrears.portfolio.frames import PortfolioFrames
from arrears.portfolio.repository import read_account_terms, read_customer_births, read_portfolio
from arrears.scoring.datasets import LabelledData
from arrears.scoring.features import OWN_FEATURES, compute_features, stage_portfolio
from arrears.scoring.frame import from_arrow

HISTORY_DAYS = 210
"""How far back features read snapshots (see arrears.scoring.features)."""


class SampleError(InvalidInputError):
    """The snapshots do not cover the observation dates and their horizon."""

    code = "training_sample"
    default_message = N_("The stored history cannot give a training sample")


def stage_from_database(
    con: duckdb.DuckDBPyConnection,
    connection: Connection,
    snapshots: pa.Table,
    portfolio: PortfolioFrames | None = None,
) -> None:
    """Stage the feature inputs: account terms, customers, dues, payments and ``snapshots``."""
    stage_portfolio(con, **portfolio_inputs(connection, snapshots, portfolio))


def portfolio_inputs(
    connection: Connection, snapshots: pa.Table, portfolio: PortfolioFrames | None = None
) -> dict[str, pa.Table]:
    """The feature inputs as Arrow tables, by the names ``stage_portfolio`` takes them under."""
    portfolio = portfolio if portfolio is not None else read_portfolio(connection)
    return {
        "accounts": read_account_terms(connection),
        "installments": portfolio.installments,
        "payments": portfolio.payments,
        "snapshots": snapshots,
        "customers": read_customer_births(connection),
    }


FEATURE_ENGINES = ("duckdb", "spark")


def features_as_of(
    connection: Connection, as_of: date, engine: str = "duckdb", spark: Any = None
) -> pa.Table:
    """The features of the accounts delinquent at ``as_of``, from the stored snapshots.

    ``engine``: duckdb (embedded) or spark (a local session unless ``spark`` is given).
    """
    if engine not in FEATURE_ENGINES:
        raise InvalidInputError(
            N_("unknown engine {engine}; choose one of {known}"),
            engine=repr(echo(engine)),
            known=", ".join(FEATURE_ENGINES),
        )
    history = read_history(connection, as_of - timedelta(days=HISTORY_DAYS), as_of)
    inputs = portfolio_inputs(connection, history.drop(["overdue_amount"]))
    if engine == "spark":
        from arrears.scoring.spark_features import SparkFeatures  # pyspark only when asked for

        on_spark = SparkFeatures(session=spark)
        try:
            on_spark.stage(**inputs)
            return on_spark.compute(as_of).sort_by("account_id")
        finally:
            on_spark.close()
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        stage_portfolio(con, **inputs)
        return compute_features(con, as_of).sort_by("account_id")
    finally:
        con.close()


def append_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, snapshot: pa.Table) -> None:
    """Add (or replace) one date's snapshot in the staged history."""
    con.register("snapshot_in", snapshot.select(["account_id", "dpd", "bucket_rank", "outstanding_amount"]))
    try:
        con.execute("DELETE FROM snapshots WHERE as_of = $as_of", {"as_of": as_of})
        con.execute(
            "INSERT INTO snapshots SELECT CAST($as_of AS DATE), t.account_key, s.dpd, "
            "s.bucket_rank, s.outstanding_amount FROM snapshot_in AS s "
            "JOIN account_terms AS t ON t.account_id = s.account_id",
            {"as_of": as_of},
        )
    finally:
        con.unregister("snapshot_in")


OUTCOME_SQL = """
WITH cured AS (
    SELECT account_id, BOOL_OR(bucket_rank = 0) AS cured FROM observed_later GROUP BY account_id
),
paid_after AS (
    SELECT g.account_id, SUM(g.signed_amount) AS paid
    FROM ledger AS g
    WHERE g.paid_on > {d} AND g.paid_on <= {end}
    GROUP BY g.account_id
)
SELECT s.account_id,
    CAST(COALESCE(c.cured, FALSE) OR COALESCE(p.paid, 0) >= s.overdue_amount AS TINYINT) AS outcome
FROM observed AS s
LEFT JOIN cured AS c ON c.account_id = s.account_id
LEFT JOIN paid_after AS p ON p.account_id = s.account_id
WHERE s.as_of = {d} AND s.dpd > 0
"""


@dataclass(frozen=True)
class OwnSample:
    data: LabelledData
    observation_dates: list[date]


def observation_dates(first: date, last: date, step_days: int) -> list[date]:
    if last < first:
        raise SampleError(N_("--to {last} is before --from {first}"), last=last, first=first)
    return [first + timedelta(days=n) for n in range(0, (last - first).days + 1, step_days)]


def labelled_sample(
    connection: Connection, first: date, last: date, horizon: int, step_days: int = 7
) -> OwnSample:
    """Features as of each observation date in [first, last] and the outcome ``horizon`` days on."""
    dates = observation_dates(first, last, step_days)
    history = read_history(connection, first - timedelta(days=HISTORY_DAYS), last + timedelta(days=horizon))
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        stage_from_database(con, connection, history.drop(["overdue_amount"]), None)
        con.register("history", history)
        latest = con.execute("SELECT max(as_of) FROM history").fetchone()
        if latest is None or latest[0] is None or latest[0] < last + timedelta(days=horizon):
            raise SampleError(
                N_(
                    "snapshots end at {end}; the outcome of {last} needs them through {through}: "
                    "run `arrears batch run` that far first"
                ),
                end=latest[0] if latest else None,
                last=last,
                through=last + timedelta(days=horizon),
            )
        parts: list[pa.Table] = []
        for day in dates:
            parts.append(_observe(con, day, horizon))
    finally:
        con.close()
    table = pa.concat_tables(parts) if parts else pa.table({})
    if table.num_rows == 0:
        raise SampleError(
            N_("no delinquent accounts on the observation dates {first}..{last}"), first=first, last=last
        )
    outcome = np.asarray(table.column("outcome").to_numpy(zero_copy_only=False), dtype=np.int8)
    features = from_arrow(table, OWN_FEATURES)
    description = (
        f"own history {first}..{last}, every {step_days} days: {table.num_rows:,} delinquent account-dates"
    )
    return OwnSample(LabelledData(features, outcome, description), dates)


def _observe(con: duckdb.DuckDBPyConnection, day: date, horizon: int) -> pa.Table:
    d = f"DATE '{day.isoformat()}'"
    end = f"DATE '{(day + timedelta(days=horizon)).isoformat()}'"
    con.execute(f"CREATE OR REPLACE TEMP VIEW observed AS SELECT * FROM history WHERE as_of = {d}")
    con.execute(
        "CREATE OR REPLACE TEMP VIEW observed_later AS "
        f"SELECT account_id, bucket_rank FROM history WHERE as_of > {d} AND as_of <= {end}"
    )
    outcomes = con.sql(OUTCOME_SQL.format(d=d, end=end)).to_arrow_table()
    features = compute_features(con, day)
    con.register("features_at", features)
    con.register("outcomes_at", outcomes)
    try:
        return con.sql(
            "SELECT f.*, o.outcome FROM features_at AS f JOIN outcomes_at AS o USING (account_id) "
            "ORDER BY f.account_id"
        ).to_arrow_table()
    finally:
        con.unregister("features_at")
        con.unregister("outcomes_at")
