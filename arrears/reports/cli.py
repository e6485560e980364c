"""``arrears report roll-rates``: the bucket transition matrix between two dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from arrears.config import get_settings
from arrears.db import make_engine
from arrears.delinquency.cli import RULES_OPTION, rules_from
from arrears.reports.roll_rates import (
    BY_BALANCE,
    BY_COUNT,
    RollRateError,
    draw_heat_map,
    render_table,
    roll_matrix,
)

app = typer.Typer(help="Reports 报表.", no_args_is_help=True)
console = Console()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


@app.command("roll-rates")
def roll_rates(
    first: Annotated[date, typer.Option("--from", parser=_date, help="First snapshot date.")],
    last: Annotated[date, typer.Option("--to", parser=_date, help="Second snapshot date.")],
    by: Annotated[str, typer.Option(help=f"{BY_COUNT} or {BY_BALANCE} (outstanding at --from).")] = BY_COUNT,
    currency: Annotated[
        str | None,
        typer.Option(help="Only accounts in this currency (default for --by balance: the bank's)."),
    ] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Also draw the matrix as a heat map PNG.")] = None,
    rules_path: RULES_OPTION = None,
) -> None:
    """Print the share of accounts (or balance) moving from each bucket to each bucket."""
    settings = get_settings()
    if by == BY_BALANCE and currency is None:
        currency = settings.default_currency
    database = make_engine(settings.database_url)
    try:
        with database.connect() as connection:
            matrix = roll_matrix(connection, first, last, rules_from(rules_path), by, currency)
    except RollRateError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    console.print(render_table(matrix))
    if png is not None:
        draw_heat_map(matrix, png)
        console.print(f"heat map 热力图: {png}")
