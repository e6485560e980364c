"""The batch run lock: one batch at a time per operational database.

The lock dies with the process that holds it, so a SIGKILL cannot leave a stale lock behind:
a PostgreSQL session advisory lock on a dedicated connection, or an exclusive ``flock`` on a
file beside the SQLite database. A second run fails at once with a message naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from arrears.errors import BusyError
from arrears.i18n import N_

# The advisory lock key: one per schema, so that two Arrears databases sharing one PostgreSQL
# database in different schemas do not lock each other out (locks are per database anyway).
ADVISORY_KEY_SQL = "hashtextextended('arrears-batch:' || current_schema(), 0)"


LOCKED_MESSAGE = N_(
    "Another batch run is in progress ({holder}) / 另一个批处理正在运行: wait for it to finish and run again"
)
"""What docs/batch.md says a second run prints (exit status 3)."""


class BatchLockedError(BusyError):
    """Another batch run holds the lock."""

    code = "batch_locked"
    default_message = LOCKED_MESSAGE

    def __init__(self, holder: str, message: str = LOCKED_MESSAGE, **params: object) -> None:
        super().__init__(message, holder=holder, **params)


STORE_HELD_MESSAGE = N_(
    "Another batch run is in progress (its store {path} is open in another process) / "
    "另一个批处理正在运行: wait for it to finish and run again"
)


class StoreHeldError(BatchLockedError):
    """Another process holds the batch store file: a batch is running there."""

    default_message = STORE_HELD_MESSAGE

    def __init__(self, path: Path) -> None:
        super().__init__(f"its store {path} is open in another process", STORE_HELD_MESSAGE, path=path)


@contextmanager
def batch_lock(engine: Engine, label: str) -> Iterator[None]:
    """Hold the batch lock while the block runs; ``label`` says who holds it (e.g. the dates)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, label):
            yield
        return
    with _file_lock(_lock_path(engine), label):
        yield


@contextmanager
def _advisory_lock(engine: Engine, label: str) -> Iterator[None]:
    with engine.connect() as connection:
        connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": label[:63]})
        key = connection.execute(text(f"SELECT {ADVISORY_KEY_SQL}")).scalar_one()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        connection.commit()
        if not got:  # advisory locks are per database: the holder is sought in this one
            holder = connection.execute(
                text(
                    "SELECT a.application_name || ', pid ' || a.pid FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key LIMIT 1"
                ),
                {"key": key},
            ).scalar()
            raise BatchLockedError(holder or "unknown holder")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def _lock_path(engine: Engine) -> Path:
    database = engine.url.database
    if database in (None, "", ":memory:"):
        return Path(tempfile.gettempdir()) / f"arrears-batch-{os.getpid()}.lock"
    return Path(f"{database}.batch.lock")


@contextmanager
def _file_lock(path: Path, label: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise BatchLockedError(handle.read().strip() or "unknown holder") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{label}, pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
