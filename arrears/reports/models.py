"""The dashboard's daily totals (issue #14 §3): written by the nightly batch from the night's
snapshot (the payments' and contacts' own daily totals are kept by their contexts:
``portfolio.models.PaymentDayTotal``, ``contacts.models.ContactDayTotal``), read by the
dashboard in a few hundred rows instead of a pass over a million ranges.

``product`` is the account's product when the night ran ('' for an account no longer in the
portfolio). Amounts in minor units.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base


class BucketDayTotal(Base):
    """Accounts and their balances per bucket, currency and product on a snapshot date."""

    __tablename__ = "bucket_day_totals"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket_rank: Mapped[int] = mapped_column(Integer)
    accounts: Mapped[int] = mapped_column(BigInteger)
    outstanding: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    overdue: Mapped[int] = mapped_column(BigInteger, comment="minor units")


class RollDayCell(Base):
    """The roll cells into a snapshot date ``as_of`` from any earlier snapshot date of the last
    366 days, stored as changes: the cells from a date F to ``as_of`` are the sums of the rows
    with ``since <= F`` (an account's range at F adds itself on the day it began and takes itself
    off on the day it ended; ranges begun before the window count from its first day)."""

    __tablename__ = "roll_day_cells"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    since: Mapped[date] = mapped_column(Date, primary_key=True)
    from_bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    to_bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    accounts: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger, comment="minor units: outstanding at the from date")
