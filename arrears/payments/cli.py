"""``arrears payments pending``: the payments the provider confirmed that the core system has not
posted after some hours (:mod:`arrears.payments.unposted`), the morning check of operations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from arrears.auth.cli import say
from arrears.clock import SystemClock
from arrears.config import get_settings
from arrears.db import open_database, transaction
from arrears.i18n import N_
from arrears.money import format_major
from arrears.payments.unposted import MAX_AGE_HOURS, MAX_ROWS, unposted

app = typer.Typer(help="Payments during the day 日间还款.", no_args_is_help=True)
console = Console()


@app.command("pending")
def pending(
    older_than_hours: Annotated[
        int,
        typer.Option(
            "--older-than-hours",
            min=0,
            max=MAX_AGE_HOURS,
            help="Confirmed by the provider at least this many hours ago 已等待小时数.",
        ),
    ] = 24,
) -> None:
    """Pending payments the core system has not posted 核心系统尚未入账的待确认还款."""
    now = SystemClock().now()
    with open_database(get_settings()) as engine, transaction(engine) as session:
        rows = unposted(session, now, timedelta(hours=older_than_hours))
    if not rows:
        console.print(say(N_("No pending payment waits {hours} hours or more"), hours=older_than_hours))
        return
    table = Table(
        say(N_("Case")),
        say(N_("Account")),
        say(N_("Amount")),
        say(N_("Trade number")),
        say(N_("Paid at")),
        say(N_("Hours waiting")),
        box=box.SIMPLE_HEAD,
        title=say(N_("Pending payments not posted after {hours} hours"), hours=older_than_hours),
    )
    for row in rows:
        table.add_row(
            row.case_id,
            row.account_id,
            f"{format_major(row.amount, row.currency)} {row.currency}",
            row.trade_no,
            row.paid_at.isoformat(timespec="minutes"),
            str(row.hours_waiting(now)),
        )
    console.print(table)
    if len(rows) == MAX_ROWS:
        console.print(say(N_("Only the oldest {count} are shown"), count=MAX_ROWS))
