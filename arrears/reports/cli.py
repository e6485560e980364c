"""``arrears report roll-rates``: the bucket transition matrix between two dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from arrears.cli_options import date_option
from arrears.config import get_settings
from arrears.db import open_database
from arrears.delinquency.cli import RULES_OPTION, rules_from
from arrears.delinquency.models import SnapshotDate
from arrears.reports import totals
from arrears.reports.roll_rates import (
    BY_BALANCE,
    BY_COUNT,
    check_png,
    draw_heat_map,
    render_table,
    roll_matrix,
)

app = typer.Typer(help="Reports 报表.", no_args_is_help=True)
console = Console()


@app.command("roll-rates")
def roll_rates(
    first: Annotated[date, date_option("--from", help="First snapshot date.")],
    last: Annotated[date, date_option("--to", help="Second snapshot date.")],
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
    if png is not None:
        check_png(png)
    rules = rules_from(rules_path)
    with open_database(settings) as database, database.connect() as connection:
        matrix = roll_matrix(connection, first, last, rules, by, currency)
    console.print(render_table(matrix))
    if png is not None:
        draw_heat_map(matrix, png)
        console.print(f"heat map 热力图: {png}")


@app.command("rebuild-totals")
def rebuild_totals(
    first: Annotated[
        date | None, date_option("--from", help="First snapshot date (default: the first).")
    ] = None,
    last: Annotated[date | None, date_option("--to", help="Last snapshot date (default: the last).")] = None,
) -> None:
    """Rewrite the dashboard's daily totals of the stored snapshot dates (the nights run before
    migration 0013 wrote none), one transaction per date; the payments' totals up to each date
    (migration 0014)."""
    settings = get_settings()
    with open_database(settings) as database:
        with database.connect() as connection:
            query = select(SnapshotDate.as_of).order_by(SnapshotDate.as_of)
            if first is not None:
                query = query.where(SnapshotDate.as_of >= first)
            if last is not None:
                query = query.where(SnapshotDate.as_of <= last)
            dates = list(connection.scalars(query))
        for day in dates:
            with database.begin() as connection:
                totals.rebuild(connection, [day])
            console.print(f"{day.isoformat()} totals rebuilt 已重建汇总")
    console.print(f"{len(dates)} snapshot dates 快照日期")
