"""Export a stored snapshot for a data warehouse: CSV or Parquet, amounts as decimal strings.

Columns: account_id, customer_id, as_of, dpd, bucket, overdue_amount, currency, roll. The
overdue amount is written in major units with exactly the currency's decimals ("1234.50" CNY,
"1234" JPY), formatted in DuckDB over the whole column, never through a float.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Connection

from arrears.money import exponent
from arrears.spreadsheet import neutralise_table

EXPORT_COLUMNS = ("account_id", "customer_id", "as_of", "dpd", "bucket", "overdue_amount", "currency", "roll")
STORED = pa.schema(
    [
        ("account_id", pa.string()),
        ("customer_id", pa.string()),
        ("as_of", pa.date32()),
        ("dpd", pa.int32()),
        ("bucket", pa.string()),
        ("overdue_amount", pa.int64()),
        ("currency", pa.string()),
        ("roll", pa.string()),
    ]
)

FORMAT_SQL = """
SELECT s.account_id, s.customer_id, s.as_of, s.dpd, s.bucket,
    CASE WHEN e.places = 0 THEN CAST(s.overdue_amount AS VARCHAR)
         ELSE CAST(s.overdue_amount // e.unit AS VARCHAR) || '.'
              || lpad(CAST(s.overdue_amount % e.unit AS VARCHAR), e.places, '0')
    END AS overdue_amount,
    s.currency, s.roll
FROM snapshot AS s JOIN places AS e USING (currency)
ORDER BY s.account_id
"""


class ExportError(ValueError):
    """The export cannot be written (no snapshot for the date, unknown file type)."""


def decimal_strings(snapshot: pa.Table) -> pa.Table:
    """The export columns with overdue_amount as a decimal string in major units."""
    currencies = sorted(set(snapshot.column("currency").unique().to_pylist()))
    places = pa.table(
        {
            "currency": pa.array(currencies, pa.string()),
            "places": pa.array([exponent(c) for c in currencies], pa.int32()),
            "unit": pa.array([10 ** exponent(c) for c in currencies], pa.int64()),
        }
    )
    con = duckdb.connect()
    try:
        con.register("snapshot", snapshot)
        con.register("places", places)
        return con.sql(FORMAT_SQL).to_arrow_table()
    finally:
        con.close()


def write_table(table: pa.Table, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ExportError(f"{out}: write .csv or .parquet (导出文件须为 .csv 或 .parquet)")
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        # A cell a spreadsheet would run as a formula is neutralised in a CSV (arrears.spreadsheet).
        con.register("export_rows", neutralise_table(table) if suffix == ".csv" else table)
        options = "FORMAT csv, HEADER true" if suffix == ".csv" else "FORMAT parquet"
        target = str(out).replace("'", "''")
        con.execute(f"COPY export_rows TO '{target}' ({options})")
    finally:
        con.close()


def export_snapshot(connection: Connection, as_of: date, out: Path) -> int:
    """Write the snapshot of ``as_of`` to ``out``; returns the number of rows."""
    from arrears.batch.bulk import read_arrow

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ExportError(f"{out}: write .csv or .parquet (导出文件须为 .csv 或 .parquet)")
    sql = (
        f"SELECT {', '.join(STORED.names)} FROM delinquency_snapshots "
        f"WHERE as_of = '{as_of.isoformat()}' ORDER BY account_id"
    )
    snapshot = read_arrow(connection, sql, STORED)
    if snapshot.num_rows == 0:
        raise ExportError(
            f"no snapshot as of {as_of.isoformat()}: "
            f"run `arrears batch run --as-of {as_of.isoformat()}` first "
            f"（{as_of.isoformat()} 没有快照，请先运行批处理）"
        )
    write_table(decimal_strings(snapshot), out)
    return int(snapshot.num_rows)
