"""``arrears sim ...``: synthetic portfolios for demos, tests and benchmarks."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
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

app = typer.Typer(
    help="Synthetic portfolios (模拟数据): feeds in the feed contract v1.", no_args_is_help=True
)
console = Console()

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
) -> None:
    """Run two strategies over the same simulated customers and compare them (策略模拟)."""
    from arrears.strategy.repository import read_document
    from arrears.strategy.simulation import pair, report
    from arrears.strategy.validation import joined

    settings = get_settings()
    language = message_language()
    bank = pair.bank_for(settings)
    first_night = _as_of(start)
    documents = (read_document(champion)[1], read_document(challenger)[1])
    protected = frozenset(a.strip() for a in settings.protected_attributes.split(",") if a.strip())
    for file, document in zip((champion, challenger), documents, strict=True):
        checked = pair.check(document, bank, protected, first_night)
        if not checked.valid:
            raise InvalidInputError(
                N_("{file} does not pass the strategy checks: {problems}"),
                file=echo(file),
                problems=joined(checked.errors),
            )
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
    title = translate(
        N_("{champion} against {challenger}: {customers} customers, {days} days, seed {seed}"),
        language,
        champion=plan.names[0],
        challenger=plan.names[1],
        customers=f"{customers:,}",
        days=days,
        seed=seed,
    )
    table = Table(*report.headers(language), title=title)
    for row in report.rows(comparison, language):
        table.add_row(*row)
    console.print(table)
    console.print(report.sizing(comparison, language))
    console.print(translate(N_("Simulated in {seconds:.0f} s."), language, seconds=seconds))
    if markdown is not None:
        markdown.write_text(report.markdown(comparison, language), "utf-8")
    if chart is not None:
        chart.write_text(report.chart(comparison, language), "utf-8")


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
