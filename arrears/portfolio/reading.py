"""Reading a feed file (CSV or Parquet) into a DuckDB table of text, row by numbered row.

Every value arrives as text, exactly as the file has it: typing is the validator's job, so that
a bad value becomes a reject line naming its row and column instead of an exception. Rows whose
shape is wrong (more or fewer fields than the header) are set aside here.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from arrears.portfolio.feeds import FeedKind

ROW_NUMBER = "_row"
PARQUET_MAGIC = b"PAR1"
CSV_BLOCK = 1 << 20

Progress = Callable[[int], None]
"""Told how many more bytes (CSV) or rows (Parquet) were read."""


class UnreadableFeedError(Exception):
    """The file cannot be read at all; nothing of it may be stored."""


@dataclass(frozen=True)
class StructuralFault:
    """A row with more or fewer fields than the header."""

    row: int
    fields: int
    width: int


@dataclass
class ReadResult:
    rows: int
    checksum: str
    faults: list[StructuralFault] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(CSV_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def is_parquet(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(4) == PARQUET_MAGIC


def read_feed(
    path: Path,
    kind: FeedKind,
    db: duckdb.DuckDBPyConnection,
    table: str,
    *,
    encoding: str = "utf-8",
    chunk_rows: int = 200_000,
    progress: Progress | None = None,
) -> ReadResult:
    """Load ``path`` into DuckDB table ``table`` (``_row`` plus the contract's columns, as text)."""
    if not path.is_file():
        raise UnreadableFeedError(f"{path}: no such file")
    columns = ", ".join(f'"{name}" VARCHAR' for name in kind.column_names)
    db.execute(f'CREATE OR REPLACE TABLE "{table}" ({ROW_NUMBER} BIGINT, {columns})')
    reader = _read_parquet if is_parquet(path) else _read_csv
    result = reader(path, kind, db, table, encoding, chunk_rows, progress or (lambda _n: None))
    result.checksum = sha256_of(path)
    return result


def _check_header(header: list[str], kind: FeedKind, path: Path) -> list[str]:
    missing = [name for name in kind.required if name not in header]
    if missing:
        raise UnreadableFeedError(
            f"{path.name}: required column(s) {', '.join(missing)} missing; "
            f"the header has {', '.join(header) or 'no columns'}"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise UnreadableFeedError(f"{path.name}: column(s) {', '.join(duplicated)} appear twice")
    return [name for name in header if name not in kind.column_names]


def _append(
    db: duckdb.DuckDBPyConnection, table: str, kind: FeedKind, columns: dict[str, list[str | None]]
) -> None:
    arrays = {name: pa.array(values, pa.string()) for name, values in columns.items() if name != ROW_NUMBER}
    size = len(columns[ROW_NUMBER])
    batch = pa.table(
        {
            ROW_NUMBER: pa.array(columns[ROW_NUMBER], pa.int64()),
            **{name: arrays.get(name, pa.nulls(size, pa.string())) for name in kind.column_names},
        }
    )
    db.register("_incoming", batch)
    db.execute(f'INSERT INTO "{table}" SELECT * FROM _incoming')
    db.unregister("_incoming")


# --- CSV --------------------------------------------------------------------------------------


class _Position:
    """Reports how far into the file the reader has come, in bytes."""

    def __init__(self, raw: io.BufferedReader, progress: Progress) -> None:
        self._raw = raw
        self._progress = progress
        self._reported = 0

    def report(self) -> None:
        now = self._raw.tell()
        self._progress(now - self._reported)
        self._reported = now


def _read_csv(
    path: Path,
    kind: FeedKind,
    db: duckdb.DuckDBPyConnection,
    table: str,
    encoding: str,
    chunk_rows: int,
    progress: Progress,
) -> ReadResult:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UnreadableFeedError(f"{encoding!r} is not a known text encoding") from None
    result = ReadResult(rows=0, checksum="")
    decoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=decoding, newline="") as text:
        position = _Position(raw, progress)
        try:
            rows = csv.reader(text, strict=True)
            _read_csv_rows(rows, path, kind, db, table, chunk_rows, result, position)
        except UnicodeDecodeError as error:
            raise UnreadableFeedError(
                f"{path.name}: bytes that are not valid {encoding} after row {result.rows} "
                f"({error.reason}); if the file comes from a legacy system try --encoding gb18030"
            ) from None
        except csv.Error as error:
            raise UnreadableFeedError(f"{path.name}: not a readable CSV file ({error})") from None
    return result


def _read_csv_rows(
    rows: Iterator[list[str]],
    path: Path,
    kind: FeedKind,
    db: duckdb.DuckDBPyConnection,
    table: str,
    chunk_rows: int,
    result: ReadResult,
    position: _Position,
) -> None:
    header = [name.strip().lower() for name in next(rows, [])]
    if not any(header):
        raise UnreadableFeedError(f"{path.name}: the file is empty or has no header line")
    result.ignored_columns = _check_header(header, kind, path)
    wanted = [(header.index(name), name) for name in kind.column_names if name in header]
    width = len(header)
    chunk: dict[str, list[str | None]] = _empty_chunk(wanted)
    for row in rows:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line is not a row
        result.rows += 1
        if len(row) != width:
            result.faults.append(StructuralFault(result.rows, len(row), width))
            continue
        chunk[ROW_NUMBER].append(result.rows)  # type: ignore[arg-type]
        for index, name in wanted:
            chunk[name].append(row[index])
        if len(chunk[ROW_NUMBER]) >= chunk_rows:
            _append(db, table, kind, chunk)
            chunk = _empty_chunk(wanted)
            position.report()
    if chunk[ROW_NUMBER]:
        _append(db, table, kind, chunk)
    position.report()


def _empty_chunk(wanted: list[tuple[int, str]]) -> dict[str, list[str | None]]:
    return {ROW_NUMBER: [], **{name: [] for _index, name in wanted}}


# --- Parquet ----------------------------------------------------------------------------------


def _read_parquet(
    path: Path,
    kind: FeedKind,
    db: duckdb.DuckDBPyConnection,
    table: str,
    _encoding: str,
    chunk_rows: int,
    progress: Progress,
) -> ReadResult:
    try:
        parquet = pq.ParquetFile(path)
        header = [name.strip().lower() for name in parquet.schema_arrow.names]
    except (pa.ArrowException, OSError) as error:
        raise UnreadableFeedError(f"{path.name}: not a readable Parquet file ({error})") from None
    result = ReadResult(rows=0, checksum="")
    result.ignored_columns = _check_header(header, kind, path)
    try:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            renamed = batch.rename_columns(header)
            size = renamed.num_rows
            columns: dict[str, list[str | None]] = {ROW_NUMBER: []}
            columns[ROW_NUMBER].extend(range(result.rows + 1, result.rows + size + 1))  # type: ignore[arg-type]
            for name in kind.column_names:
                if name in header:
                    columns[name] = _as_text(renamed.column(name)).to_pylist()
            _append(db, table, kind, columns)
            result.rows += size
            progress(size)
    except pa.ArrowException as error:
        raise UnreadableFeedError(f"{path.name}: not a readable Parquet file ({error})") from None
    return result


def _as_text(values: pa.Array) -> pa.Array:
    """A Parquet column as the text a CSV would carry (dates ISO, booleans true/false)."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    if pa.types.is_floating(values.type):
        # A float cannot carry money exactly; its shortest text shows what was written.
        return pa.array([None if v is None else repr(v) for v in values.to_pylist()], pa.string())
    if pa.types.is_boolean(values.type):
        return pa.array([None if v is None else str(v).lower() for v in values.to_pylist()], pa.string())
    return values.cast(pa.string())
