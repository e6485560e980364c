"""Where a bulk read from SQLite goes (``arrears.db.arrow.read_arrow``'s cursor path), on a table
shaped like the strategy's open cases (13 columns: ids, dates as text, integers, short strings).

Side by side, on the same rows of a SQLite file in a temporary folder:
- ``statement alone``: the floor, the SELECT run with its rows counted inside SQLite;
- ``rows fetched``: the rows fetched through Python's sqlite3 as tuples, nothing done with them;
- ``transposed in Python``: fetched and made an Arrow table as ``read_arrow`` did until session 30,
  each batch's rows turned into columns by ``zip(*rows)`` and each column converted;
- ``read_arrow``: as it converts now (each batch's tuples read by Arrow as one struct array);
- ``one text a row``: each row made one text by SQLite (``quote(a) || ',' || quote(b) …``) and parsed
  by Arrow's CSV reader (one Python object a row instead of one a cell), checked equal to ``read_arrow``.

    PYTHONPATH=. python benchmarks/bench_sqlite_read.py [--rows 1370000]
"""

from __future__ import annotations

import argparse
import io
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from arrears.db.arrow import CHUNK_ROWS, cyclic_gc_paused, sqlite_batch, sqlite_row_type
from arrears.strategy.facts import OPEN_CASES

SCHEMA = OPEN_CASES
SELECT = f"SELECT {', '.join(SCHEMA.names)} FROM open_cases ORDER BY case_id"


def fill(connection: sqlite3.Connection, rows: int) -> None:
    connection.execute(f"CREATE TABLE open_cases ({', '.join(SCHEMA.names)})")
    rng = random.Random(1)
    connection.executemany(
        f"INSERT INTO open_cases VALUES ({', '.join('?' * len(SCHEMA))})",
        (
            (
                f"C{i:09d}",
                f"U{i:09d}",
                "2026-10-01",
                "M1",
                rng.randint(1, 200),
                rng.randint(1, 10**8),
                "CNY",
                0,
                "zh-CN",
                "CN",
                "Asia/Shanghai",
                None if i % 7 == 0 else "1980-02-03",
                "card, gold" if i % 5 == 0 else "loan",
            )
            for i in range(rows)
        ),
    )
    connection.commit()


def statement_alone(connection: sqlite3.Connection) -> int:
    return int(connection.execute(f"SELECT count(*) FROM ({SELECT})").fetchone()[0])


def rows_fetched(connection: sqlite3.Connection) -> int:
    cursor, count = connection.execute(SELECT), 0
    with cyclic_gc_paused():
        while rows := cursor.fetchmany(CHUNK_ROWS):
            count += len(rows)
    return count


def transposed_in_python(connection: sqlite3.Connection) -> pa.Table:
    """The conversion until session 30: each batch's rows turned into columns by ``zip(*rows)``."""
    cursor, batches = connection.execute(SELECT), []
    with cyclic_gc_paused():
        while rows := cursor.fetchmany(CHUNK_ROWS):
            columns = zip(*rows, strict=True)
            arrays = [
                pa.array(part, pa.string()).cast(field.type)
                if pa.types.is_date(field.type)
                else pa.array(part, field.type)
                for part, field in zip(columns, SCHEMA, strict=True)
            ]
            batches.append(pa.record_batch(arrays, schema=SCHEMA))
    return pa.Table.from_batches(batches, schema=SCHEMA)


def as_read_arrow(connection: sqlite3.Connection) -> pa.Table:
    """As ``read_arrow`` converts (as shipped): each batch's tuples read by Arrow as one struct array."""
    cursor, batches, fetched = connection.execute(SELECT), [], sqlite_row_type(SCHEMA)
    with cyclic_gc_paused():
        while rows := cursor.fetchmany(CHUNK_ROWS):
            batches.append(sqlite_batch(rows, fetched, SCHEMA))
    return pa.Table.from_batches(batches, schema=SCHEMA)


def one_text_a_row(connection: sqlite3.Connection) -> pa.Table:
    row = " || ',' || ".join(f"quote({name})" for name in SCHEMA.names)
    cursor, parts = connection.execute(f"SELECT {row} FROM open_cases ORDER BY case_id"), []
    with cyclic_gc_paused():
        while rows := cursor.fetchmany(CHUNK_ROWS):
            parts.append("\n".join(r[0] for r in rows))
    return pacsv.read_csv(
        io.BytesIO(("\n".join(parts) + "\n").encode()),
        read_options=pacsv.ReadOptions(column_names=SCHEMA.names),
        parse_options=pacsv.ParseOptions(quote_char="'", double_quote=True, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=SCHEMA,
            null_values=["NULL"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def seconds(read: Callable[[sqlite3.Connection], object], connection: sqlite3.Connection) -> float:
    began = time.perf_counter()
    read(connection)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_370_000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arrears-bench-read-") as folder:
        connection = sqlite3.connect(Path(folder) / "read.db")
        fill(connection, arguments.rows)
        shipped = as_read_arrow(connection)
        if not (
            shipped.equals(transposed_in_python(connection)) and shipped.equals(one_text_a_row(connection))
        ):
            raise SystemExit("the ways of reading read different tables")
        print(f"{arguments.rows:,} rows of {len(SCHEMA)} columns")
        for name, read in (
            ("statement alone", statement_alone),
            ("rows fetched", rows_fetched),
            ("transposed in Python", transposed_in_python),
            ("read_arrow", as_read_arrow),
            ("one text a row", one_text_a_row),
        ):
            print(f"{name:>21}  {seconds(read, connection):6.2f} s")
        connection.close()


if __name__ == "__main__":
    main()
