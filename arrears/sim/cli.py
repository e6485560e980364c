"""``arrears sim ...``: synthetic portfolios for demos, tests and benchmarks."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrears.cli_options import date_option
from arrears.clock import SystemClock, yesterday
from arrears.config import get_settings, message_language
from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_, translate
from arrears.sim.generator import PortfolioSpec, generate_portfolio
from arrears.sim.profile import DEFAULT_PROFILE, SAMPLE_PROFILE
from arrears.sim.writer import KINDS, FeedFormat

if TYPE_CHECKING:
    from arrears.strategy.models import SimulationRun
    from arrears.strategy.simulation import pair
    from arrears.strategy.simulation.report import Comparison

app = typer.Typer(
    help="Synthetic portfolios (模拟数据): feeds in the feed contract v1.", no_args_is_help=True
)
console = Console()
WIDE = 10_000
"""Characters a line of a table may have when it goes to a file or a pipe."""

SAMPLE_CUSTOMERS = 300
SAMPLE_SEED = 20261121
SAMPLE_AS_OF = date(2026, 11, 21)


def _as_of(given: date | None) -> date:
    return given if given is not None else yesterday(SystemClock(), get_settings().bank_timezone)


def _check_out(out: Path) -> None:
    """``--out`` is a directory: one that exists, or a new one; never a file."""
    if out.exists() and not out.is_dir():
        raise InvalidInputError(
            N_("--out {path} is a file: name a directory for the five feed files (a new one is created)"),
            path=echo(out),
        )


def _warn_of_other_feeds(out: Path, fmt: FeedFormat) -> None:
    """Feed files of the other format in ``out`` would be imported beside the new ones."""
    if not out.is_dir():
        return
    ours = {f"{kind}.{fmt.value}" for kind in KINDS}
    others = sorted(p.name for p in out.iterdir() if p.suffix in (".csv", ".parquet") and p.name not in ours)
    if others:
        console.print(
            f"[yellow]{out} also holds {', '.join(others)}: `arrears import {out}` would read them too. / "
            f"该目录还有其他数据文件，导入时会一并读取。[/]"
        )


@app.command("portfolio")
def portfolio(
    out: Annotated[Path, typer.Option("--out", help="Directory for the five feed files.")],
    customers: Annotated[int, typer.Option("--customers", min=1, help="Number of customers.")] = 1_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed: same seed, same feed.")] = 1,
    fmt: Annotated[FeedFormat, typer.Option("--format", help="csv or parquet.")] = FeedFormat.CSV,
    as_of: Annotated[
        date | None,
        date_option("--as-of", help="The portfolio's business date YYYY-MM-DD (default: yesterday)."),
    ] = None,
    history_months: Annotated[
        int | None,
        typer.Option("--history-months", min=1, help="Open accounts at most this many months ago."),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="Also write each customer's drawn behaviour to this CSV (not a feed)."),
    ] = None,
    sample: Annotated[
        bool,
        typer.Option(
            "--sample",
            help=f"The committed sample: {SAMPLE_CUSTOMERS} customers, seed {SAMPLE_SEED}, "
            f"as of {SAMPLE_AS_OF}, 24 months of history (overrides the other options but --out).",
        ),
    ] = False,
) -> None:
    """Write a synthetic portfolio: customers, contact points, accounts, installments, payments."""
    _check_out(out)
    if sample:
        spec = PortfolioSpec(SAMPLE_CUSTOMERS, SAMPLE_SEED, SAMPLE_AS_OF, SAMPLE_PROFILE)
        fmt = FeedFormat.CSV
    else:
        profile = DEFAULT_PROFILE
        if history_months is not None:
            profile = replace(profile, history_months=history_months)
        spec = PortfolioSpec(customers, seed, _as_of(as_of), profile)
    _warn_of_other_feeds(out, fmt)
    with Progress(
        TextColumn("[bold]generating / 生成中"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("customers / 客户"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("customers", total=spec.customers)
        report = generate_portfolio(
            spec, out, fmt, on_progress=lambda done: progress.advance(task, done), truth=truth
        )
    table = Table("file / 文件")
    table.add_column("rows / 行数", justify="right")
    for kind, rows in report.rows.items():
        table.add_row(str(report.files[kind]), f"{rows:,}")
    console.print(table)
    console.print(
        f"{spec.customers:,} customers as of {spec.as_of} (seed {spec.seed}) in {report.seconds:.1f} s: "
        f"{report.total_rows / max(report.seconds, 1e-9):,.0f} rows/s / 行每秒"
    )


@app.command("strategy")
def strategy(
    champion: Annotated[Path, typer.Option("--champion", help="The strategy in use (YAML).")],
    challenger: Annotated[Path, typer.Option("--challenger", help="The strategy to try (YAML).")],
    customers: Annotated[int, typer.Option("--customers", min=100, help="Simulated customers.")] = 100_000,
    days: Annotated[int, typer.Option("--days", min=1, max=730, help="Days simulated.")] = 180,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed: same seed, same customers.")] = 1,
    start: Annotated[
        date | None, date_option("--start", help="The first night YYYY-MM-DD (default: yesterday).")
    ] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Also write the table here.")] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Collected to date per strategy (SVG).")
    ] = None,
    serial: Annotated[
        bool, typer.Option("--serial", help="One strategy after the other, one process.")
    ] = False,
    record: Annotated[
        bool,
        typer.Option("--record", help="Keep the run in the database (arrears sim runs, the API, the pages)."),
    ] = False,
) -> None:
    """Run two strategies over the same simulated customers and compare them (策略模拟)."""
    from arrears.strategy.repository import read_document
    from arrears.strategy.simulation import pair, report
    from arrears.strategy.validation import joined

    settings = get_settings()
    language = message_language()
    bank = pair.bank_for(settings)
    first_night = _as_of(start)
    (champion_text, champion_document), (challenger_text, challenger_document) = (
        read_document(champion),
        read_document(challenger),
    )
    documents = (champion_document, challenger_document)
    protected = frozenset(a.strip() for a in settings.protected_attributes.split(",") if a.strip())
    for file, document in zip((champion, challenger), documents, strict=True):
        checked = pair.check(document, bank, protected, first_night)
        if not checked.valid:
            raise InvalidInputError(
                N_("{file} does not pass the strategy checks: {problems}"),
                file=echo(file),
                problems=joined(checked.errors),
            )
    if record:
        _check_recordable()
    plan = pair.Plan(
        documents,
        (documents[0].strategy, documents[1].strategy),
        customers,
        days,
        seed,
        first_night,
        bank,
    )
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(translate(N_("days"), language)),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks = {
            role: progress.add_task(name, total=days)
            for role, name in zip(pair.PAIR, plan.names, strict=True)
        }
        comparison = pair.simulate_pair(
            plan, lambda role, done: progress.update(tasks[role], completed=done), parallel=not serial
        )
    seconds = time.perf_counter() - started
    _print_comparison(comparison, language)
    console.print(translate(N_("Simulated in {seconds:.0f} s."), language, seconds=seconds))
    if markdown is not None:
        markdown.write_text(report.markdown(comparison, language), "utf-8")
    if chart is not None:
        chart.write_text(report.chart(comparison, language), "utf-8")
    if record:
        _record((champion_text, challenger_text), plan, comparison, seconds, language)


def _print_comparison(comparison: Comparison, language: str) -> None:
    """The comparison's table and the experiment's size, as a run prints them and as a recorded
    run is shown again."""
    from arrears.strategy.simulation import report

    title = translate(
        N_("{champion} against {challenger}: {customers} customers, {days} days, seed {seed}"),
        language,
        champion=comparison.champion,
        challenger=comparison.challenger,
        customers=f"{comparison.customers:,}",
        days=comparison.days,
        seed=comparison.seed,
    )
    table = Table(*report.headers(language), title=title)
    for row in report.rows(comparison, language):
        table.add_row(*row)
    console.print(table)
    console.print(report.sizing(comparison, language))


def _check_recordable() -> None:
    """Before minutes of simulation: the database the run is to be kept in answers (an error now,
    not after the run)."""
    from arrears.auth.cli import cli_actor, work
    from arrears.strategy import simulations

    with work() as (session, _now):
        simulations.runs(session, cli_actor(), limit=1)


def _record(
    texts: tuple[str, str], plan: pair.Plan, comparison: Comparison, seconds: float, language: str
) -> None:
    from arrears.auth.cli import cli_actor, work
    from arrears.strategy import simulations

    with work() as (session, now):
        row = simulations.record_run(
            session, cli_actor(), texts, plan, comparison, seconds=Decimal(seconds), now=now
        )
        run_id = row.id
    console.print(translate(N_("Recorded as simulation run {id}."), language, id=run_id))


@app.command("runs")
def runs(
    show: Annotated[
        int | None, typer.Option("--show", min=1, help="Print this recorded run again.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Runs listed, newest first.")] = 50,
) -> None:
    """The simulation runs kept by ``arrears sim strategy --record`` (模拟记录), or one of them again."""
    from arrears.auth.cli import cli_actor, work
    from arrears.strategy import simulations

    language = message_language()
    with work() as (session, _now):
        if show is not None:
            row = simulations.run(session, cli_actor(), show)
            _print_run_facts(row, language)
            _print_comparison(simulations.comparison_of(row), language)
            return
        table = _runs_table(simulations.runs(session, cli_actor(), limit=limit), language)
    (console if console.is_terminal else Console(width=WIDE)).print(table)


def _version(name: str, strategy_id: int | None) -> str:
    return name if strategy_id is None else f"{name} (#{strategy_id})"


def _runs_table(rows: list[SimulationRun], language: str) -> Table:
    table = Table(
        *(
            translate(heading, language)
            for heading in (
                N_("Id"),
                N_("Ran at"),
                N_("By"),
                N_("Champion"),
                N_("Challenger"),
                N_("Customers"),
                N_("Days"),
                N_("Seed"),
                N_("First night"),
                N_("Seconds"),
            )
        ),
        box=box.SIMPLE_HEAD,
    )
    for row in rows:
        table.add_row(
            str(row.id),
            row.ran_at.isoformat(timespec="seconds"),
            row.ran_by_name,
            _version(row.champion_name, row.champion_strategy_id),
            _version(row.challenger_name, row.challenger_strategy_id),
            f"{row.customers:,}",
            str(row.days),
            str(row.seed),
            row.first_night.isoformat(),
            str(row.seconds),
        )
    return table


def _print_run_facts(row: SimulationRun, language: str) -> None:
    console.print(
        translate(
            N_("Simulation run {id}, recorded {at} by {who}; first night {night}; {seconds} s."),
            language,
            id=row.id,
            at=row.ran_at.isoformat(timespec="seconds"),
            who=row.ran_by_name,
            night=row.first_night.isoformat(),
            seconds=row.seconds,
        ),
        markup=False,
        highlight=False,
    )
    for role, name, strategy_id, digest in (
        (N_("champion"), row.champion_name, row.champion_strategy_id, row.champion_digest),
        (N_("challenger"), row.challenger_name, row.challenger_strategy_id, row.challenger_digest),
    ):
        console.print(
            f"{translate(role, language)}: {_version(name, strategy_id)} sha256:{digest}",
            markup=False,
            highlight=False,
        )


@app.command("uplift")
def uplift(
    treatment: Annotated[Path, typer.Option("--treatment", help="The strategy whose effect is measured.")],
    control: Annotated[
        Path | None, typer.Option("--control", help="The strategy it is set against (default: no action).")
    ] = None,
    customers: Annotated[int, typer.Option("--customers", min=1000, help="Simulated customers.")] = 40_000,
    days: Annotated[int, typer.Option("--days", min=1, max=730, help="Days simulated.")] = 30,
    per_arm: Annotated[int, typer.Option("--per-arm", min=10, help="Customers an arm (power check).")] = 150,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed: same seed, same customers.")] = 1,
    start: Annotated[
        date | None, date_option("--start", help="The first night YYYY-MM-DD (default: yesterday).")
    ] = None,
) -> None:
    """What the simulator proves (效果验证): the planted effect of a strategy, whether an experiment
    finds it with the power predicted, and how well an uplift model ranks customers by it."""
    from arrears.strategy.repository import read_document
    from arrears.strategy.simulation import evidence, pair

    settings = get_settings()
    bank = pair.bank_for(settings)
    treated = read_document(treatment)[1]
    untreated = read_document(control)[1] if control is not None else pair.no_action(treated)
    protected = frozenset(a.strip() for a in settings.protected_attributes.split(",") if a.strip())
    plan = pair.Plan((untreated, treated), (untreated.strategy, treated.strategy), customers, days, seed,
                     _as_of(start), bank)  # fmt: skip
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:  # fmt: skip
        tasks = [progress.add_task(name, total=days) for name in plan.names]
        found = evidence.prove(
            plan, per_arm, protected, lambda i, done: progress.update(tasks[i], completed=done)
        )
    for line in evidence.sentences(found, message_language()):
        console.print(line)
