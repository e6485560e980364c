"""The batch store: the portfolio as the delinquency definition reads it, kept in a DuckDB file
beside the operational database and brought up to date at the start of each run.

Why: a bank's 10M accounts hold some 300M installments; reading them all from SQLite or
PostgreSQL every night takes minutes, and on most nights a few hundred thousand of them have
changed. The importer stamps every row it inserts or changes with its ``import_log`` id, so
the store remembers which imports it has applied and reads only the rows of the others. The
accounts they touch are staged again, whole, under a new staging generation: the next snapshot
recomputes them whatever the carried state says, finding their rows by that generation (see
``INCREMENTAL_STATE`` in arrears.delinquency.definition).

The store is a cache of the operational database, never the record: it keeps, for each
import it applied, the import's id, checksum and finish time, and when the database no longer
has one of them (another database, one restored from a backup, a test's fresh schema) it
starts again from a full read. So does ``arrears batch run --rebuild-store``, for a change
made to the portfolio by anything other than the importer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy import Connection

from arrears.batch.lock import StoreHeldError
from arrears.delinquency.engines import DuckDBEngine
from arrears.errors import UnavailableError, echo
from arrears.i18n import N_
from arrears.portfolio.frames import PortfolioFrames
from arrears.portfolio.repository import read_portfolio, read_portfolio_parts, stored_imports

APPLIED_TABLE = "applied_imports"


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What bringing the store up to date took."""

    full: bool
    """The whole portfolio was read (first run, another database, or asked)."""
    imports: int
    """Imports applied."""
    rows: int
    """Feed rows read from the operational database."""
    dirty: int
    """Accounts staged again, which the next snapshot recomputes because their rows changed."""


Applied = tuple[int, str, str]
"""An import as the store remembers it: id, checksum, finish time."""


class StoreDamagedError(UnavailableError):
    """The store file cannot be read: truncated, damaged, or written by another DuckDB version."""

    code = "batch_store_damaged"
    default_message = N_("The batch store cannot be read: run `arrears batch run --rebuild-store`")


def open_store(path: Path, *, rebuild: bool = False) -> DuckDBEngine:
    """The store in ``path``. DuckDB lets one process at a time open a file, so a store open
    elsewhere means a batch is running there: that is said as the run lock says it.

    A file that cannot be read as a store (truncated, damaged, written by another DuckDB
    version) is refused with a way on. With ``rebuild`` the file is removed whatever its
    state and a new store begun (the store is only a cache of the operational database: the
    run reads the whole portfolio again).
    """
    try:
        store = DuckDBEngine(database=path)
    except duckdb.Error as error:
        if _held_elsewhere(error):
            raise StoreHeldError(path) from None
        if not rebuild:
            raise damaged(path, error) from None
    else:
        if not rebuild:
            return store
        store.close()
    _discard(path)
    return DuckDBEngine(database=path)


def is_damage(error: BaseException) -> bool:
    """Whether a DuckDB error says the store file cannot be read (not a lock, not a query's bug)."""
    if not isinstance(error, duckdb.Error) or _held_elsewhere(error):
        return False
    return isinstance(error, duckdb.IOException | duckdb.SerializationException) or (
        "corrupt" in str(error).lower()
    )


def damaged(path: Path, error: BaseException) -> StoreDamagedError:
    """The error that says a store file cannot be read, and the way on."""
    text = str(error).strip()
    return StoreDamagedError(
        N_(
            "the batch store {path} cannot be read ({reason}); it is a cache of the database: "
            "run `arrears batch run --rebuild-store` to build it again"
        ),
        path=path,
        reason=echo(text.splitlines()[0] if text else type(error).__name__),
    )


def _held_elsewhere(error: duckdb.Error) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


def _discard(path: Path) -> None:
    """Remove the old store and its write-ahead log: a cache, read again in full from the database."""
    for old in (path, path.with_name(path.name + ".wal")):
        old.unlink(missing_ok=True)


def sync(store: DuckDBEngine, connection: Connection, *, rebuild: bool = False) -> SyncOutcome:
    """Bring the staged portfolio up to date with the committed imports of the database."""
    store.connection.execute(
        f"CREATE TABLE IF NOT EXISTS {APPLIED_TABLE} "
        "(import_id BIGINT, checksum VARCHAR, finished_at VARCHAR)"
    )
    logged = _logged_imports(connection)
    applied = set(store.connection.execute(f"SELECT * FROM {APPLIED_TABLE}").fetchall())
    if rebuild or not store.staged() or not applied <= logged:
        rows = store.load_chunks(read_portfolio_parts(connection))
        _remember(store, logged, replace=True)
        return SyncOutcome(full=True, imports=len(logged), rows=rows, dirty=0)
    pending = sorted(logged - applied)
    if not pending:
        return SyncOutcome(full=False, imports=0, rows=0, dirty=0)
    changes = _changed_rows(connection, [import_id for import_id, _, _ in pending])
    dirty = store.restage(changes)
    _remember(store, set(pending), replace=False)
    rows = changes.accounts.num_rows + changes.installments.num_rows + changes.payments.num_rows
    return SyncOutcome(full=False, imports=len(pending), rows=rows, dirty=dirty)


def _logged_imports(connection: Connection) -> set[Applied]:
    return {(i, checksum, finished.isoformat()) for i, checksum, finished in stored_imports(connection)}


def _changed_rows(connection: Connection, import_ids: list[int]) -> PortfolioFrames:
    """The rows the imports inserted or changed last (an index on import_id finds them)."""
    return read_portfolio(connection, import_ids=import_ids)


def _remember(store: DuckDBEngine, imports: set[Applied], *, replace: bool) -> None:
    con = store.connection
    if replace:
        con.execute(f"DELETE FROM {APPLIED_TABLE}")
    if imports:
        con.executemany(f"INSERT INTO {APPLIED_TABLE} VALUES (?, ?, ?)", sorted(imports))
