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

from arrears.delinquency import repository
from arrears.errors import InvalidInputError, NotFoundError, echo
from arrears.i18n import N_
from arrears.money import exponent
from arrears.spreadsheet import neutralise_table

EXPORT_COLUMNS = ("account_id", "customer_id", "as_of", "dpd", "bucket", "overdue_amount", "currency", "roll")
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


class ExportError(InvalidInputError):
    """The export cannot be written (unknown file type)."""

    code = "export"
    default_message = N_("The export cannot be written")


class NoSnapshotError(ExportError, NotFoundError):
    """No snapshot is stored for the date asked for."""

    code = "no_snapshot"
    http_status = 404


def _check_suffix(out: Path) -> None:
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ExportError(N_("{path}: write .csv or .parquet"), path=echo(out))


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
    _check_suffix(out)
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        # A cell a spreadsheet would run as a formula is neutralised in a CSV (arrears.spreadsheet).
        con.register("export_rows", neutralise_table(table) if suffix == ".csv" else table)
        options = "FORMAT csv, HEADER true" if suffix == ".csv" else "FORMAT parquet"
        con.execute(f"COPY export_rows TO $path ({options})", {"path": str(out)})
    finally:
        con.close()


def export_snapshot(connection: Connection, as_of: date, out: Path) -> int:
    """Write the snapshot of ``as_of`` to ``out``; returns the number of rows."""
    _check_suffix(out)
    snapshot = repository.read_snapshot(connection, as_of, EXPORT_COLUMNS)
    if snapshot.num_rows == 0:
        raise NoSnapshotError(
            N_("no snapshot as of {date}: run `arrears batch run --as-of {date}` first"),
            date=as_of.isoformat(),
        )
    write_table(decimal_strings(snapshot), out)
    return int(snapshot.num_rows)
