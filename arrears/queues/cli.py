"""``arrears queues``: queue sets on the command line (draft, preview, activate, list) and collector
profiles, through the same services as the API (:mod:`arrears.queues.service`), as the system
(the operating-system user who ran the command is the actor on the audit trail)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from arrears.auth import service as auth
from arrears.auth.cli import cli_actor, say, work
from arrears.cli_options import date_option
from arrears.clock import SystemClock, business_today
from arrears.config import get_settings, message_language
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.queues import repository, service
from arrears.queues.planner import Plan
from arrears.queues.rules import QueueSetFileError
from arrears.yamlfile import read_yaml

app = typer.Typer(help="Queues and assignment rules 队列与分案规则.", no_args_is_help=True)
console = Console()
WIDE = 10_000


def _out() -> Console:
    return console if console.is_terminal else Console(width=WIDE)


@app.command("draft")
def draft(
    file: Annotated[Path, typer.Argument(help="The queue set, YAML 队列配置文件.", show_default=False)],
    note: Annotated[
        str | None, typer.Option("--note", help="What changes 变更说明.", show_default=False)
    ] = None,
    and_activate: Annotated[
        bool,
        typer.Option("--activate", help="Show its preview and activate it at once 预览并立即启用."),
    ] = False,
) -> None:
    """Store a queue set as a draft (checked first) 保存队列配置草稿."""
    read_yaml(file, error=QueueSetFileError)  # readable, and YAML: else a clear error
    text = file.read_text("utf-8")
    settings = get_settings()
    with work() as (session, now):
        row = service.draft(session, cli_actor(), text, str(file), note=note, now=now)
        number = row.number
        plan = None
        if and_activate:
            day = business_today(SystemClock(), settings.bank_timezone)
            plan = service.preview(session, cli_actor(), number, day)
            service.activate(session, cli_actor(), number, expected=None, now=now)
    console.print(say(N_("Queue set {number} stored as a draft"), number=number))
    if plan is not None:
        _show(plan)
        console.print(say(N_("Queue set {number} is active: the next night assigns by it"), number=number))


def _show(plan: Plan) -> None:
    table = Table(say(N_("Queue")), say(N_("Cases")), box=box.SIMPLE_HEAD)
    for code, count in plan.cases.items():
        table.add_row(code, f"{count:,}")
    _out().print(table)
    console.print(
        say(
            N_(
                "{queue_moves} cases would change queue, {left} leave every queue, "
                "{moves} change collector ({pooled} to a team's pool)"
            ),
            queue_moves=plan.queue_moves,
            left=plan.left_queues,
            moves=plan.collector_moves,
            pooled=plan.pooled,
        )
    )


@app.command("preview")
def preview(
    number: Annotated[int, typer.Argument(help="The queue set's number 队列配置编号.", show_default=False)],
    as_of: Annotated[
        date | None, date_option("--as-of", help="The business date (default: today) 业务日期.")
    ] = None,
) -> None:
    """How many cases each queue would take and how many would move 预览分案结果."""
    settings = get_settings()
    day = as_of or business_today(SystemClock(), settings.bank_timezone)
    with work() as (session, _now):
        plan = service.preview(session, cli_actor(), number, day)
    _show(plan)


@app.command("activate")
def activate(
    number: Annotated[int, typer.Argument(help="The queue set's number 队列配置编号.", show_default=False)],
) -> None:
    """Make a draft the active queue set; the next night applies it 启用队列配置."""
    with work() as (session, now):
        service.activate(session, cli_actor(), number, expected=None, now=now)
    console.print(say(N_("Queue set {number} is active: the next night assigns by it"), number=number))


@app.command("list")
def list_sets() -> None:
    """The queue sets, newest first, and the active one's queues 队列配置列表."""
    chinese = message_language().lower().startswith("zh")
    with work() as (session, _now):
        rows = list(repository.queue_sets(session))
        table = Table(
            say(N_("Number")), say(N_("Status")), say(N_("Queues")), say(N_("Note")), box=box.SIMPLE_HEAD
        )
        for row in rows:
            document = service.document(row)
            names = ", ".join(f"{q.code} ({q.name.zh_cn if chinese else q.name.en})" for q in document.queues)
            table.add_row(str(row.number), row.status, names, row.note or "")
    if not rows:
        console.print(say(N_("No queue set yet")))
        return
    _out().print(table)


@app.command("profile")
def profile(
    username: Annotated[
        str, typer.Argument(help="The collector's user name 催收员用户名.", show_default=False)
    ],
    capacity: Annotated[int, typer.Option("--capacity", min=0, help="Open cases at most 最多案件数.")],
    languages: Annotated[
        str, typer.Option("--languages", help="Comma-separated, empty: any 语言（逗号分隔）.")
    ] = "",
    products: Annotated[
        str, typer.Option("--products", help="Comma-separated, empty: any 产品（逗号分隔）.")
    ] = "",
) -> None:
    """Set a collector's languages, products and capacity 设置催收员技能与容量."""
    split = [part.strip() for part in languages.split(",") if part.strip()]
    kinds = [part.strip() for part in products.split(",") if part.strip()]
    if capacity < 0:
        raise InvalidInputError(N_("A capacity is between 0 and 1000000 open cases"))
    with work() as (session, now):
        user = auth.user_named(session, username)
        service.set_profile(
            session,
            cli_actor(),
            user.id,
            languages=split,
            products=kinds,
            capacity=capacity,
            expected=None,
            now=now,
        )
    console.print(say(N_("Profile of {username} saved"), username=username))
