"""The feature definition on Spark gives exactly DuckDB's features of a generated book."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from arrears.cli import app
from arrears.scoring import own_data
from arrears.scoring.features import compute_features, stage_portfolio
from arrears.scoring.spark_features import SparkFeatures
from tests.scoring.generated_book import AS_OF, generated_book
from tests.scoring.own_history_book import LAST, backfilled_book
from tests.scoring.test_cli import database  # noqa: F401  (the fixture)

runner = CliRunner()


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_and_duckdb_compute_identical_features(spark: Any) -> None:
    book = generated_book(400)
    con = duckdb.connect()
    stage_portfolio(con, **book)
    on_spark = SparkFeatures(session=spark)
    on_spark.stage(**book)
    chosen = pa.table({"account_id": ["A3", "A10", "A11", "A250", "nobody"]})
    cases: list[tuple[Any, dict[str, Any]]] = [
        (AS_OF, {"delinquent_only": False}),
        (AS_OF - timedelta(days=30), {}),
        (AS_OF, {"accounts": chosen}),
    ]
    try:
        for as_of, options in cases:
            by_duckdb = compute_features(con, as_of, **options).sort_by("account_id")
            by_spark = on_spark.compute(as_of, **options).sort_by("account_id")
            assert by_spark.column_names == by_duckdb.column_names
            assert by_spark.to_pylist() == by_duckdb.to_pylist(), (as_of, options)
    finally:
        on_spark.close()
    everyone = compute_features(con, AS_OF, delinquent_only=False)
    assert compute_features(con, AS_OF, accounts=chosen).num_rows == 4
    # the book reaches the cases that could differ: gaps, cures, no payment, no limit, no birth date
    for column in ("bucket_1m_ago", "days_since_last_payment", "utilisation", "customer_age"):
        assert 0 < everyone.column(column).null_count < everyone.num_rows, column
    assert max(everyone.column("cures_6m").to_pylist()) >= 2
    assert len(set(everyone.column("pay_ratio_6m").to_pylist())) > 300


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_model_features_writes_what_either_engine_computes_from_the_database(
    database: Engine,  # noqa: F811
    spark: Any,
    tmp_path: Path,
) -> None:
    backfilled_book(database, accounts=60)
    out = tmp_path / "features.parquet"
    written = runner.invoke(app, ["model", "features", "--as-of", LAST.isoformat(), "--out", str(out)])
    assert written.exit_code == 0, written.output
    by_duckdb = pq.read_table(out)
    with database.connect() as connection:
        delinquent = connection.scalar(
            text("SELECT COUNT(*) FROM delinquency_snapshots WHERE as_of = :d AND dpd > 0"), {"d": LAST}
        )
        by_spark = own_data.features_as_of(connection, LAST, "spark", spark=spark)
    assert f"{delinquent:,} accounts' features" in written.output
    assert by_duckdb.num_rows == delinquent > 0
    assert by_spark.to_pylist() == by_duckdb.to_pylist()
    wrong = runner.invoke(
        app, ["model", "features", "--as-of", LAST.isoformat(), "--out", str(out), "--engine", "polars"]
    )
    assert wrong.exit_code == 2 and "duckdb, spark" in wrong.output
