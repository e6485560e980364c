"""``arrears import`` and ``arrears portfolio ...``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from arrears.clock import SystemClock
from arrears.config import get_settings, message_language
from arrears.db import open_database
from arrears.errors import InvalidInputError, echo, one_of
from arrears.i18n import N_
from arrears.money import to_major
from arrears.portfolio.feeds import KINDS
from arrears.portfolio.importer import FileOutcome, ImportOptions, ImportProgress, import_paths
from arrears.portfolio.repository import balances_by_product, row_counts

app = typer.Typer(help="The imported portfolio.", no_args_is_help=True)
console = Console()
WIDE = 10_000
"""Characters a line of output may have when it goes to a file or a pipe."""


class _RichImportProgress(ImportProgress):
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._name = ""

    def start(self, path: Path, total: int, unit: str) -> None:
        self._name = path.name
        self._task = self._progress.add_task(f"{path.name}: reading", total=total or None)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def phase(self, description: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, description=f"{self._name}: {description}")


def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Feed files or directories.", show_default=False)],
    kind: Annotated[
        str | None, typer.Option(help=f"Kind of every file given: {', '.join(KINDS)}.", show_default=False)
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files, e.g. gb18030.")] = "utf-8",
    rejects: Annotated[
        Path | None,
        typer.Option(help="Existing directory for the reject files (default: beside each input)."),
    ] = None,
    by: Annotated[
        str | None, typer.Option(help="Who imports, for the import log (default: OS user).")
    ] = None,
) -> None:
    """Import feed files (CSV or Parquet) of the feed contract v1.

    PATHS are files or directories (every .csv, .parquet and .pq file in them).
    The kind of each file comes from its name (customers, contact_points,
    accounts, installments, payments) unless --kind says it. Files are imported
    in the contract's order, one transaction per file.

    Rows with faults are set aside in <file>.rejects.csv beside the input (or in
    --rejects DIR), one line per fault: row (1-based data row, header not
    counted), column, value, reason. The good rows are stored. Importing the
    same file again changes nothing; changed values are updated.

    Exit status: 0 every row stored or unchanged; 3 some rows rejected (the
    others stored); 2 a file could not be read at all (missing required
    columns, undecodable bytes, not CSV or Parquet, a name that tells no
    kind): nothing of it is stored, the other files are imported.
    """
    if kind is not None:
        one_of(kind, KINDS, "--kind")
    if rejects is not None:
        _check_rejects(rejects)
    settings = get_settings()
    options = ImportOptions(
        kind=kind,
        encoding=encoding,
        rejects_dir=rejects,
        language=message_language(settings),
        chunk_rows=settings.import_chunk_rows,
        **({"imported_by": by} if by else {}),
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    with (
        open_database(settings) as engine,
        Progress(*columns, console=console, transient=True) as progress,
    ):
        outcomes = import_paths(engine, paths, SystemClock(), options, _RichImportProgress(progress))
    _print_outcomes(outcomes)
    raise typer.Exit(max((o.exit_code for o in outcomes), default=0))


def _check_rejects(directory: Path) -> None:
    """``--rejects`` is a directory that exists and can be written to, checked before any file
    is imported: a reject list that could not be written would fail a file halfway through."""
    if directory.exists() and not directory.is_dir():
        raise InvalidInputError(
            N_("--rejects {path} is a file: name a directory for the reject files"), path=echo(directory)
        )
    if not directory.is_dir():
        raise InvalidInputError(
            N_("--rejects {path}: no such directory: create it first"), path=echo(directory)
        )
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError:
        raise InvalidInputError(
            N_("--rejects {path}: the reject files cannot be written in this directory"),
            path=echo(directory),
        ) from None


def _print_outcomes(outcomes: list[FileOutcome]) -> None:
    table = Table(title="Import", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("file", overflow="fold", min_width=12)
    for header in ("read", "stored", "updated", "unchanged", "rejected"):
        table.add_column(header, justify="right", no_wrap=True)
    for o in outcomes:
        table.add_row(
            o.path.name if o.kind.rstrip("s") in o.path.name.lower() else f"{o.path.name} ({o.kind})",
            *(f"{n:,}" for n in (o.rows_read, o.stored, o.updated, o.unchanged, o.rejected)),
        )
    console.print(table)
    for o in outcomes:
        if o.error:
            console.print(
                f"✗ {o.path}: {o.error} — nothing of this file was stored", style="red", markup=False
            )
        elif o.rejects_path:
            console.print(
                f"[yellow]! {o.path.name}: {o.rejected} row(s) rejected, "
                f"{o.fault_lines} fault(s) listed in {o.rejects_path}[/]"
            )
        if o.ignored_columns:
            console.print(
                f"  {o.path.name}: columns not in the feed contract ignored: "
                f"{echo(', '.join(o.ignored_columns))}",
                markup=False,
            )


@app.command("summary")
def summary() -> None:
    """Counts of the stored portfolio and balances by product and currency."""
    with open_database() as engine, engine.connect() as connection:
        counts = row_counts(connection)
        balances = balances_by_product(connection)
    # Piped or redirected, the table is as wide as its content: no amount or name is cut.
    out = console if console.is_terminal else Console(width=WIDE)
    out.print("  ".join(f"{name}: [bold]{count:,}[/]" for name, count in counts.items()))
    table = Table(title="Balances by product and currency", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("product", no_wrap=True)
    table.add_column("ccy", no_wrap=True)
    for header in ("accounts", "principal/limit", "scheduled", "paid"):
        table.add_column(header, justify="right", no_wrap=True)
    for b in balances:
        amounts = (b.principal or b.credit_limit, b.scheduled, b.paid)
        table.add_row(b.product, b.currency, f"{b.accounts:,}", *(_amount(v, b.currency) for v in amounts))
    out.print(table)


def _amount(minor: int, currency: str) -> str:
    return str(to_major(minor, currency)) if minor else "-"


commands = {"import": import_command}
