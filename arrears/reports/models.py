"""The dashboard's daily totals (issue #14 §3): written by the nightly batch from the night's
snapshot, read by the dashboard in a few hundred rows instead of a pass over a million ranges.

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


class PaymentDayTotal(Base):
    """Payments less reversals per day paid, currency and product (the collections figure)."""

    __tablename__ = "payment_day_totals"

    paid_on: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units: payments less reversals")
    payments: Mapped[int] = mapped_column(BigInteger, comment="payments, reversals not counted")


class PaymentDayChange(Base):
    """A day paid whose payments were written (or an account's product changed) since the nightly
    totals: the dashboard reads that day from the payments until the next night rewrites it. A row
    per write (never updated: a night clears the rows it read, and only those)."""

    __tablename__ = "payment_day_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    paid_on: Mapped[date] = mapped_column(Date, index=True)


class ContactDayTotal(Base):
    """Outbound contacts per business day, team, collector and disposition (the contacts' and the
    productivity figures). ``team_id`` and ``recorded_by`` 0: none (a contact of no team, of the
    system)."""

    __tablename__ = "contact_day_totals"

    started_on: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="teams.id; 0: none")
    recorded_by: Mapped[int] = mapped_column(Integer, primary_key=True, comment="users.id; 0: the system")
    disposition: Mapped[str] = mapped_column(String(32), primary_key=True)
    contacts: Mapped[int] = mapped_column(BigInteger)


class ContactDayChange(Base):
    """A business day an outbound contact was recorded for since the nightly totals (today's, or
    an earlier day's recorded after the fact): read from the contacts until the next night. A row
    per contact (never updated: a night clears the rows it read, and only those)."""

    __tablename__ = "contact_day_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_on: Mapped[date] = mapped_column(Date, index=True)
