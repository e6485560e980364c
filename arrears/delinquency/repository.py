"""Queries of the delinquency snapshots: the one place that reads or writes
``delinquency_ranges`` and ``snapshot_dates`` (the batch, the export, scoring's history, the
reports' checks, the API).

The snapshot is stored as validity ranges (:mod:`arrears.delinquency.models`,
:mod:`arrears.delinquency.ranges`): a date writes rows only for the accounts whose state
changed. Reads answer "as of D" for the dates a snapshot was written for, in the columns of the
old layout, through the view ``delinquency_snapshots`` (the range covering D, DPD derived).

Module-level functions taking the caller's ``Connection``, values bound as parameters, never
committing (see arrears.portfolio.repository). Bulk reads and writes go through
:mod:`arrears.db.arrow`, in the columns and types of ``SNAPSHOT_SCHEMA``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyarrow as pa
from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.orm import Session

from arrears.db.arrow import columns_of, insert_arrow, read_arrow
from arrears.delinquency import ranges
from arrears.delinquency.frames import PREVIOUS_SCHEMA, SNAPSHOT_SCHEMA
from arrears.delinquency.models import DelinquencyRange, DelinquencySnapshot, SnapshotDate

SNAPSHOT_VIEW = DelinquencySnapshot.__table__.name
RANGE_TABLE = DelinquencyRange.__tablename__
HISTORY_COLUMNS = ("as_of", "account_id", "dpd", "bucket_rank", "outstanding_amount", "overdue_amount")
"""What scoring's features read of the snapshots of earlier dates."""
COVERS = "valid_from <= :as_of AND (valid_to IS NULL OR valid_to > :as_of)"
"""The ranges that hold on ``:as_of``."""
_STATE = ", ".join(ranges.STATE_COLUMNS)
_SAME_STATE = " AND ".join(
    f"(t.{c} = r.{c} OR (t.{c} IS NULL AND r.{c} IS NULL))" for c in ranges.STATE_COLUMNS
)


def read_buckets(connection: Connection, as_of: date) -> pa.Table:
    """The buckets of an earlier, committed date (read before this run writes anything)."""
    if not has_snapshot(connection, as_of):
        return PREVIOUS_SCHEMA.empty_table()
    return read_arrow(
        connection,
        f"SELECT account_id, bucket FROM {RANGE_TABLE} WHERE {COVERS}",
        PREVIOUS_SCHEMA,
        {"as_of": as_of},
        committed_table=RANGE_TABLE,
    )


def read_snapshot(connection: Connection, as_of: date, columns: Sequence[str]) -> pa.Table:
    """Some columns of the snapshot of ``as_of``, ordered by account."""
    schema = columns_of(SNAPSHOT_SCHEMA, columns)
    return read_arrow(
        connection,
        f"SELECT {', '.join(schema.names)} FROM {SNAPSHOT_VIEW} WHERE as_of = :as_of ORDER BY account_id",
        schema,
        {"as_of": as_of},
    )


def read_history(connection: Connection, after: date, through: date) -> pa.Table:
    """The stored snapshot rows dated in (after, through], in ``HISTORY_COLUMNS``."""
    schema = columns_of(SNAPSHOT_SCHEMA, HISTORY_COLUMNS)
    return read_arrow(
        connection,
        f"SELECT {', '.join(schema.names)} FROM {SNAPSHOT_VIEW} WHERE as_of > :after AND as_of <= :through",
        schema,
        {"after": after, "through": through},
    )


def read_states(connection: Connection, as_of: date) -> pa.Table:
    """Every account's state on ``as_of`` (the ranges covering it), by account."""
    return read_arrow(
        connection,
        f"SELECT account_id, {_STATE} FROM {RANGE_TABLE} WHERE {COVERS} ORDER BY account_id",
        ranges.STATE_SCHEMA,
        {"as_of": as_of},
        committed_table=RANGE_TABLE,
    )


def latest_date(connection: Connection) -> date | None:
    """The latest date a snapshot is stored for."""
    return connection.execute(select(func.max(SnapshotDate.as_of))).scalar()


def _next_date(connection: Connection, as_of: date) -> date | None:
    return connection.execute(select(func.min(SnapshotDate.as_of)).where(SnapshotDate.as_of > as_of)).scalar()


def replace_snapshot(
    connection: Connection, as_of: date, snapshot: pa.Table, changed: pa.Table | None = None
) -> pa.Table:
    """Store the snapshot of ``as_of`` (the whole book's rows, ``SNAPSHOT_SCHEMA``), replacing
    what an earlier run of the date wrote: only the accounts whose state differs from the one the
    ranges give on ``as_of`` are written. Returns them (``ranges.CHANGES_SCHEMA``).

    ``changed``: those accounts (``ranges.CHANGES_SCHEMA``) against the state of the latest
    snapshot date, when the caller knows them (the batch store keeps the last snapshot it
    wrote); used only when no snapshot is stored after ``as_of``. Otherwise the state on
    ``as_of`` is read from the database and compared here.
    """
    following = _next_date(connection, as_of)
    latest = latest_date(connection)
    if following is None:
        if changed is None:
            base = (
                read_states(connection, latest) if latest is not None else ranges.STATE_SCHEMA.empty_table()
            )
            changed = ranges.changes(ranges.states(snapshot), base)
        _write_latest(connection, as_of, changed, rerun=latest == as_of)
    else:
        changed = ranges.changes(ranges.states(snapshot), read_states(connection, as_of))
        _write_between(connection, as_of, following, changed)
    if not has_snapshot(connection, as_of):
        connection.execute(insert(SnapshotDate).values(as_of=as_of))
    return changed


def _write_latest(connection: Connection, as_of: date, changed: pa.Table, *, rerun: bool) -> None:
    """``as_of`` is the latest date: close the changed accounts' open ranges on it and open new
    ones. Run again (``rerun``), the ranges the date opened are taken back first, and a range
    it closed opens again when the new state is its own."""
    if changed.num_rows == 0:
        return
    present = changed.filter(changed.column("present"))
    opened = present.select(["account_id", *ranges.STATE_COLUMNS])
    opened = opened.add_column(1, "valid_from", pa.array([as_of] * opened.num_rows, pa.date32()))
    params = {"as_of": as_of}
    any_range = connection.execute(select(DelinquencyRange.account_id).limit(1)).first() is not None
    if not rerun:
        if any_range:
            _stage(connection, "tmp_snapshot_keys", changed.select(["account_id"]))
            connection.execute(
                text(
                    f"UPDATE {RANGE_TABLE} SET valid_to = :as_of WHERE valid_to IS NULL "
                    "AND account_id IN (SELECT account_id FROM tmp_snapshot_keys)"
                ),
                params,
            )
            connection.execute(text("DROP TABLE tmp_snapshot_keys"))
        insert_arrow(connection, RANGE_TABLE, opened)
        return
    _stage(connection, "tmp_snapshot_changes", changed)
    for statement in (
        f"DELETE FROM {RANGE_TABLE} WHERE valid_from = :as_of "
        "AND account_id IN (SELECT account_id FROM tmp_snapshot_changes)",
        f"UPDATE {RANGE_TABLE} SET valid_to = :as_of WHERE valid_to IS NULL "
        "AND account_id IN (SELECT account_id FROM tmp_snapshot_changes)",
        f"UPDATE {RANGE_TABLE} SET valid_to = NULL WHERE valid_to = :as_of AND account_id IN "
        f"(SELECT t.account_id FROM tmp_snapshot_changes AS t, {RANGE_TABLE} AS r "
        f"WHERE t.present AND r.account_id = t.account_id AND r.valid_to = :as_of AND {_SAME_STATE})",
        f"INSERT INTO {RANGE_TABLE} (account_id, valid_from, valid_to, {_STATE}) "
        f"SELECT t.account_id, :as_of, NULL, {', '.join(f't.{c}' for c in ranges.STATE_COLUMNS)} "
        "FROM tmp_snapshot_changes AS t WHERE t.present AND NOT EXISTS "
        f"(SELECT 1 FROM {RANGE_TABLE} AS r WHERE r.account_id = t.account_id AND r.valid_to IS NULL)",
        "DROP TABLE tmp_snapshot_changes",
    ):
        connection.execute(text(statement), params)


def _write_between(connection: Connection, as_of: date, following: date, changed: pa.Table) -> None:
    """``as_of`` is before a stored date: the changed accounts' ranges touching [as_of,
    following] are recomposed (:func:`arrears.delinquency.ranges.recompose`) and replaced."""
    if changed.num_rows == 0:
        return
    _stage(connection, "tmp_snapshot_keys", changed.select(["account_id"]))
    touching = (
        "account_id IN (SELECT account_id FROM tmp_snapshot_keys) AND valid_from <= :following "
        "AND (valid_to IS NULL OR valid_to >= :as_of)"
    )
    params = {"as_of": as_of, "following": following}
    old = read_arrow(
        connection,
        f"SELECT account_id, valid_from, valid_to, {_STATE} FROM {RANGE_TABLE} WHERE {touching}",
        ranges.RANGE_SCHEMA,
        params,
    )
    connection.execute(text(f"DELETE FROM {RANGE_TABLE} WHERE {touching}"), params)
    connection.execute(text("DROP TABLE tmp_snapshot_keys"))
    insert_arrow(connection, RANGE_TABLE, ranges.recompose(old, changed, as_of, following))


_TYPES = {
    pa.string(): "VARCHAR(64)",
    pa.date32(): "DATE",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
}


def _stage(connection: Connection, name: str, rows: pa.Table) -> None:
    """A temporary table ``name`` keyed by account_id, holding ``rows``."""
    columns = ", ".join(f"{field.name} {_TYPES[field.type]}" for field in rows.schema)
    # One left by a rolled-back run: SQLite's driver may run the CREATE before its transaction
    # begins, and the rollback then undoes the DROP that followed.
    connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    connection.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns}, PRIMARY KEY (account_id))"))
    insert_arrow(connection, name, rows)


def has_snapshot(connection: Connection, as_of: date) -> bool:
    """Whether a snapshot of ``as_of`` is stored."""
    found = connection.execute(select(SnapshotDate.as_of).where(SnapshotDate.as_of == as_of)).first()
    return found is not None


def latest_of_account(session: Session, account_id: str, customer_id: str) -> DelinquencySnapshot | None:
    """The account's latest snapshot (``customer_id``: the account's own, kept for the callers;
    the ranges' key (account_id, valid_from) finds the account's rows)."""
    query = (
        select(DelinquencySnapshot)
        .where(DelinquencySnapshot.customer_id == customer_id, DelinquencySnapshot.account_id == account_id)
        .order_by(DelinquencySnapshot.as_of.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def history_of_account(
    session: Session, account_id: str, customer_id: str, *, limit: int, before: date | None = None
) -> list[DelinquencySnapshot]:
    """The account's snapshots, the latest first, ``limit`` of them dated before ``before``."""
    query = select(DelinquencySnapshot).where(
        DelinquencySnapshot.customer_id == customer_id, DelinquencySnapshot.account_id == account_id
    )
    if before is not None:
        query = query.where(DelinquencySnapshot.as_of < before)
    query = query.order_by(DelinquencySnapshot.as_of.desc()).limit(limit)
    return list(session.execute(query).scalars())
