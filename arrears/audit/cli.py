"""``arrears audit verify|export|grants``: check the chain, write what a regulator asks for, and
the PostgreSQL grants of the application's role."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from arrears.audit import export as exporting
from arrears.audit import grants as granting
from arrears.audit.export import ExportFormat
from arrears.audit.repository import EntryFilter
from arrears.audit.trail import Actor
from arrears.audit.verify import Anchor, ChainBrokenError, verify
from arrears.cli_options import date_option, out_file_option
from arrears.clock import SystemClock
from arrears.config import get_settings, message_language
from arrears.db import open_database, transaction
from arrears.errors import one_of
from arrears.i18n import N_, translate

app = typer.Typer(help="The audit trail 审计记录.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)

COMMAND_LINE = Actor(user_id=None, name="command line", role="system")
"""The actor of what the audit commands put on the record."""


@app.command("verify")
def verify_command(
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            metavar="SEQ:HASH",
            help="A head printed by an earlier verify and kept elsewhere: it must still be in the chain. "
            "之前记录的链头，须仍在链中。",
        ),
    ] = None,
) -> None:
    """Walk the whole chain and name the first entry changed, removed, inserted or reordered (exit 3);
    print the count and the head hash when intact. 校验整条哈希链。"""
    expected = Anchor.parse(anchor) if anchor is not None else None
    with open_database(get_settings()) as engine, engine.connect() as connection:
        state = verify(connection, expected)
    if state.broken is not None:
        raise ChainBrokenError(state.broken)
    console.print(
        translate(
            N_("The audit trail is intact: {count} entries; head {seq}:{hash}"),
            message_language(),
            count=state.entries,
            seq=state.head_seq,
            hash=state.head_hash,
        )
    )


@app.command("export")
def export_command(
    first: Annotated[date, date_option("--from", help="First day (the bank's zone). 起始日。")],
    last: Annotated[date, date_option("--to", help="Last day, included. 截止日（含）。")],
    out: Annotated[Path, out_file_option("--out", help="The file to write. 输出文件。")],
    customer: Annotated[
        str | None, typer.Option("--customer", metavar="ID", help="Only this customer's entries. 仅该客户。")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="csv|json", help="csv or json. 格式。")] = "csv",
) -> None:
    """Every entry of the days --from to --to (and of --customer), with its hash, as CSV or JSON;
    the export itself goes on the record. 导出审计记录。"""
    kind = ExportFormat(one_of(fmt, [str(f) for f in ExportFormat], "--format"))
    settings = get_settings()
    start, end = exporting.day_bounds(first, last, settings.bank_timezone)
    where = EntryFilter(start=start, end=end, customer_id=customer)
    head = exporting.about(where, first, last, kind)
    clock = SystemClock()
    with open_database(settings) as engine:
        with engine.connect() as connection:
            exported = exporting.write(connection, where, kind, head, out)
        try:
            with transaction(engine) as session:
                exporting.record_export(session, COMMAND_LINE, at=clock.now(), head=head, exported=exported)
        except BaseException:
            out.unlink(missing_ok=True)  # an export that is not on the record is not handed out
            raise
    console.print(
        translate(
            N_("{count} entries written to {path} (SHA-256 {sha256})"),
            message_language(),
            count=exported.entries,
            path=str(out),
            sha256=exported.sha256,
        )
    )


@app.command("grants")
def grants_command(
    role: Annotated[str, typer.Option("--role", help="The application's role. 应用使用的数据库角色。")],
    apply: Annotated[
        bool, typer.Option("--apply", help="Run them (connected as the owner). 以属主身份执行。")
    ] = False,
) -> None:
    """Print the GRANT and REVOKE statements of the application's PostgreSQL role for the current
    schema: no UPDATE, DELETE or TRUNCATE on the audit trail. 打印应用角色的授权语句。"""
    with open_database(get_settings()) as engine, engine.begin() as connection:
        statements = granting.grant_statements(connection, role)
        for statement in statements:
            console.print(f"{statement};", markup=False)
        if apply:
            granting.apply(connection, statements)
    if apply:
        console.print(translate(N_("Applied to {role}"), message_language(), role=role))
