"""Queries of the delinquency snapshots: the one place that reads or writes
``delinquency_snapshots`` (the batch, the export, scoring's history, the reports' checks).

Module-level functions taking the caller's ``Connection``, values bound as parameters, never
committing (see arrears.portfolio.repository). Bulk reads and writes go through
:mod:`arrears.db.arrow`, in the columns and types of ``SNAPSHOT_SCHEMA``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyarrow as pa
from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from arrears.db.arrow import columns_of, insert_arrow, read_arrow
from arrears.delinquency.frames import PREVIOUS_SCHEMA, SNAPSHOT_SCHEMA
from arrears.delinquency.models import DelinquencySnapshot

SNAPSHOT_TABLE = DelinquencySnapshot.__tablename__
STORED_SNAPSHOT_COLUMNS = [c.name for c in DelinquencySnapshot.__table__.columns]
HISTORY_COLUMNS = ("as_of", "account_id", "dpd", "bucket_rank", "outstanding_amount", "overdue_amount")
"""What scoring's features read of the snapshots of earlier dates."""


def read_buckets(connection: Connection, as_of: date) -> pa.Table:
    """The buckets of an earlier, committed date (read before this run writes anything)."""
    return read_arrow(
        connection,
        f"SELECT account_id, bucket FROM {SNAPSHOT_TABLE} WHERE as_of = :as_of",
        PREVIOUS_SCHEMA,
        {"as_of": as_of},
        committed_table=SNAPSHOT_TABLE,
    )


def read_snapshot(connection: Connection, as_of: date, columns: Sequence[str]) -> pa.Table:
    """Some columns of the snapshot of ``as_of``, ordered by account."""
    schema = columns_of(SNAPSHOT_SCHEMA, columns)
    return read_arrow(
        connection,
        f"SELECT {', '.join(schema.names)} FROM {SNAPSHOT_TABLE} WHERE as_of = :as_of ORDER BY account_id",
        schema,
        {"as_of": as_of},
    )


def read_history(connection: Connection, after: date, through: date) -> pa.Table:
    """The stored snapshot rows dated in (after, through], in ``HISTORY_COLUMNS``."""
    schema = columns_of(SNAPSHOT_SCHEMA, HISTORY_COLUMNS)
    return read_arrow(
        connection,
        f"SELECT {', '.join(schema.names)} FROM {SNAPSHOT_TABLE} WHERE as_of > :after AND as_of <= :through",
        schema,
        {"after": after, "through": through},
    )


def replace_snapshot(connection: Connection, as_of: date, snapshot: pa.Table) -> None:
    """One snapshot per account per date: what a rerun wrote before is replaced, in bulk."""
    connection.execute(delete(DelinquencySnapshot).where(DelinquencySnapshot.as_of == as_of))
    insert_arrow(connection, SNAPSHOT_TABLE, snapshot.select(STORED_SNAPSHOT_COLUMNS))


def has_snapshot(connection: Connection, as_of: date) -> bool:
    """Whether a snapshot of ``as_of`` is stored."""
    found = connection.execute(
        select(DelinquencySnapshot.as_of).where(DelinquencySnapshot.as_of == as_of).limit(1)
    ).first()
    return found is not None


def latest_of_account(session: Session, account_id: str, customer_id: str) -> DelinquencySnapshot | None:
    """The account's latest snapshot. The customer (the account's own) lets the query use the
    (customer_id, as_of) index: the key (as_of, account_id) cannot find one account's rows."""
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
