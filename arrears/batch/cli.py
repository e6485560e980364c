"""``arrears batch run``: the nightly batch for one as-of date or a range of dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import typer
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrears.arrangements.promise_batch import PromiseTerms
from arrears.audit.verify import ChainBrokenError
from arrears.batch.orchestrator import StrategyNight, resolve_dates, run_batch
from arrears.batch.store import damaged, is_damage, open_store
from arrears.batch.summary import DaySummary
from arrears.channels.reminders import PayLinks, RemindersDocument, load_reminders
from arrears.cli_options import date_option
from arrears.clock import SystemClock
from arrears.config import batch_store_path, get_settings, message_language
from arrears.contacts.gate import pack_of
from arrears.db import open_database
from arrears.delinquency.cli import RULES_OPTION, rules_from
from arrears.delinquency.engines import ENGINES, DuckDBEngine, SnapshotEngine
from arrears.delinquency.engines import make_engine as make_snapshot_engine
from arrears.delinquency.rules import ROLLS, DelinquencyRules
from arrears.errors import one_of
from arrears.i18n import N_, translate
from arrears.money import format_major
from arrears.payments.reminder_links import reminder_pay_links

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from arrears.scoring.batch_scorer import BatchScorer

app = typer.Typer(help="The nightly batch 夜间批处理.", no_args_is_help=True)
console = Console()


@app.command("run")
def run(
    as_of: Annotated[
        date | None, date_option("--as-of", help="Business date (default: yesterday, bank zone).")
    ] = None,
    first: Annotated[date | None, date_option("--from", help="First date of a backfill.")] = None,
    last: Annotated[date | None, date_option("--to", help="Last date of a backfill.")] = None,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Allow dates after the bank's business today (a simulation, e.g. of a synthetic portfolio).",
        ),
    ] = False,
    engine: Annotated[str, typer.Option(help=f"Batch engine: {', '.join(ENGINES)}.")] = "duckdb",
    spark_master: Annotated[str, typer.Option(help="Spark master URL (--engine spark).")] = "local[2]",
    spark_work_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where Spark reads the staged portfolio: on a cluster, a path every executor sees."
        ),
    ] = None,
    rules_path: RULES_OPTION = None,
    rebuild_store: Annotated[
        bool,
        typer.Option(help="Read the whole portfolio again instead of the imports since the last run."),
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress display.")] = False,
) -> None:
    """Snapshot delinquency and move cases for each date; prints the summary."""
    from arrears.scoring.batch_scorer import BatchScorer
    from arrears.scoring.settings import get_scoring_settings

    settings = get_settings()
    dates = resolve_dates(as_of, first, last, SystemClock(), settings.bank_timezone, simulate=simulate)
    one_of(engine, ENGINES, "--engine")
    rules = rules_from(rules_path)
    reminders = load_reminders(settings.reminders)
    with open_database(settings) as database:
        store_path = batch_store_path(settings)
        store = open_store(store_path, rebuild=rebuild_store) if store_path is not None else None
        try:
            snapshot_engine = make_snapshot_engine(engine, spark_master, spark_work_dir, store)
        except BaseException:
            if store is not None:
                store.close()
            raise
        scorer = BatchScorer(get_scoring_settings())
        try:
            terms = PromiseTerms(settings.promise_grace_days, settings.promise_tolerance)
            summaries = _run(
                database,
                dates,
                snapshot_engine,
                rules,
                scorer,
                store,
                rebuild_store,
                quiet,
                terms,
                settings.plan_grace_days,
                reminders,
                settings.bank_timezone,
                reminder_pay_links(settings),
                StrategyNight(
                    pack_of(settings.compliance_pack, settings.compliance_policy), settings.bank_timezone
                ),
            )
        except duckdb.Error as error:
            if store_path is not None and is_damage(error):
                raise damaged(store_path, error) from error
            raise
        finally:
            scorer.close()
            snapshot_engine.close()
            if store is not None and store is not snapshot_engine:
                store.close()
    render(summaries, console)


def _run(
    database: Engine,
    dates: list[date],
    snapshot_engine: SnapshotEngine,
    rules: DelinquencyRules,
    scorer: BatchScorer,
    store: DuckDBEngine | None,
    rebuild_store: bool,
    quiet: bool,
    promise_terms: PromiseTerms,
    plan_grace_days: int,
    reminders: RemindersDocument,
    bank_zone: str,
    pay_links: PayLinks | None = None,
    strategy: StrategyNight | None = None,
) -> list[DaySummary]:
    """The run with its progress drawn on the console (unless ``quiet``)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=True,
    ) as progress:
        task = progress.add_task("batch", total=len(dates))

        def report(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=done, total=total)

        return run_batch(
            database,
            dates,
            snapshot_engine,
            rules,
            SystemClock(),
            report,
            scorer=scorer,
            store=store,
            rebuild_store=rebuild_store,
            promise_terms=promise_terms,
            plan_grace_days=plan_grace_days,
            reminders=reminders,
            bank_zone=bank_zone,
            pay_links=pay_links,
            strategy=strategy,
        )


DAY_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    (N_("as of"), "left"),
    (N_("accounts"), "right"),
    (N_("delinq."), "right"),
    (N_("entries"), "right"),
    (N_("cures"), "right"),
    (N_("opened"), "right"),
    (N_("closed"), "right"),
    (N_("s"), "right"),
)
"""The headings of the summary's table of dates (seconds last), and how each column is aligned."""
BUCKET_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    (N_("bucket"), "left"),
    (N_("currency"), "left"),
    (N_("accounts"), "right"),
    (N_("outstanding"), "right"),
    (N_("overdue"), "right"),
)


def render(summaries: list[DaySummary], console: Console, language: str | None = None) -> None:
    """The run's summary, its headings and titles in ``language`` (default: the user's)."""
    lang = language or message_language()

    def say(message: str, **params: object) -> str:
        return translate(message, lang, **params)

    days = Table(title=say(N_("Batch")))
    for heading, justify in DAY_COLUMNS:
        days.add_column(say(heading), justify=justify)
    for day in summaries:
        days.add_row(
            day.as_of.isoformat(),
            f"{day.accounts:,}",
            f"{day.delinquent:,}",
            f"{day.entries:,}",
            f"{day.cures:,}",
            f"{day.cases.opened:,}",
            f"{day.cases.closed:,}",
            f"{day.elapsed_seconds:.2f}",
        )
    console.print(days)
    for day in summaries:
        for note in day.notes:
            console.print(f"[yellow]{day.as_of.isoformat()}: {note}[/]")
    if not summaries:
        return
    last = summaries[-1]
    _render_audit(last, console, lang)
    table = Table(title=say(N_("Accounts by bucket, as of {as_of}"), as_of=last.as_of.isoformat()))
    for heading, justify in BUCKET_COLUMNS:
        table.add_column(say(heading), justify=justify)
    for line in last.buckets:
        table.add_row(
            line.bucket,
            line.currency,
            f"{line.accounts:,}",
            format_major(line.outstanding, line.currency),
            format_major(line.overdue, line.currency),
        )
    console.print(table)
    rolls = Table(title=say(N_("Rolls")))
    for roll in ROLLS:
        rolls.add_column(roll, justify="right")
    rolls.add_row(*(f"{last.rolls.get(r, 0):,}" for r in ROLLS))
    console.print(rolls)
    _render_scores(summaries, console, lang)
    total = sum(d.elapsed_seconds for d in summaries)
    console.print(say(N_("{count} date(s) in {seconds} s"), count=len(summaries), seconds=f"{total:.2f}"))


def _render_audit(day: DaySummary, console: Console, language: str) -> None:
    """One line: the audit trail intact (its count and head), or its first break."""
    state = day.audit
    if state is None:
        return
    if state.broken is not None:
        console.print(f"[bold red]{escape(ChainBrokenError(state.broken).message(language))}[/]")
        return
    if state.entries == 0:
        console.print(translate(N_("Audit trail empty: nothing recorded yet"), language))
        return
    console.print(
        translate(
            N_("Audit trail intact: {count} entries, head {seq}:{hash}"),
            language,
            count=f"{state.entries:,}",
            seq=state.head_seq,
            hash=state.head_hash,
        ),
        highlight=False,
    )


def _render_scores(summaries: list[DaySummary], console: Console, language: str) -> None:
    """One line when no model was active; else the last date's bands and drift warnings."""
    scored = [d for d in summaries if d.scores is not None]
    if not scored:
        return
    unscored = [d for d in scored if d.scores is not None and d.scores.model is None]
    if unscored:
        purpose = unscored[0].scores.purpose if unscored[0].scores else ""
        console.print(
            translate(
                N_("no active {purpose} model: {count} date(s) not scored"),
                language,
                purpose=purpose,
                count=len(unscored),
            )
        )
    last = scored[-1].scores
    if last is None or last.model is None:
        return
    bands = "  ".join(f"{band}: {count:,}" for band, count in last.by_band.items())
    console.print(
        translate(
            N_("Scores {as_of} ({model}), {accounts} accounts"),
            language,
            as_of=scored[-1].as_of.isoformat(),
            model=last.model,
            accounts=f"{last.accounts:,}",
        )
    )
    console.print("  " + translate(N_("bands  {bands}"), language, bands=bands))
    for warning in last.warnings:
        console.print(f"  [yellow]{warning}[/]")


__all__ = ["app", "render", "resolve_dates", "run"]
