"""``arrears cases``: case work on the command line.

``arrears cases assign`` gives cases an assignment (their first, or a new one) through the same
service as ``PUT /cases/{id}/assignment`` (:mod:`arrears.cases.assignment`): history kept, all or
nothing, each change audited with the team and collector before and after. The actor on the audit
trail is the system, with the operating-system user who ran the command (as ``arrears users``).
It is how a case the nightly batch opened gets its first assignment: a supervisor sees only the
cases already assigned to the teams they lead.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from arrears.auth import service as auth
from arrears.auth.cli import cli_actor, say, work
from arrears.cases import assignment
from arrears.cases.assignment import MAX_BULK, Target
from arrears.errors import InvalidInputError
from arrears.i18n import N_

app = typer.Typer(help="Cases 案件.", no_args_is_help=True)
console = Console()
WIDE = 10_000
"""Characters a line of the table may have when it goes to a file or a pipe."""


@app.command("assign")
def assign(
    case_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Case ids 案件编号 (or --unassigned).", show_default=False),
    ] = None,
    team: Annotated[str, typer.Option("--team", help="Team code 团队代码.", show_default=False)] = "",
    collector: Annotated[
        str | None,
        typer.Option(
            "--collector", help="A collector of the team, by user name 团队催收员用户名.", show_default=False
        ),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why, for the audit trail 原因（记入审计）.", show_default=False)
    ] = "",
    unassigned: Annotated[
        bool,
        typer.Option(
            "--unassigned", help="The open cases with no assignment yet, worst DPD first 尚未分配的未结案件."
        ),
    ] = False,
    bucket: Annotated[
        str | None,
        typer.Option(
            "--bucket", help="With --unassigned: only this bucket 仅此逾期分段.", show_default=False
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            min=1,
            max=MAX_BULK,
            help=f"With --unassigned: at most this many cases 最多案件数 (1..{MAX_BULK}).",
        ),
    ] = MAX_BULK,
) -> None:
    """Assign cases to a team and, optionally, a collector, all or nothing 分配案件（全部或全不）."""
    if not team:
        raise InvalidInputError(N_("Name the team with --team"))
    if not reason.strip():
        raise InvalidInputError(N_("State the reason with --reason"))
    if unassigned == bool(case_ids):
        raise InvalidInputError(N_("Name the cases, or give --unassigned, not both"))
    if bucket is not None and not unassigned:
        raise InvalidInputError(N_("--bucket goes with --unassigned"))
    with work() as (session, now):
        target_team = auth.team_coded(session, team)
        collector_id = auth.user_named(session, collector).id if collector is not None else None
        ids = (
            assignment.unassigned_cases(session, bucket=bucket, limit=limit)
            if unassigned
            else list(case_ids or [])
        )
        if not ids:
            console.print(say(N_("No case without an assignment: nothing to do")))
            return
        made = assignment.assign_as_system(
            session, cli_actor(), ids, Target(target_team.id, collector_id), reason, now=now
        )
    table = Table(
        say(N_("Case")), say(N_("Team")), say(N_("Collector")), box=box.SIMPLE_HEAD, title_justify="left"
    )
    for row in made:
        table.add_row(row.case_id, target_team.code, collector or "")
    (console if console.is_terminal else Console(width=WIDE)).print(table)
    console.print(say(N_("{count} cases assigned to team {code}"), count=len(made), code=target_team.code))
