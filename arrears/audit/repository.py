"""Every query of the audit trail's table, over the caller's connection (never a commit).

The trail is only ever appended to (:func:`arrears.audit.trail.record`); these functions read it:
the whole chain in order, streamed (:func:`chain`), a filtered range, streamed or a page at a
time after a cursor (:func:`entries`, :func:`page`), and the few look-ups ``verify`` makes at a
break.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.clock import ensure_aware
from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_

STREAM_ROWS = 2000
"""Rows fetched at a time when the chain or a range is streamed (a server-side cursor on PostgreSQL)."""

COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.actor_name,
    AuditEntry.actor_role,
    AuditEntry.action,
    AuditEntry.outcome,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.customer_id,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.reason,
    AuditEntry.rules,
    AuditEntry.request_id,
    AuditEntry.client,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)
COLUMN_NAMES = tuple(column.key for column in COLUMNS)
"""Every column of an entry, in the order exports and the API give them."""


@dataclass(frozen=True)
class EntryFilter:
    """Which entries: ``start`` <= at < ``end`` (UTC instants), and the other fields equal."""

    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    customer_id: str | None = None


def _all_columns() -> Select[Any]:
    query: Select[Any] = select(*COLUMNS)  # type: ignore[assignment]
    return query


def _filtered(query: Select[Any], where: EntryFilter) -> Select[Any]:
    if where.start is not None:
        query = query.where(AuditEntry.at >= where.start)
    if where.end is not None:
        query = query.where(AuditEntry.at < where.end)
    equal = {
        AuditEntry.actor_name: where.actor,
        AuditEntry.action: where.action,
        AuditEntry.object_type: where.object_type,
        AuditEntry.object_id: where.object_id,
        AuditEntry.customer_id: where.customer_id,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    return query


@contextmanager
def _streamed(connection: Connection, query: Select[Any]) -> Iterator[Iterator[Any]]:
    result = connection.execution_options(yield_per=STREAM_ROWS).execute(query)
    try:
        yield iter(result)
    finally:
        result.close()


@contextmanager
def chain(connection: Connection) -> Iterator[Iterator[Any]]:
    """Every entry in ``seq`` order, streamed: ``with chain(c) as rows: for row in rows: ...``."""
    with _streamed(connection, _all_columns().order_by(AuditEntry.seq)) as rows:
        yield rows


@contextmanager
def entries(connection: Connection, where: EntryFilter) -> Iterator[Iterator[Any]]:
    """The entries ``where`` selects, in ``seq`` order, streamed."""
    query = _filtered(_all_columns(), where).order_by(AuditEntry.seq)
    with _streamed(connection, query) as rows:
        yield rows


def page(connection: Connection, where: EntryFilter, *, after: int | None, limit: int) -> list[Any]:
    """Up to ``limit`` entries ``where`` selects with ``seq`` above ``after``, in ``seq`` order."""
    query = _filtered(_all_columns(), where)
    if after is not None:
        query = query.where(AuditEntry.seq > after)
    return list(connection.execute(query.order_by(AuditEntry.seq).limit(limit)))


def head(connection: Connection) -> tuple[int, str] | None:
    """The last entry's seq and hash, or None for an empty trail."""
    row = connection.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def count_entries(
    connection: Connection | Session,
    *,
    actor_id: int,
    action: str,
    outcome: str,
    since: datetime,
    until: datetime,
) -> int:
    """How many entries of ``action`` with ``outcome`` the user made in [since, until) (an index
    on actor_id, action, at finds them)."""
    query = select(func.count()).where(
        AuditEntry.actor_id == actor_id,
        AuditEntry.action == action,
        AuditEntry.outcome == outcome,
        AuditEntry.at >= ensure_aware(since),
        AuditEntry.at < ensure_aware(until),
    )
    return int(connection.execute(query).scalar_one())


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def seq_with_hash(connection: Connection, value: str) -> int | None:
    """The first entry whose hash is ``value`` (a look-up at a break only: no index on hash)."""
    found = connection.execute(
        select(func.min(AuditEntry.seq)).where(AuditEntry.hash == value)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def seq_naming(connection: Connection, value: str) -> int | None:
    """The first entry whose ``prev_hash`` is ``value``: the entry that follows the one hashed so."""
    found = connection.execute(
        select(func.min(AuditEntry.seq)).where(AuditEntry.prev_hash == value)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def table_names(connection: Connection) -> list[str]:
    """The tables of the connection's current schema (what the grants cover)."""
    return sorted(inspect(connection).get_table_names())


def current_schema(connection: Connection) -> str:
    """The PostgreSQL schema the connection's tables are in (its search path's first)."""
    return str(connection.execute(select(func.current_schema())).scalar_one())


def run_statements(connection: Connection, statements: list[str]) -> None:
    """Run generated statements (the grants); a refusal by the server is said, not a traceback."""
    for statement in statements:
        try:
            connection.execute(text(statement))
        except DBAPIError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
            raise InvalidInputError(
                N_("The database refused {statement}: {reason}"), statement=statement, reason=echo(reason)
            ) from None
