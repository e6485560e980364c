"""The delinquency snapshot: one row per account per as-of date, written in bulk by the batch."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base


class DelinquencySnapshot(Base):
    """An account's DPD, bucket, overdue amount and roll as of a business date.

    No foreign key to accounts: the snapshot is history written in bulk and kept after an
    account leaves the feed.
    """

    __tablename__ = "delinquency_snapshots"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), comment="the account's status on that date")
    dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(16))
    bucket_rank: Mapped[int] = mapped_column(Integer, comment="0 = current, then the bucket table's order")
    overdue_amount: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    outstanding_amount: Mapped[int] = mapped_column(BigInteger, comment="minor units, schedule less net paid")
    roll: Mapped[str] = mapped_column(String(8), comment="new, same, forward, back or cured")

    __table_args__ = (Index(None, "customer_id", "as_of"),)
