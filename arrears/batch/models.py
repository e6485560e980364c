"""Batch runs: the last run of each as-of date, its status and its counts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, UTCDateTime


class RunStatus(StrEnum):
    """How a date's last batch run ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class BatchRun(Base):
    """One row per as-of date. A succeeded row is written in the run's own transaction, so a
    killed run leaves no row; a failed run is recorded afterwards, in a transaction of its own.
    The run lock itself is not a row (a row would outlive a SIGKILL): it is a PostgreSQL
    advisory lock or a lock on a file beside the SQLite database, both released with the process.
    """

    __tablename__ = "batch_runs"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), comment="succeeded or failed")
    engine: Mapped[str] = mapped_column(String(16))
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    delinquent: Mapped[int] = mapped_column(Integer, default=0)
    cases_opened: Mapped[int] = mapped_column(Integer, default=0)
    cases_closed: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(2000))
