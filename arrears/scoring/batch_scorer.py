"""The batch's scorer (BatchScorer): after a date's snapshot and cases, score the open cases' accounts.

The step keeps its own DuckDB connection with the feature inputs (account terms, dues,
payments and the snapshot history, each new date's snapshot appended), so it works whichever
engine computed the snapshots. It runs inside the date's transaction and never commits.
When no model is active for the purpose it stages nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pyarrow as pa
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from arrears.cases.repository import read_open_case_accounts
from arrears.delinquency.repository import read_history
from arrears.portfolio.frames import PortfolioFrames
from arrears.scoring import repository
from arrears.scoring.date_scoring import score_as_of
from arrears.scoring.own_data import HISTORY_DAYS, append_snapshot, stage_from_database
from arrears.scoring.settings import ScoringSettings


@dataclass(frozen=True)
class DayScores:
    """What the batch summary shows of a date's scoring."""

    purpose: str
    model: str | None
    """``purpose vN`` of the model used; None when no model was active."""
    accounts: int = 0
    by_band: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class BatchScorer:
    def __init__(self, settings: ScoringSettings, threads: int = 2) -> None:
        self._settings = settings
        self._threads = threads
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def purpose(self) -> str:
        return self._settings.purpose

    def prepare(self, connection: Connection, portfolio: Callable[[], PortfolioFrames], first: date) -> None:
        """Stage the feature inputs when the purpose has an active model; snapshots before ``first``.

        ``portfolio`` gives the portfolio's frames; it is called only when a model is active.
        """
        self.close()
        if repository.active_version_id(connection, self.purpose) is None:
            return
        self._con = duckdb.connect()
        self._con.execute(f"SET threads = {int(self._threads)}")
        history = read_history(connection, first - timedelta(days=HISTORY_DAYS), first - timedelta(days=1))
        stage_from_database(self._con, connection, history.drop(["overdue_amount"]), portfolio())

    def score_day(self, connection: Connection, as_of: date, snapshot: pa.Table) -> DayScores:
        """Score the open cases' accounts as of the date, in the caller's transaction."""
        if self._con is None:
            return DayScores(self.purpose, None)
        append_snapshot(self._con, as_of, snapshot)
        cases = read_open_case_accounts(connection)
        case_of = dict(
            zip(cases.column("account_id").to_pylist(), cases.column("case_id").to_pylist(), strict=True)
        )
        session = Session(bind=connection)
        try:
            row = repository.active_version(session, self.purpose)
            if row is None:
                return DayScores(self.purpose, None)
            nightly = score_as_of(
                self._con, session, as_of, self.purpose, self._settings, case_of, cases_only=True
            )
            session.flush()
            return DayScores(
                self.purpose,
                f"{self.purpose} v{row.version}",
                nightly.run.accounts,
                nightly.run.by_band,
                nightly.warnings(),
            )
        finally:
            session.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
