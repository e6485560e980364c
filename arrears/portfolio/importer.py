"""Importing feed files: read, validate, set bad rows aside, store good rows, log the file.

Each file is one transaction: it is stored whole (its good rows) or not at all, so a crash or
a kill halfway leaves the database as it was before that file. Files are taken in the order
of the feed contract (customers before the accounts that name them, and so on), each committed
before the next, so that a file may refer to rows of an earlier file of the same run.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlalchemy import Engine

from arrears.clock import Clock
from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_
from arrears.portfolio.feeds import KINDS, FeedKind, UnknownKindError, import_order, kind_of
from arrears.portfolio.loading import StoreCounts, store
from arrears.portfolio.models import ImportStatus
from arrears.portfolio.reading import ReadResult, UnreadableFeedError, is_parquet, read_feed, sha256_of
from arrears.portfolio.references import register_references
from arrears.portfolio.repository import insert_import_log, update_import_log
from arrears.portfolio.validation import register_code_lists, validate
from arrears.spreadsheet import neutralise_sql

FEED_SUFFIXES = (".csv", ".parquet", ".pq")
REJECTS_SUFFIX = ".rejects.csv"
EXIT_OK, EXIT_UNREADABLE, EXIT_REJECTS = 0, 2, 3


@dataclass
class FileOutcome:
    path: Path
    kind: str
    rows_read: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    fault_lines: int = 0
    rejects_path: Path | None = None
    error: str | None = None
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_UNREADABLE
        return EXIT_REJECTS if self.rejected else EXIT_OK


@dataclass(frozen=True)
class ImportOptions:
    kind: str | None = None
    encoding: str = "utf-8"
    rejects_dir: Path | None = None
    imported_by: str = field(default_factory=getpass.getuser)
    language: str = "en"
    chunk_rows: int = 200_000


class ImportProgress:
    """What the importer tells a progress display; the default tells nobody."""

    def start(self, path: Path, total: int, unit: str) -> None: ...

    def advance(self, amount: int) -> None: ...

    def phase(self, description: str) -> None: ...


def _is_feed(path: Path) -> bool:
    name = path.name.lower()
    return path.suffix.lower() in FEED_SUFFIXES and not name.endswith(REJECTS_SUFFIX)


def feed_files(
    paths: Iterable[Path],
    kind: str | None = None,
    *,
    unknown: list[tuple[Path, UnknownKindError]] | None = None,
) -> list[tuple[Path, FeedKind]]:
    """The files to import, directories expanded, in the order of the feed contract.

    A file whose kind its name does not tell raises :class:`UnknownKindError`, or, when a list
    ``unknown`` is given, is put there with its error and left out (the others are imported)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if _is_feed(p))
            if not found:
                raise InvalidInputError(
                    N_("{directory} holds no feed file (.csv or .parquet): nothing to import"),
                    directory=echo(path),
                )
            files.extend(found)
        else:
            files.append(path)
    chosen: list[tuple[Path, FeedKind]] = []
    for file in files:
        try:
            chosen.append((file, KINDS[kind] if kind else kind_of(file)))
        except UnknownKindError as error:
            if unknown is None:
                raise
            unknown.append((file, error))
    return sorted(chosen, key=lambda item: (import_order(item[1]), item[0].name))


def import_paths(
    engine: Engine,
    paths: Iterable[Path],
    clock: Clock,
    options: ImportOptions,
    progress: ImportProgress | None = None,
) -> list[FileOutcome]:
    """Import files and directories; a file of unknown kind fails alone (logged as unreadable)."""
    unknown: list[tuple[Path, UnknownKindError]] = []
    files = feed_files(paths, options.kind, unknown=unknown)
    outcomes = import_files(engine, files, clock, options, progress)
    for path, error in unknown:
        outcome = FileOutcome(path=path, kind="unknown", error=error.message(options.language))
        _log_unreadable(engine, outcome, clock, clock.now(), options)
        outcomes.append(outcome)
    return outcomes


def import_files(
    engine: Engine,
    files: list[tuple[Path, FeedKind]],
    clock: Clock,
    options: ImportOptions,
    progress: ImportProgress | None = None,
) -> list[FileOutcome]:
    return [
        import_file(engine, path, kind, clock, options, progress or ImportProgress()) for path, kind in files
    ]


def import_file(
    engine: Engine,
    path: Path,
    kind: FeedKind,
    clock: Clock,
    options: ImportOptions,
    progress: ImportProgress,
) -> FileOutcome:
    outcome = FileOutcome(path=path, kind=kind.name)
    started = clock.now()
    with duckdb.connect() as db:
        register_code_lists(db)
        try:
            read = _read(db, path, kind, options, progress)
        except UnreadableFeedError as error:
            outcome.error = error.message(options.language)
            _log_unreadable(engine, outcome, clock, started, options)
            return outcome
        outcome.rows_read, outcome.ignored_columns = read.rows, read.ignored_columns
        with engine.begin() as connection:
            progress.phase("validating")
            register_references(db, connection, kind, "raw")
            validate(db, kind, "raw", read.faults, options.language, read.columns)
            _set_rejects_aside(db, path, options, outcome)
            log_id = insert_import_log(
                connection, _log_row(outcome, read.checksum, clock, started, options, ImportStatus.RUNNING)
            )
            progress.phase("storing")
            counts = store(connection, kind, db, log_id)
            _count(outcome, counts)
            values = _log_row(
                outcome,
                read.checksum,
                clock,
                started,
                options,
                ImportStatus.PARTIAL if outcome.rejected else ImportStatus.STORED,
            )
            update_import_log(connection, log_id, values)
    return outcome


def _read(
    db: duckdb.DuckDBPyConnection,
    path: Path,
    kind: FeedKind,
    options: ImportOptions,
    progress: ImportProgress,
) -> ReadResult:
    if not path.is_file():
        raise UnreadableFeedError(N_("{file}: no such file"), file=echo(path))
    parquet = is_parquet(path)
    progress.start(path, 0 if parquet else path.stat().st_size, "rows" if parquet else "bytes")
    return read_feed(
        path,
        kind,
        db,
        "raw",
        encoding=options.encoding,
        chunk_rows=options.chunk_rows,
        progress=progress.advance,
    )


def _set_rejects_aside(
    db: duckdb.DuckDBPyConnection, path: Path, options: ImportOptions, outcome: FileOutcome
) -> None:
    directory = options.rejects_dir or path.parent
    rejects_path = directory / f"{path.name}{REJECTS_SUFFIX}"
    fault_lines, rejected = db.execute('SELECT count(*), count(DISTINCT "row") FROM rejects').fetchone() or (
        0,
        0,
    )
    outcome.fault_lines, outcome.rejected = int(fault_lines), int(rejected)
    if not fault_lines:
        rejects_path.unlink(missing_ok=True)  # a stale list from an earlier import would mislead
        return
    directory.mkdir(parents=True, exist_ok=True)
    value, reason = neutralise_sql('"value"'), neutralise_sql("reason")
    cells = f'"row", "column", {value} AS "value", {reason} AS reason'
    db.execute(
        f"""COPY (SELECT {cells} FROM rejects ORDER BY "row", "column")
            TO $path (HEADER, DELIMITER ',')""",
        {"path": str(rejects_path)},
    )
    outcome.rejects_path = rejects_path


def _count(outcome: FileOutcome, counts: StoreCounts) -> None:
    outcome.stored, outcome.updated, outcome.unchanged = counts.stored, counts.updated, counts.unchanged


def _log_row(
    outcome: FileOutcome,
    checksum: str,
    clock: Clock,
    started: object,
    options: ImportOptions,
    status: ImportStatus,
) -> dict[str, object]:
    return {
        "kind": outcome.kind,
        "file_name": str(outcome.path)[-500:],
        "checksum": checksum,
        "status": status.value,
        "rows_read": outcome.rows_read,
        "rows_stored": outcome.stored,
        "rows_updated": outcome.updated,
        "rows_unchanged": outcome.unchanged,
        "rows_rejected": outcome.rejected,
        "rejects_path": str(outcome.rejects_path)[-500:] if outcome.rejects_path else None,
        "error": outcome.error[:2000] if outcome.error else None,
        "started_at": started,
        "finished_at": clock.now(),
        "imported_by": options.imported_by[:100],
    }


def _log_unreadable(
    engine: Engine, outcome: FileOutcome, clock: Clock, started: object, options: ImportOptions
) -> None:
    checksum = sha256_of(outcome.path) if outcome.path.is_file() else ""
    with engine.begin() as connection:
        insert_import_log(
            connection, _log_row(outcome, checksum, clock, started, options, ImportStatus.UNREADABLE)
        )
