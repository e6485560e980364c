"""Bulk movement between the operational database and Arrow, never row by row through the ORM.

The one place where rows cross between the database and Arrow, for every context: the batch's
portfolio and snapshots, the cases, the scoring inputs, the importer's staged feed rows.

PostgreSQL: ``COPY ... TO STDOUT`` / ``COPY ... FROM STDIN`` in CSV, parsed and written by
pyarrow. SQLite: one cursor, ``fetchmany`` / ``executemany`` inside the caller's transaction.
Both run on the caller's connection, so they commit or roll back with it.

Values reach a query as bound parameters (``:name`` in the SQL text, or a SQLAlchemy Core
statement), never quoted into its text: psycopg binds them client-side for ``COPY`` (which
takes no server-side parameters), SQLite and the ADBC driver bind them positionally.

Reads of committed data only (the portfolio, an earlier date's snapshot) may take the fast
path on SQLite: the ADBC SQLite driver fills Arrow in C, in a child process, about four times
faster than a Python cursor. It cannot see the caller's uncommitted changes, so reads inside
a transaction that has written keep the cursor path.
"""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from arrears.clock import ensure_aware

CHUNK_ROWS = 200_000

Query = str | ClauseElement
"""A SELECT: SQL text with ``:name`` parameters (given in ``params``), or a Core statement."""


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector held off while rows cross as Python objects.

    A bulk read or write makes a tuple per row and an object per value, all freed by reference
    counting; but their number triggers the cycle collector again and again, and each of its
    full passes walks every object the process holds (a night's are many). At 1M accounts a
    night's reads took twice as long with it running (docs/batch.md)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def driver_connection(connection: Connection) -> Any:
    return connection.connection.dbapi_connection


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def columns_of(schema: pa.Schema, names: Sequence[str]) -> pa.Schema:
    """Some fields of a frame's schema, in the order given: one declaration of a frame's
    columns serves every query that reads part of it."""
    return pa.schema([schema.field(name) for name in names])


def read_arrow(
    connection: Connection,
    query: Query,
    schema: pa.Schema,
    params: Mapping[str, Any] | None = None,
    *,
    committed_table: str | None = None,
) -> pa.Table:
    """Run a SELECT and return its rows in the schema's columns and types.

    ``params``: the values of the query's ``:name`` parameters (a list or tuple expands into
    an ``IN`` list). ``committed_table``: the query reads committed rows of this table that the
    caller has not changed, so on SQLite a large table may be read by the ADBC driver on a
    connection of its own.
    """
    sql, values = _compiled(connection, query, params or {})
    if is_postgres(connection):
        return _copy_out(connection, sql, values, schema)
    database = connection.engine.url.database
    if committed_table and database not in (None, "", ":memory:") and _large(connection, committed_table):
        fast = _fetch_adbc(str(database), sql, values, schema)
        if fast is not None:
            return fast
    return _fetch_sqlite(connection, sql, values, schema)


def _compiled(
    connection: Connection, query: Query, params: Mapping[str, Any]
) -> tuple[str, Sequence[Any] | Mapping[str, Any]]:
    """The driver's SQL text and its parameters: positional for SQLite, named for psycopg."""
    if isinstance(query, str):
        query = text(query).bindparams(
            *[
                bindparam(name, value, expanding=isinstance(value, list | tuple))
                for name, value in params.items()
            ]
        )
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    assert isinstance(compiled, SQLCompiler)
    values = compiled.construct_params()
    if not compiled.positional:
        return str(compiled), values
    return str(compiled), [_sqlite_param(values[name]) for name in compiled.positiontup or ()]


def _sqlite_param(value: Any) -> Any:
    """A value as SQLite stores it: dates and instants as the text SQLAlchemy writes for them
    (instants in UTC, see arrears.db.UTCDateTime), booleans as integers."""
    if isinstance(value, datetime):
        return ensure_aware(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


ADBC_MIN_ROWS = 200_000
"""Below this many rows a Python cursor beats starting the reader process."""


def _large(connection: Connection, table: str) -> bool:
    # max(rowid) is a B-tree lookup, not a count; deleted rows only make it overestimate.
    # The table name is one of the caller's own constants, never input.
    rows = connection.exec_driver_sql(f"SELECT max(rowid) FROM {table}").scalar()
    return rows is not None and int(rows) >= ADBC_MIN_ROWS


def _fetch_adbc(path: str, sql: str, values: Any, schema: pa.Schema) -> pa.Table | None:
    """The rows through the ADBC driver in a child process (see arrears.db.sqlite_reader).

    The result stays a memory map of the child's Arrow file (deleted on return, kept by the
    kernel while mapped): pages the engine has read can be dropped instead of swapped.
    """
    with tempfile.TemporaryDirectory(prefix="arrears-read-") as folder:
        out, schema_file = Path(folder) / "rows.arrow", Path(folder) / "schema.arrow"
        schema_file.write_bytes(schema.serialize().to_pybytes())
        done = subprocess.run(
            [sys.executable, "-m", "arrears.db.sqlite_reader", path, str(out), str(schema_file)],
            input=json.dumps({"sql": sql, "params": list(values)}),
            text=True,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:  # e.g. a column typed from an all-NULL first batch: take the safe path
            return None
        table = pa.ipc.open_file(pa.memory_map(str(out))).read_all()
    return table if table.schema.equals(schema) else None


def _copy_out(connection: Connection, sql: str, values: Any, schema: pa.Schema) -> pa.Table:
    buffer = io.BytesIO()
    cursor = driver_connection(connection).cursor()
    with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER false)", values) as copy:
        for data in copy:
            buffer.write(data)
    if buffer.tell() == 0:
        return schema.empty_table()
    buffer.seek(0)
    # PostgreSQL writes NULL as an empty unquoted field and an empty string as "".
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t", "true", "1"],  # "t": PostgreSQL's text form of a boolean
            false_values=["f", "false", "0"],
        ),
    )


def _fetch_sqlite(connection: Connection, sql: str, values: Any, schema: pa.Schema) -> pa.Table:
    cursor = driver_connection(connection).cursor()
    fetched = sqlite_row_type(schema)
    batches = []
    with cyclic_gc_paused():
        cursor.execute(sql, values)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            batches.append(sqlite_batch(rows, fetched, schema))
    cursor.close()
    return pa.Table.from_batches(batches, schema=schema)


def sqlite_row_type(schema: pa.Schema) -> pa.StructType:
    """A row as SQLite hands it over: dates as ISO text, booleans as integers."""
    return pa.struct([pa.field(f.name, _as_stored(f.type)) for f in schema])


def _as_stored(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_date(kind):
        return pa.string()
    if pa.types.is_boolean(kind):
        return pa.int64()
    return kind


def sqlite_batch(
    rows: Sequence[tuple[Any, ...]], fetched: pa.StructType, schema: pa.Schema
) -> pa.RecordBatch:
    """The rows in the schema's types. Arrow reads the tuples as one struct array: turning them
    into columns in Python first (``zip(*rows)``) took most of a bulk read's conversion
    (benchmarks/bench_sqlite_read.py)."""
    columns = pa.RecordBatch.from_struct_array(pa.array(rows, type=fetched)).columns
    return pa.record_batch(
        [c if c.type == f.type else c.cast(f.type) for c, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def insert_arrow(connection: Connection, table_name: str, rows: pa.Table | pa.RecordBatchReader) -> None:
    """Append the rows to the table (columns named as in the Arrow schema) in bulk.

    ``rows``: a table, or a stream of record batches (e.g. DuckDB's
    ``to_arrow_reader``), written batch by batch so memory stays that of one batch.
    """
    naive = [f.name for f in rows.schema if pa.types.is_timestamp(f.type) and f.type.tz is None]
    if naive:
        raise TypeError(f"timestamp columns written to the database must carry their time zone: {naive}")
    if isinstance(rows, pa.Table) and rows.num_rows == 0:
        return
    batches = rows.to_batches(CHUNK_ROWS) if isinstance(rows, pa.Table) else rows
    columns = ", ".join(f'"{name}"' for name in rows.schema.names)
    if is_postgres(connection):
        cursor = driver_connection(connection).cursor()
        with cursor.copy(f"COPY {table_name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for batch in batches:
                if batch.num_rows:
                    out = io.BytesIO()
                    pacsv.write_csv(batch, out, pacsv.WriteOptions(include_header=False))
                    copy.write(out.getvalue())
        return
    placeholders = ", ".join("?" for _ in rows.schema.names)
    cursor = driver_connection(connection).cursor()
    statement = f"INSERT INTO {table_name} ({columns}) VALUES ({placeholders})"
    with cyclic_gc_paused():
        for batch in batches:
            values = [_sqlite_values(column) for column in batch.columns]
            cursor.executemany(statement, zip(*values, strict=True))
    cursor.close()


def _sqlite_values(column: pa.Array) -> list[Any]:
    if pa.types.is_date(column.type):
        return pc.cast(column, pa.string()).to_pylist()  # type: ignore[no-any-return]
    if pa.types.is_timestamp(column.type):
        return _sqlite_instants(column)
    if pa.types.is_boolean(column.type):
        return [None if v is None else int(v) for v in column.to_pylist()]
    return column.to_pylist()  # type: ignore[no-any-return]


def _sqlite_instants(column: pa.Array) -> list[Any]:
    """Instants as UTCDateTime stores them on SQLite: UTC text without an offset, to the
    microsecond ("2026-12-08 01:00:00.000000"), so that text order is time order whoever wrote
    them. Arrow's cast of a zone-less timestamp gives that text (the zone dropped keeps the UTC
    value); Python datetimes through sqlite3's default adapter wrote "+00:00" and no zero
    fraction, at 20 µs a value (and that adapter is deprecated since Python 3.12). Naive columns
    never come here: insert_arrow refuses them."""
    utc_wall_clock = pc.cast(column, pa.timestamp("us"))
    return pc.cast(utc_wall_clock, pa.string()).to_pylist()  # type: ignore[no-any-return]
