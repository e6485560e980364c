"""The nightly run: read the portfolio once, then for each as-of date, in one transaction each,
snapshot delinquency, move cases and record the run.

A date's work commits at once or not at all: killed at any point (SIGKILL included), the
database keeps what it had before that date's run, and the next run completes it. The run
lock (:mod:`arrears.batch.lock`) keeps a second batch out meanwhile. The wall clock is never
read for business dates: they are given, or derived by the caller from a Clock.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import date, timedelta

import pyarrow as pa
from sqlalchemy import Engine

from arrears.batch import repository
from arrears.batch.lock import batch_lock
from arrears.batch.models import RUN_FAILED, RUN_SUCCEEDED
from arrears.batch.summary import DaySummary, summarize
from arrears.cases import service as cases
from arrears.clock import Clock
from arrears.delinquency.engines import SnapshotEngine
from arrears.delinquency.frames import PortfolioFrames
from arrears.delinquency.rules import DelinquencyRules
from arrears.scoring.batch_step import BatchScorer, DayScores

Report = Callable[[str, int, int], None]
"""Progress: (what is happening, dates done, dates in all)."""
Checkpoint = Callable[[str], None]
"""Called at each step inside a date's transaction (the SIGKILL test stops the run there)."""


def dates_between(first: date, last: date) -> list[date]:
    if last < first:
        raise ValueError(f"--to {last.isoformat()} is before --from {first.isoformat()}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _same(frames: PortfolioFrames) -> PortfolioFrames:
    return frames


def _quiet(_message: str, _done: int, _total: int) -> None:
    return None


def _no_checkpoint(_step: str) -> None:
    return None


def run_batch(
    database: Engine,
    dates: list[date],
    engine: SnapshotEngine,
    rules: DelinquencyRules,
    clock: Clock,
    report: Report = _quiet,
    checkpoint: Checkpoint = _no_checkpoint,
    scorer: BatchScorer | None = None,
) -> list[DaySummary]:
    """Run the batch for each date in order; returns one summary per date.

    With a ``scorer`` each date also scores the open cases' accounts with the active model.
    """
    label = f"arrears batch {dates[0].isoformat()}..{dates[-1].isoformat()}"
    summaries: list[DaySummary] = []
    with batch_lock(database, label):
        report("reading the portfolio 读取资产组合", 0, len(dates))
        with database.connect() as connection:
            portfolio = repository.read_portfolio(connection)
            if scorer is not None:
                scorer.prepare(connection, functools.partial(_same, portfolio), dates[0])
        report(f"staging {portfolio.accounts.num_rows:,} accounts on {engine.name}", 0, len(dates))
        engine.load(portfolio)
        del portfolio
        remembered: tuple[date, pa.Table] | None = None
        for done, as_of in enumerate(dates):
            report(f"as of {as_of.isoformat()}", done, len(dates))
            summary, buckets = _run_day(database, as_of, engine, rules, clock, remembered, checkpoint, scorer)
            remembered = (as_of, buckets)
            summaries.append(summary)
        report("done 完成", len(dates), len(dates))
    return summaries


def _run_day(
    database: Engine,
    as_of: date,
    engine: SnapshotEngine,
    rules: DelinquencyRules,
    clock: Clock,
    remembered: tuple[date, pa.Table] | None,
    checkpoint: Checkpoint,
    scorer: BatchScorer | None = None,
) -> tuple[DaySummary, pa.Table]:
    started_at, started = clock.now(), time.perf_counter()
    try:
        with database.begin() as connection:
            previous_date = repository.previous_run_date(connection, as_of)
            previous: pa.Table | None = None
            if previous_date is not None:
                if remembered is not None and remembered[0] == previous_date:
                    previous = remembered[1]
                else:
                    previous = repository.read_buckets(connection, previous_date)
            snapshot = engine.snapshot(as_of, rules, previous)
            checkpoint("computed")
            repository.replace_snapshot(connection, as_of, snapshot)
            checkpoint("snapshot written")
            changes = cases.apply_snapshot(connection, snapshot, as_of)
            checkpoint("cases applied")
            scores: DayScores | None = None
            if scorer is not None:
                scores = scorer.score_day(connection, as_of, snapshot)
                checkpoint("scored")
            accounts, delinquent, entries, cures, rolls, buckets = summarize(snapshot, previous, rules)
            counts = {
                "accounts": accounts,
                "delinquent": delinquent,
                "cases_opened": changes.opened,
                "cases_closed": changes.closed,
            }
            repository.record_run(
                connection,
                as_of,
                status=RUN_SUCCEEDED,
                engine=engine.name,
                counts=counts,
                started_at=started_at,
                finished_at=clock.now(),
            )
            checkpoint("recorded")
    except Exception as error:
        with database.begin() as connection:
            repository.record_run(
                connection,
                as_of,
                status=RUN_FAILED,
                engine=engine.name,
                counts={},
                started_at=started_at,
                finished_at=clock.now(),
                error=f"{type(error).__name__}: {error}",
            )
        raise
    notes = [] if changes.skipped_reason is None else [f"cases left as they are: {changes.skipped_reason}"]
    summary = DaySummary(
        as_of=as_of,
        accounts=accounts,
        delinquent=delinquent,
        entries=entries,
        cures=cures,
        rolls=rolls,
        buckets=buckets,
        cases=changes,
        elapsed_seconds=time.perf_counter() - started,
        notes=notes,
        scores=scores,
    )
    return summary, snapshot.select(["account_id", "bucket"])
