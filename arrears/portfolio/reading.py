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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from arrears.errors import InvalidFileError, echo
from arrears.i18n import N_
from arrears.portfolio.feeds import FeedKind

ROW_NUMBER = "_row"
PARQUET_MAGIC = b"PAR1"
CSV_BLOCK = 1 << 20
ARROW_BLOCK = 16 << 20
MAX_COLUMN_NAME = 200
"""Characters a column name of a header may have: a longer one is not a header."""
MAX_COLUMNS = 1_000

Progress = Callable[[int], None]
"""Told how many more bytes (CSV) or rows (Parquet) were read."""


class UnreadableFeedError(InvalidFileError):
    """The file cannot be read at all; nothing of it may be stored."""

    code = "unreadable_feed"
    default_message = N_("{file}: the file cannot be read as a feed")


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
    columns: list[str] = field(default_factory=list)
    """The contract's columns the file carries (a column it lacks leaves stored values alone)."""


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


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
        raise UnreadableFeedError(N_("{file}: no such file"), file=echo(path))
    columns = ", ".join(f'"{name}" VARCHAR' for name in kind.column_names)
    db.execute(f'CREATE OR REPLACE TABLE "{table}" ({ROW_NUMBER} BIGINT, {columns})')
    reader = _read_parquet if is_parquet(path) else _read_csv
    result = reader(path, kind, db, table, encoding, chunk_rows, progress or (lambda _n: None))
    result.checksum = sha256_of(path)
    return result


def _check_header(header: list[str], kind: FeedKind, path: Path) -> list[str]:
    too_long = next((name for name in header if len(name) > MAX_COLUMN_NAME), None)
    if too_long is not None:
        raise UnreadableFeedError(
            N_("{file}: a column name of the header is longer than {limit} characters: {name}"),
            file=echo(path.name),
            limit=MAX_COLUMN_NAME,
            name=echo(too_long, 40),
        )
    if len(header) > MAX_COLUMNS:
        raise UnreadableFeedError(
            N_("{file}: the header has {count} columns; a feed has at most {limit}"),
            file=echo(path.name),
            count=len(header),
            limit=MAX_COLUMNS,
        )
    missing = [name for name in kind.required if name not in header]
    if missing:
        raise UnreadableFeedError(
            N_("{file}: required column(s) {missing} missing; the header has {header}"),
            file=echo(path.name),
            missing=", ".join(missing),
            header=echo(", ".join(header) or "-"),
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise UnreadableFeedError(
            N_("{file}: column(s) {columns} appear twice"),
            file=echo(path.name),
            columns=echo(", ".join(duplicated)),
        )
    return [name for name in header if name not in kind.column_names]


def _append(
    db: duckdb.DuckDBPyConnection, table: str, kind: FeedKind, rows: Sequence[int], columns: dict[str, Any]
) -> None:
    """Append the numbered rows; a contract column the file lacks is all missing."""
    size = len(rows)
    if not size:
        return
    batch = pa.table(
        {
            ROW_NUMBER: pa.array(rows, pa.int64()),
            **{
                name: pa.array(columns[name], pa.string())
                if isinstance(columns.get(name), list)
                else columns.get(name, pa.nulls(size, pa.string()))
                for name in kind.column_names
            },
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


def _read_csv_with_arrow(
    path: Path,
    kind: FeedKind,
    db: duckdb.DuckDBPyConnection,
    table: str,
    decoding: str,
    progress: Progress,
) -> ReadResult | None:
    """The fast path, Arrow's CSV reader; None when the file has faults the row reader must name.

    Arrow keeps the file's row order and skips blank lines as the row reader does, so row
    numbers agree; a row of the wrong width or undecodable bytes stop it, and then the slower
    row-by-row reader reads the file again to say exactly where.
    """
    header = _csv_header(path, decoding)
    if header is None:
        return None
    result = ReadResult(rows=0, checksum="", ignored_columns=_check_header(header, kind, path))
    wanted = [name for name in kind.column_names if name in header]
    result.columns = wanted
    try:
        with path.open("rb") as raw:
            reader = pacsv.open_csv(
                raw,
                read_options=pacsv.ReadOptions(
                    column_names=header,
                    skip_rows=1,
                    block_size=ARROW_BLOCK,
                    encoding="utf8" if decoding == "utf-8-sig" else decoding,
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()),
                    include_columns=wanted,
                    strings_can_be_null=False,
                ),
            )
            position = _Position(raw, progress)
            for batch in reader:
                numbers = range(result.rows + 1, result.rows + batch.num_rows + 1)
                _append(db, table, kind, numbers, {name: batch.column(name) for name in wanted})
                result.rows += batch.num_rows
                position.report()
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return result


def _csv_header(path: Path, decoding: str) -> list[str] | None:
    try:
        with path.open(encoding=decoding, newline="") as text:
            first = next(csv.reader(text, strict=True), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    header = [name.strip().lower() for name in first]
    return header if any(header) else None


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
        raise UnreadableFeedError(
            N_("{encoding} is not a known text encoding"), encoding=echo(encoding, 40)
        ) from None
    decoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    fast = _read_csv_with_arrow(path, kind, db, table, decoding, progress)
    if fast is not None:
        return fast
    db.execute(f'DELETE FROM "{table}"')
    result = ReadResult(rows=0, checksum="")
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=decoding, newline="") as text:
        position = _Position(raw, progress)
        try:
            rows = csv.reader(text, strict=True)
            _read_csv_rows(rows, path, kind, db, table, chunk_rows, result, position)
        except UnicodeDecodeError as error:
            raise UnreadableFeedError(
                N_(
                    "{file}: bytes that are not valid {encoding} after row {row} ({reason}); "
                    "if the file comes from a legacy system try --encoding gb18030"
                ),
                file=echo(path.name),
                encoding=encoding,
                row=result.rows,
                reason=error.reason,
            ) from None
        except csv.Error as error:
            raise UnreadableFeedError(
                N_("{file}: not a readable CSV file ({reason})"), file=echo(path.name), reason=echo(error)
            ) from None
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
        raise UnreadableFeedError(N_("{file}: the file is empty or has no header line"), file=echo(path.name))
    result.ignored_columns = _check_header(header, kind, path)
    wanted = [(header.index(name), name) for name in kind.column_names if name in header]
    result.columns = [name for _index, name in wanted]
    width = len(header)
    numbers: list[int] = []
    chunk = _empty_chunk(wanted)
    for row in rows:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line is not a row
        result.rows += 1
        if len(row) != width:
            result.faults.append(StructuralFault(result.rows, len(row), width))
            continue
        numbers.append(result.rows)
        for index, name in wanted:
            chunk[name].append(row[index])
        if len(numbers) >= chunk_rows:
            _append(db, table, kind, numbers, chunk)
            numbers, chunk = [], _empty_chunk(wanted)
            position.report()
    _append(db, table, kind, numbers, chunk)
    position.report()


def _empty_chunk(wanted: list[tuple[int, str]]) -> dict[str, list[str | None]]:
    return {name: [] for _index, name in wanted}


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
        raise UnreadableFeedError(
            N_("{file}: not a readable Parquet file ({reason})"), file=echo(path.name), reason=echo(error)
        ) from None
    result = ReadResult(rows=0, checksum="")
    result.ignored_columns = _check_header(header, kind, path)
    result.columns = [name for name in kind.column_names if name in header]
    try:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            renamed = batch.rename_columns(header)
            size = renamed.num_rows
            columns = {name: _as_text(renamed.column(name)) for name in kind.column_names if name in header}
            _append(db, table, kind, range(result.rows + 1, result.rows + size + 1), columns)
            result.rows += size
            progress(size)
    except pa.ArrowException as error:
        raise UnreadableFeedError(
            N_("{file}: not a readable Parquet file ({reason})"), file=echo(path.name), reason=echo(error)
        ) from None
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
