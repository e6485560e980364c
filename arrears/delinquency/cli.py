"""``arrears delinquency export``: a snapshot to CSV or Parquet for the bank's warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from arrears.cli_options import date_option, out_file_option
from arrears.config import get_settings
from arrears.db import open_database
from arrears.delinquency.rules import DelinquencyRules, load_rules
from arrears.errors import ArrearsError, InvalidFileError, echo
from arrears.i18n import N_

app = typer.Typer(help="Delinquency snapshots 逾期快照.", no_args_is_help=True)
console = Console()

RULES_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="YAML bucket table and thresholds (default: ARREARS_DELINQUENCY_RULES, else built in).",
    ),
]


def rules_from(path: Path | None) -> DelinquencyRules:
    """The rules of ``--rules``, else of the settings, else the built-in ones.

    A file that cannot be used stops the command with the loader's own error, which names the
    file and what is wrong in it."""
    chosen = path or get_settings().delinquency_rules
    if chosen is None:
        return DelinquencyRules()
    try:
        return load_rules(chosen)
    except ArrearsError:
        raise
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as error:  # a loader that says less
        raise InvalidFileError(
            N_("{path}: {reason}"), path=echo(chosen), reason=echo(f"{type(error).__name__}: {error}")
        ) from None


@app.command("export")
def export(
    as_of: Annotated[date, date_option("--as-of", help="Snapshot date (YYYY-MM-DD).")],
    out: Annotated[Path, out_file_option("--out", help="File to write: .csv or .parquet.")],
) -> None:
    """Write the snapshot of a date as CSV or Parquet, amounts as decimal strings."""
    from arrears.delinquency.export import export_snapshot

    with open_database() as database, database.connect() as connection:
        rows = export_snapshot(connection, as_of, out)
    console.print(f"wrote {rows:,} rows to {out} 已导出")
