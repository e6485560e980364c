"""The delinquency snapshot, stored as validity ranges, written in bulk by the batch.

A night writes a row only for an account whose figures changed: each row holds an account's
state from ``valid_from`` (a snapshot date) until ``valid_to`` (exclusive; NULL: still valid).
DPD is not part of the state: it is derived from ``overdue_since`` (the due date of the oldest
overdue installment), so a delinquent account whose DPD grows by one a day keeps its row until
its bucket, amounts, status or roll change.

``snapshot_dates`` lists the dates a snapshot was written for: "as of D" is answered only for
those (as the old layout, one row per account per date, did), by the range that covers D.

``delinquency_snapshots`` is a read-only view (created by migration 0007) that expands the
ranges to the old layout, one row per account per snapshot date, with the DPD computed; the
:class:`DelinquencySnapshot` mapping reads it. It lives in a metadata of its own: no table is
created for it, and the comparison of models and migrations does not see it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, String, Table
from sqlalchemy.orm import Mapped, mapped_column, registry

from arrears.db import Base


class DelinquencyRange(Base):
    """An account's state (status, bucket, amounts, roll, oldest overdue due date) over the
    snapshot dates in [valid_from, valid_to).

    No foreign key to accounts: the snapshot is history written in bulk and kept after an
    account leaves the feed.
    """

    __tablename__ = "delinquency_ranges"
    __table_args__ = (
        # The range of each account on a date, found from the index alone (the dashboard's roll
        # cells join every range of a night's window to it: arrears.reports.totals).
        Index("ix_delinquency_ranges_account_id_state", "account_id", "valid_from", "valid_to", "bucket"),
    )

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True, comment="the first snapshot date")
    valid_to: Mapped[date | None] = mapped_column(
        Date, comment="the first snapshot date it no longer holds; none: still valid"
    )
    customer_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), comment="the account's status")
    overdue_since: Mapped[date | None] = mapped_column(
        Date, comment="due date of the oldest overdue installment: DPD = as-of date minus it; none: DPD 0"
    )
    bucket: Mapped[str] = mapped_column(String(16))
    bucket_rank: Mapped[int] = mapped_column(Integer, comment="0 = current, then the bucket table's order")
    overdue_amount: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    outstanding_amount: Mapped[int] = mapped_column(BigInteger, comment="minor units, schedule less net paid")
    roll: Mapped[str] = mapped_column(String(8), comment="new, same, forward, back or cured")


class SnapshotDate(Base):
    """A date a snapshot was written for (by the batch run of that date)."""

    __tablename__ = "snapshot_dates"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)


VIEW_METADATA = MetaData()
"""The views: never created from the models (migration 0007 creates them)."""

SNAPSHOTS_VIEW = Table(
    "delinquency_snapshots",
    VIEW_METADATA,
    Column("as_of", Date, primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("customer_id", String(64)),
    Column("currency", String(3)),
    Column("status", String(16)),
    Column("dpd", Integer),
    Column("bucket", String(16)),
    Column("bucket_rank", Integer),
    Column("overdue_amount", BigInteger),
    Column("outstanding_amount", BigInteger),
    Column("roll", String(8)),
)

_views = registry(metadata=VIEW_METADATA)


@_views.mapped
class DelinquencySnapshot:
    """An account's DPD, bucket, overdue amount and roll as of a snapshot date (read only: the
    view of the ranges, one row per account per snapshot date)."""

    __table__ = SNAPSHOTS_VIEW

    as_of: Mapped[date]
    account_id: Mapped[str]
    customer_id: Mapped[str]
    currency: Mapped[str]
    status: Mapped[str]
    dpd: Mapped[int]
    bucket: Mapped[str]
    bucket_rank: Mapped[int]
    overdue_amount: Mapped[int]
    outstanding_amount: Mapped[int]
    roll: Mapped[str]
