"""Queries of the batch: the run records (``batch_runs``).

The portfolio is read by arrears.portfolio.repository, the snapshots by
arrears.delinquency.repository. Module-level functions taking the caller's ``Connection``,
values bound as parameters, never committing (see arrears.portfolio.repository).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.orm import Session

from arrears.batch.models import BatchRun, RunStatus


def previous_run_date(connection: Connection, as_of: date) -> date | None:
    """The latest succeeded batch date before ``as_of``: its snapshot is what roll compares with."""
    return connection.execute(
        select(func.max(BatchRun.as_of)).where(BatchRun.as_of < as_of, BatchRun.status == RunStatus.SUCCEEDED)
    ).scalar()


def latest_run(connection: Connection) -> Row[Any] | None:
    """The run that finished last (whatever its as-of date: a backfill may rerun an older one),
    with every column of ``batch_runs``."""
    return connection.execute(
        select(BatchRun).order_by(BatchRun.finished_at.desc(), BatchRun.as_of.desc()).limit(1)
    ).first()


def record_run(
    connection: Connection,
    as_of: date,
    *,
    status: RunStatus,
    engine: str,
    counts: dict[str, int],
    started_at: datetime,
    finished_at: datetime,
    error: str | None = None,
) -> int:
    """Write the run's row, counting attempts; one row per as-of date. Returns this attempt's number."""
    values = {
        "status": status,
        "engine": engine,
        "accounts": counts.get("accounts", 0),
        "delinquent": counts.get("delinquent", 0),
        "cases_opened": counts.get("cases_opened", 0),
        "cases_closed": counts.get("cases_closed", 0),
        "started_at": started_at,
        "finished_at": finished_at,
        "error": None if error is None else error[:2000],
    }
    attempts = connection.execute(select(BatchRun.attempts).where(BatchRun.as_of == as_of)).scalar()
    if attempts is None:
        connection.execute(insert(BatchRun).values(as_of=as_of, attempts=1, **values))
        return 1
    connection.execute(
        update(BatchRun).where(BatchRun.as_of == as_of).values(attempts=attempts + 1, **values)
    )
    return int(attempts) + 1


def run_attempts(connection: Connection, as_of: date) -> int:
    """How many times the date has been run (its latest attempt's number)."""
    return int(connection.execute(select(BatchRun.attempts).where(BatchRun.as_of == as_of)).scalar_one())


def attempts_of(connection: Connection, as_of: date) -> int:
    """The attempt number of the date's last succeeded run; 0 when its last run did not succeed."""
    found = connection.execute(
        select(BatchRun.attempts).where(BatchRun.as_of == as_of, BatchRun.status == RunStatus.SUCCEEDED)
    ).scalar()
    return int(found or 0)


def list_runs(session: Session, before: date | None, limit: int) -> list[BatchRun]:
    """The run log, newest as-of date first, from before ``before`` (a page's cursor)."""
    query = select(BatchRun).order_by(BatchRun.as_of.desc()).limit(limit)
    if before is not None:
        query = query.where(BatchRun.as_of < before)
    return list(session.execute(query).scalars())
