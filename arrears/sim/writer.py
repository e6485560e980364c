"""Writing the five feed files chunk by chunk, as CSV (with header) or Parquet.

The schemas are fixed so that every chunk lands in the same columns; amounts are strings (the
feed's decimal text) in both formats. Writes run on a background thread, so the next chunk is
generated while the previous one is formatted and written. Parquet gets one file per kind, its
row groups appended as chunks come (small kinds gathered over several chunks first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from arrears.sim.text import iso_dates, small_int_text

KINDS = ("customers", "contact_points", "accounts", "installments", "payments")
_TEXT = pa.string()

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            ("customer_id", _TEXT),
            ("name", _TEXT),
            ("national_id", _TEXT),
            ("birth_date", pa.date32()),
            ("language", _TEXT),
            ("country", _TEXT),
            ("timezone", _TEXT),
            ("segment", _TEXT),
        ]
    ),
    "contact_points": pa.schema(
        [
            ("customer_id", _TEXT),
            ("type", _TEXT),
            ("value", _TEXT),
            ("label", _TEXT),
            ("is_primary", pa.bool_()),
            ("party", _TEXT),
            ("relation", _TEXT),
            ("do_not_contact", pa.bool_()),
        ]
    ),
    "accounts": pa.schema(
        [
            ("account_id", _TEXT),
            ("customer_id", _TEXT),
            ("product", _TEXT),
            ("currency", _TEXT),
            ("opened_on", pa.date32()),
            ("principal", _TEXT),
            ("credit_limit", _TEXT),
            ("interest_rate", _TEXT),
            ("status", _TEXT),
            ("branch", _TEXT),
        ]
    ),
    "installments": pa.schema(
        [
            ("account_id", _TEXT),
            ("seq", pa.int32()),
            ("due_date", pa.date32()),
            ("amount_due", _TEXT),
            ("principal_due", _TEXT),
            ("interest_due", _TEXT),
            ("fees_due", _TEXT),
        ]
    ),
    "payments": pa.schema(
        [
            ("payment_id", _TEXT),
            ("account_id", _TEXT),
            ("paid_on", pa.date32()),
            ("amount", _TEXT),
            ("channel", _TEXT),
            ("reverses", _TEXT),
        ]
    ),
}


class FeedFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


class _TableWriter(Protocol):
    def write_table(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


def feed_path(directory: Path, kind: str, fmt: FeedFormat) -> Path:
    return directory / f"{kind}.{fmt.value}"


# Kinds whose values never hold a comma or a quote: written unquoted, a third smaller. (Arrow
# refuses to write a value that would need quotes, rather than write a broken file.)
UNQUOTED = frozenset({"accounts", "installments", "payments"})
CSV_BATCH_ROWS = 65_536  # rows Arrow turns into text at a time: a quarter less CPU than its 1,024
ROW_GROUP_ROWS = 262_144  # Parquet rows gathered before a row group is written


def _as_text(field: pa.Field) -> pa.Field:
    return field.with_type(_TEXT) if field.type in (pa.date32(), pa.int32()) else field


class _CsvWriter:
    """In the unquoted kinds, dates and small integers become text by table lookups before
    Arrow's CSV writer sees them: a few times cheaper than its own conversion, the same text.
    (Where values are quoted, Arrow would quote that text, so those keep their types.)"""

    def __init__(self, path: Path, kind: str) -> None:
        unquoted = kind in UNQUOTED
        self._schema = pa.schema([_as_text(f) if unquoted else f for f in SCHEMAS[kind]])
        options = pa_csv.WriteOptions(
            quoting_style="none" if unquoted else "needed", batch_size=CSV_BATCH_ROWS
        )
        self._writer = pa_csv.CSVWriter(str(path), self._schema, write_options=options)

    def write_table(self, table: pa.Table) -> None:
        columns = [
            _column_text(table.column(i)) if field.type == _TEXT else table.column(i)
            for i, field in enumerate(self._schema)
        ]
        self._writer.write_table(pa.table(columns, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


def _column_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if column.type == pa.date32():
        return pa.chunked_array([iso_dates(chunk) for chunk in column.chunks], _TEXT)
    if column.type == pa.int32():
        return pa.chunked_array([small_int_text(chunk) for chunk in column.chunks], _TEXT)
    return column


# Columns of (nearly) distinct values: a dictionary would be built, outgrow its page and be
# given up, at twice the cost of writing them plainly.
UNREPEATED = {
    "customers": ("customer_id", "name", "national_id"),
    "contact_points": ("value",),
    "accounts": ("account_id", "principal", "credit_limit"),
    "installments": ("amount_due", "principal_due", "interest_due"),
    "payments": ("payment_id", "amount"),
}


class _ParquetWriter:
    """Row groups of at least ROW_GROUP_ROWS rows (or what is left at the end); zstd at level 1
    (half the size of snappy for about the same CPU); dictionaries only where values repeat;
    statistics only for the typed columns (min/max of free text cost a fifth of the writing)."""

    def __init__(self, path: Path, kind: str) -> None:
        schema = SCHEMAS[kind]
        self._writer = pq.ParquetWriter(
            str(path),
            schema,
            compression="zstd",
            compression_level=1,
            use_dictionary=[name for name in schema.names if name not in UNREPEATED[kind]],
            write_statistics=[f.name for f in schema if f.type != _TEXT],
        )
        self._pending: list[pa.Table] = []
        self._rows = 0

    def write_table(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._rows += table.num_rows
        if self._rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=self._rows)
        self._pending, self._rows = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _open(path: Path, kind: str, fmt: FeedFormat) -> _TableWriter:
    if fmt is FeedFormat.CSV:
        return _CsvWriter(path, kind)
    return _ParquetWriter(path, kind)


class FeedWriter:
    """Appends chunks to the five files, in order.

    A three-stage pipeline: the caller draws chunk n + 2 while one thread formats chunk n + 1
    and another writes chunk n. ``write`` returns at once; ``close`` waits for the writes.
    """

    def __init__(self, directory: Path, fmt: FeedFormat) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._writers = {kind: _open(feed_path(directory, kind, fmt), kind, fmt) for kind in KINDS}
        self._formatting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-format")
        self._writing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-write")
        self._pending: list[Future[None]] = []
        self.rows = dict.fromkeys(KINDS, 0)

    def write(self, make_tables: Callable[[], dict[str, pa.Table]]) -> None:
        """Build a chunk's tables (``make_tables``) and append them, off the caller's thread."""
        self._settle(keep=1)  # at most two chunks in flight: memory stays bounded
        tables = self._formatting.submit(make_tables)
        self._pending.append(self._writing.submit(self._write, tables))

    def _write(self, tables: Future[dict[str, pa.Table]]) -> None:
        chunk = tables.result()
        for kind in KINDS:
            table = chunk[kind].cast(SCHEMAS[kind])
            self.rows[kind] += table.num_rows
            self._writers[kind].write_table(table)

    def _settle(self, keep: int) -> None:
        while len(self._pending) > keep:
            self._pending.pop(0).result()

    def close(self) -> None:
        try:
            self._settle(keep=0)
        finally:
            self._formatting.shutdown(wait=True)
            self._writing.shutdown(wait=True)
            for writer in self._writers.values():
                writer.close()


@contextmanager
def feed_writer(directory: Path, fmt: FeedFormat) -> Iterator[FeedWriter]:
    writer = FeedWriter(directory, fmt)
    try:
        yield writer
    finally:
        writer.close()
