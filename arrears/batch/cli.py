"""``arrears batch run``: the nightly batch for one as-of date or a range of dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from arrears.batch.lock import BatchLockedError
from arrears.batch.service import dates_between, run_batch
from arrears.batch.store import open_store
from arrears.batch.summary import render
from arrears.clock import Clock, SystemClock, yesterday
from arrears.config import batch_store_path, get_settings
from arrears.db import make_engine
from arrears.delinquency.cli import RULES_OPTION, rules_from
from arrears.delinquency.engines import ENGINES
from arrears.delinquency.engines import make_engine as make_snapshot_engine
from arrears.scoring.batch_scorer import BatchScorer
from arrears.scoring.settings import get_scoring_settings

app = typer.Typer(help="The nightly batch 夜间批处理.", no_args_is_help=True)
console = Console()


def resolve_dates(
    as_of: date | None, first: date | None, last: date | None, clock: Clock, zone: str
) -> list[date]:
    """The dates to run: --as-of, or --from/--to, or yesterday in the bank's time zone."""
    if as_of is not None and (first is not None or last is not None):
        raise typer.BadParameter("give --as-of or --from/--to, not both")
    if (first is None) != (last is None):
        raise typer.BadParameter("--from and --to go together")
    if first is not None and last is not None:
        try:
            return dates_between(first, last)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return [as_of if as_of is not None else yesterday(clock, zone)]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


@app.command("run")
def run(
    as_of: Annotated[
        date | None,
        typer.Option("--as-of", parser=_date, help="Business date (default: yesterday, bank zone)."),
    ] = None,
    first: Annotated[
        date | None, typer.Option("--from", parser=_date, help="First date of a backfill.")
    ] = None,
    last: Annotated[date | None, typer.Option("--to", parser=_date, help="Last date of a backfill.")] = None,
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
    settings = get_settings()
    dates = resolve_dates(as_of, first, last, SystemClock(), settings.bank_timezone)
    if engine not in ENGINES:
        raise typer.BadParameter(f"--engine must be one of {', '.join(ENGINES)}")
    rules = rules_from(rules_path)
    database = make_engine(settings.database_url)
    store_path = batch_store_path(settings)
    try:
        store = open_store(store_path) if store_path is not None else None
    except BatchLockedError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(3) from None
    snapshot_engine = make_snapshot_engine(engine, spark_master, spark_work_dir, store)
    scorer = BatchScorer(get_scoring_settings())
    try:
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

            summaries = run_batch(
                database,
                dates,
                snapshot_engine,
                rules,
                SystemClock(),
                report,
                scorer=scorer,
                store=store,
                rebuild_store=rebuild_store,
            )
    except BatchLockedError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(3) from None
    finally:
        scorer.close()
        snapshot_engine.close()
        if store is not None and store is not snapshot_engine:
            store.close()
        database.dispose()
    render(summaries, console)


__all__ = ["app", "resolve_dates", "run"]
