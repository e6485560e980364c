"""The nightly run's orchestrator: read the portfolio once, then for each as-of date, in one
transaction each, snapshot delinquency, move cases and record the run.

Unlike a context's ``service.py`` (which only flushes), the orchestrator owns the transaction:
it commits each date's work. Progress goes out through a ``report`` callback and the result
comes back as summaries; showing either is the caller's business (the CLI's).

A date's work commits at once or not at all: killed at any point (SIGKILL included), the
database keeps what it had before that date's run, and the next run completes it. The run
lock (:mod:`arrears.batch.lock`) keeps a second batch out meanwhile. The wall clock is never
read for business dates: they are given, or resolved from a Clock by :func:`resolve_dates`,
which refuses a night after the bank's business today unless the run simulates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlalchemy import Connection, Engine

from arrears.arrangements import plan_batch, promise_batch
from arrears.arrangements.promise_batch import PromiseTerms
from arrears.audit.verify import verify as verify_audit_trail
from arrears.batch import repository
from arrears.batch.lock import batch_lock
from arrears.batch.models import RunStatus
from arrears.batch.store import SyncOutcome, sync
from arrears.batch.summary import DaySummary, summarize
from arrears.cases import service as cases
from arrears.channels import reminders as reminder_step
from arrears.clock import Clock, business_today, yesterday
from arrears.compliance.packs import Pack
from arrears.db.arrow import cyclic_gc_paused
from arrears.delinquency import repository as snapshots
from arrears.delinquency.engines import DuckDBEngine, SnapshotEngine, SparkEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.queues import next_case
from arrears.queues import nightly as queues
from arrears.reports import totals
from arrears.strategy import nightly as strategy_step
from arrears.strategy.evaluation import DuckDBStrategyEngine, SparkStrategyEngine, StrategyEngine

if TYPE_CHECKING:  # scoring needs the optional scoring extra; the batch imports it when it scores
    from arrears.scoring.batch_scorer import BatchScorer, DayScores

Report = Callable[[str, int, int], None]
"""Progress: (what is happening, dates done, dates in all)."""
Checkpoint = Callable[[str], None]
"""Called at each step inside a date's transaction (the SIGKILL test stops the run there)."""
NightClock = Callable[[date], Clock]
"""The clock a date's work is stamped with (a backfill simulating each night at its own hour)."""
NIGHT_CACHE_MIB = 256
"""SQLite's page cache for a night's transaction, in MiB, for the database and for its temporary
tables each (SQLite's default is 2 MiB, and ``cache_size`` alone leaves the temporary tables'
at it). A night reads and rewrites most pages of the case tables and builds temporary tables
of every open case (the queues' plan); with the default cache the pages it changed were spilled
to the write-ahead log or a temporary file again and again before the commit, and every page
read again from the file (docs/strategy.md, "Measures", session 16). Pages are taken only as
the night touches them, and given back after."""

SQLITE_DEFAULT_CACHE_SIZE = -2000
"""SQLite's own page cache (2,000 KiB), what a connection's caches are given back at."""


def dates_between(first: date, last: date) -> list[date]:
    if last < first:
        raise InvalidInputError(
            N_("--to {last} is before --from {first}"), last=last.isoformat(), first=first.isoformat()
        )
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def resolve_dates(
    as_of: date | None,
    first: date | None,
    last: date | None,
    clock: Clock,
    zone: str,
    *,
    simulate: bool = False,
) -> list[date]:
    """The dates to run: ``as_of``, or ``first`` to ``last``, or yesterday in the bank's zone.

    A date after the bank's business today is refused unless the run ``simulate``s: a night in
    the future would book payments and cases that have not happened.
    """
    if as_of is not None and (first is not None or last is not None):
        raise InvalidInputError(N_("give --as-of or --from/--to, not both"))
    if (first is None) != (last is None):
        raise InvalidInputError(N_("--from and --to go together"))
    if first is not None and last is not None:
        dates = dates_between(first, last)
    else:
        dates = [as_of if as_of is not None else yesterday(clock, zone)]
    today = business_today(clock, zone)
    if not simulate and dates[-1] > today:
        raise InvalidInputError(
            N_(
                "{date} is after the bank's business today ({today}, {zone}): a night cannot run "
                "in the future; give --simulate to run it on purpose"
            ),
            date=dates[-1].isoformat(),
            today=today.isoformat(),
            zone=zone,
        )
    return dates


def _previous_run(connection: Connection, as_of: date) -> tuple[date, int] | None:
    """The latest succeeded run before ``as_of`` (its date and attempt): the roll compares with it."""
    previous_date = repository.previous_run_date(connection, as_of)
    if previous_date is None:
        return None
    return previous_date, repository.run_attempts(connection, previous_date)


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
    store: DuckDBEngine | None = None,
    rebuild_store: bool = False,
    promise_terms: PromiseTerms | None = None,
    plan_grace_days: int = plan_batch.DEFAULT_GRACE_DAYS,
    reminders: reminder_step.RemindersDocument | None = None,
    bank_zone: str = "Asia/Shanghai",
    pay_links: reminder_step.PayLinks | None = None,
    night_clock: NightClock | None = None,
    strategy: StrategyNight | None = None,
) -> list[DaySummary]:
    """Run the batch for each date in order; returns one summary per date.

    The portfolio is staged in ``store`` (arrears.batch.store), brought up to date with the
    database first; without one, a DuckDB ``engine`` is its own store, and any other engine
    reads a store kept in memory for the run. With a ``scorer`` each date also scores the open
    cases' accounts with the active model; with ``reminders`` each date queues the reminders of
    the next morning (arrears.channels.reminders), at the customers' local times (else
    ``bank_zone``'s), with pay-now links when ``pay_links`` is given. With ``night_clock`` each
    date's work is stamped by the clock it gives for that date (a backfill that simulates every
    night at its own hour, as one run: the portfolio read, the audit trail verified and the
    store compacted once, not once a night), else by ``clock``. With ``strategy`` each date runs
    the approved strategy of that night over the open cases (arrears.strategy.nightly) on the
    batch's engine and writes the next morning's actions.
    """
    label = f"arrears batch {dates[0].isoformat()}..{dates[-1].isoformat()}"
    summaries: list[DaySummary] = []
    with batch_lock(database, label):
        staged = _store_for(engine, store)
        kept = staged is engine or store is not None  # else a store in memory, for this run's reading
        report("reading the portfolio 读取资产组合", 0, len(dates))
        with database.connect() as connection:
            synced = sync(staged, connection, rebuild=rebuild_store)
            if staged is not engine:
                report(f"staging the portfolio on {engine.name}", 0, len(dates))
                engine.load(staged.frames())
            if scorer is not None:
                scorer.prepare(connection, staged.frames, dates[0])
        if not kept:
            staged.close()
        deciding = None if strategy is None else _Deciding(strategy, _strategy_engine(engine))
        try:
            for done, as_of in enumerate(dates):
                report(f"as of {as_of.isoformat()}", done, len(dates))
                with cyclic_gc_paused():  # the night's objects are freed by reference counting
                    summary = _run_day(
                        database,
                        as_of,
                        engine,
                        rules,
                        clock if night_clock is None else night_clock(as_of),
                        checkpoint,
                        scorer,
                        promise_terms,
                        plan_grace_days,
                        _Reminders(reminders, bank_zone, pay_links) if reminders is not None else None,
                        deciding,
                    )
                refresh_statistics(database)
                if done == 0:
                    summary.notes.append(_sync_note(synced))
                _say_once(summary, summaries)
                summaries.append(summary)
        finally:
            if deciding is not None:
                deciding.engine.close()
        report("verifying the audit trail 校验审计记录", len(dates), len(dates))
        with database.connect() as connection:
            summaries[-1].audit = verify_audit_trail(connection)
        if kept:
            report("compacting the store 压缩批处理存储", len(dates), len(dates))
            if staged.compact():  # after the nights committed: they never wait for it
                summaries[-1].notes.append("store compacted: superseded rows dropped 已压缩")
        report("done 完成", len(dates), len(dates))
    return summaries


NIGHT_TABLES = (
    "delinquency_ranges",
    "snapshot_dates",
    "cases",
    "case_accounts",
    "case_assignments",
    "case_events",
    "case_queues",
    "account_scores",
    "promises",
    "outbox_messages",
    "message_events",
    "case_segments",
    "strategy_actions",
    "audit_entries",
)
"""The tables a night writes in bulk."""


def refresh_statistics(database: Engine) -> None:
    """On PostgreSQL, ANALYZE the tables a night wrote in bulk, so that the morning's queries are
    planned on what they now hold. Autovacuum would, but later: the first nights of a new book (a
    backfill) would otherwise be read with the statistics of empty tables. ANALYZE reads a sample,
    not the whole table."""
    if database.dialect.name != "postgresql":
        return
    with database.begin() as connection:
        for table in NIGHT_TABLES:
            connection.exec_driver_sql(f"ANALYZE {table}")


def _say_once(summary: DaySummary, earlier: list[DaySummary]) -> None:
    """Drop the note that the queues did nothing when an earlier night of the run said it already."""
    said = {note for day in earlier for note in day.notes}
    summary.notes = [n for n in summary.notes if not (n.startswith(queues.NOTHING_DONE) and n in said)]


def _store_for(engine: SnapshotEngine, store: DuckDBEngine | None) -> DuckDBEngine:
    """Where the portfolio is staged: the given store, else a DuckDB engine itself, else a
    store in memory for this run."""
    if store is not None:
        return store
    return engine if isinstance(engine, DuckDBEngine) else DuckDBEngine()


def _sync_note(synced: SyncOutcome) -> str:
    if synced.full:
        return f"portfolio read in full: {synced.rows:,} rows 全量读取"
    return (
        f"portfolio brought up to date: {synced.imports} imports, {synced.rows:,} rows, "
        f"{synced.dirty:,} accounts to recompute 增量同步"
    )


def _write_snapshot(
    connection: Connection, as_of: date, engine: SnapshotEngine, snapshot: pa.Table
) -> tuple[pa.Table, date | None]:
    """Store the date's snapshot as ranges, writing only the accounts that changed; returns them
    and the snapshot date they changed since (None: the date is before a stored one).

    A DuckDB engine keeps the snapshot it wrote last: when the database's latest snapshot is
    that one (same date, same run attempt), the changes are found against it without reading
    the database's rows back."""
    changed = None
    latest = snapshots.latest_date(connection)
    ahead = latest is None or as_of >= latest
    if isinstance(engine, DuckDBEngine) and ahead:
        base = None if latest is None else (latest, repository.attempts_of(connection, latest))
        changed = engine.changes_since_written(snapshot, as_of, base)
    changed = snapshots.replace_snapshot(connection, as_of, snapshot, changed)
    return changed, latest if ahead else None


@dataclass(frozen=True)
class StrategyNight:
    """What the nightly strategy step needs besides the night's own: the rule pack its actions
    are put to and the bank's zone (the zone of a customer without one)."""

    pack: Pack
    bank_zone: str


@dataclass(frozen=True)
class _Deciding:
    night: StrategyNight
    engine: StrategyEngine

    def run(self, connection: Connection, as_of: date, now: datetime) -> strategy_step.NightOutcome:
        return strategy_step.run_night(
            connection, as_of, now, self.engine, self.night.pack, self.night.bank_zone
        )


def _strategy_engine(engine: SnapshotEngine) -> StrategyEngine:
    """The strategy runs on the batch's engine: Spark's session when the batch runs on Spark."""
    if isinstance(engine, SparkEngine):
        return SparkStrategyEngine(session=engine.spark)
    return DuckDBStrategyEngine()


@dataclass(frozen=True)
class _Reminders:
    config: reminder_step.RemindersDocument
    bank_zone: str
    pay_links: reminder_step.PayLinks | None = None

    def run(self, connection: Connection, as_of: date, now: datetime) -> reminder_step.ReminderOutcome:
        return reminder_step.queue_reminders(
            connection, as_of, now, self.config, self.bank_zone, self.pay_links
        )


@contextmanager
def _night_transaction(database: Engine) -> Iterator[Connection]:
    """A connection in a transaction, committed on leaving (rolled back on an error). On SQLite its
    page caches (the database's and the temporary tables') are :data:`NIGHT_CACHE_MIB` each for
    the transaction, and the connection's own sizes again after (the pool keeps the connection)."""
    with database.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        before: dict[str, int] = {}
        if sqlite:
            for schema in ("main", "temp"):
                size = int(connection.exec_driver_sql(f"PRAGMA {schema}.cache_size").scalar_one())
                # 0: the temporary database is not open yet, and opens with SQLite's default
                before[schema] = size or SQLITE_DEFAULT_CACHE_SIZE
                connection.exec_driver_sql(f"PRAGMA {schema}.cache_size = -{NIGHT_CACHE_MIB * 1024}")
            connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            if before and not connection.invalidated:
                for schema, size in before.items():
                    connection.exec_driver_sql(f"PRAGMA {schema}.cache_size = {size}")
                connection.commit()


def _run_day(
    database: Engine,
    as_of: date,
    engine: SnapshotEngine,
    rules: DelinquencyRules,
    clock: Clock,
    checkpoint: Checkpoint,
    scorer: BatchScorer | None = None,
    promise_terms: PromiseTerms | None = None,
    plan_grace_days: int = plan_batch.DEFAULT_GRACE_DAYS,
    reminders: _Reminders | None = None,
    deciding: _Deciding | None = None,
) -> DaySummary:
    started_at, started = clock.now(), time.perf_counter()
    try:
        with _night_transaction(database) as connection:
            previous = _previous_run(connection, as_of)
            roll_from_carry = previous is not None and engine.carries(previous[0], rules, previous[1])
            buckets: pa.Table | None = None
            if previous is not None and not roll_from_carry:
                buckets = snapshots.read_buckets(connection, previous[0])
            snapshot = engine.snapshot(as_of, rules, buckets, roll_from_carry=roll_from_carry)
            checkpoint("computed")
            changed, since = _write_snapshot(connection, as_of, engine, snapshot)
            checkpoint("snapshot written")
            totals.write_night(connection, as_of, changed, since)  # the dashboard's daily totals
            changes = cases.apply_snapshot(connection, snapshot, as_of, changed, since)
            checkpoint("cases applied")
            scores: DayScores | None = None
            if scorer is not None:
                scores = scorer.score_day(connection, as_of, snapshot)
                checkpoint("scored")
            # Promises and plans first: the queues' rules and the next-case priority read them.
            promises = promise_batch.evaluate(connection, as_of, promise_terms)
            checkpoint("promises evaluated")
            plan_changes = plan_batch.evaluate_plans(
                connection, as_of, now=clock.now(), grace_days=plan_grace_days
            )
            checkpoint("plans evaluated")
            queued = queues.assign_book(
                connection, as_of, clock.now(), progress_from=None if previous is None else previous[0]
            )
            checkpoint("queues assigned")
            prioritised = next_case.refresh_priorities(connection, as_of)
            checkpoint("queue priorities")
            # Reminders last: they read the promises, plans and cases above and nothing after
            # reads them, so the morning's case work never waits for the messages' rendering.
            reminded = None if reminders is None else reminders.run(connection, as_of, clock.now())
            checkpoint("reminders queued")
            chosen = None if deciding is None else deciding.run(connection, as_of, clock.now())
            checkpoint("strategy evaluated")
            accounts, delinquent, entries, cures, rolls, lines = summarize(snapshot)
            counts = {
                "accounts": accounts,
                "delinquent": delinquent,
                "cases_opened": changes.opened,
                "cases_closed": changes.closed,
                "cases_reassigned": queued.moved,
                "queue_priorities_changed": prioritised,
                "promises_evaluated": promises.evaluated,
                "promises_kept": promises.kept,
                "promises_partially_kept": promises.partially_kept,
                "promises_broken": promises.broken,
                **plan_changes.counts(),
                **(reminded.counts() if reminded is not None else {}),
                **(chosen.counts() if chosen is not None else {}),
            }
            attempt = repository.record_run(
                connection,
                as_of,
                status=RunStatus.SUCCEEDED,
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
                status=RunStatus.FAILED,
                engine=engine.name,
                counts={},
                started_at=started_at,
                finished_at=clock.now(),
                error=f"{type(error).__name__}: {error}",
            )
        raise
    engine.mark_run(as_of, attempt)  # after the commit, and never a reason to call the run failed
    notes = [] if changes.skipped_reason is None else [f"cases left as they are: {changes.skipped_reason}"]
    notes.append(queued.note())
    if promises.evaluated:
        notes.append(
            f"promises 承诺还款: {promises.evaluated} evaluated, {promises.kept} kept, "
            f"{promises.partially_kept} partially kept, {promises.broken} broken"
        )
    if plan_changes.installments or plan_changes.activated or plan_changes.completed or plan_changes.broken:
        notes.append(plan_changes.note())
    notes.extend(step.note() for step in (reminded, chosen) if step is not None)
    summary = DaySummary(
        as_of=as_of,
        accounts=accounts,
        delinquent=delinquent,
        entries=entries,
        cures=cures,
        rolls=rolls,
        buckets=lines,
        cases=changes,
        elapsed_seconds=time.perf_counter() - started,
        notes=notes,
        scores=scores,
    )
    return summary
