"""``arrears delinquency export``: a snapshot to CSV or Parquet for the bank's warehouse."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from arrears.config import get_settings
from arrears.db import make_engine
from arrears.delinquency.rules import DelinquencyRules, RulesError, load_rules

app = typer.Typer(help="Delinquency snapshots 逾期快照.", no_args_is_help=True)
console = Console()

RULES_ENV = "ARREARS_DELINQUENCY_RULES"
RULES_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--rules", help=f"YAML bucket table and materiality thresholds (default: ${RULES_ENV} or built in)."
    ),
]


def rules_from(path: Path | None) -> DelinquencyRules:
    chosen = path or (Path(os.environ[RULES_ENV]) if os.environ.get(RULES_ENV) else None)
    if chosen is None:
        return DelinquencyRules()
    try:
        return load_rules(chosen)
    except (OSError, RulesError, KeyError, ValueError) as error:
        raise typer.BadParameter(f"{chosen}: {error}") from None


@app.command("export")
def export(
    as_of: Annotated[str, typer.Option("--as-of", help="Snapshot date (YYYY-MM-DD).")],
    out: Annotated[Path, typer.Option("--out", help="File to write: .csv or .parquet.")],
) -> None:
    """Write the snapshot of a date as CSV or Parquet, amounts as decimal strings."""
    from arrears.delinquency.export import ExportError, export_snapshot

    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)") from None
    database = make_engine(get_settings().database_url)
    try:
        with database.connect() as connection:
            rows = export_snapshot(connection, day, out)
    except ExportError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    console.print(f"wrote {rows:,} rows to {out} 已导出")
