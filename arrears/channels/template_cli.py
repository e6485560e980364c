"""``arrears templates``: message templates on the command line (draft, approve, retire, list),
through the same services as the API (:mod:`arrears.channels.templates`), as
the system (the operating-system user who ran the command is the actor on the audit trail). The
system approves no template it drafted itself: a template drafted here is approved by a
compliance officer over the API, or by a named user with ``load --approve-as``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from arrears.auth.cli import cli_actor, say, work
from arrears.channels import template_files, templates
from arrears.config import get_settings
from arrears.contacts.gate import pack_of
from arrears.errors import InvalidInputError
from arrears.i18n import N_

app = typer.Typer(help="Message templates 消息模板.", no_args_is_help=True)
console = Console()
WIDE = 10_000


def _out() -> Console:
    return console if console.is_terminal else Console(width=WIDE)


def _read(file: Path) -> str:
    try:
        return file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            N_("{file} cannot be read as UTF-8 text: {problem}"), file=str(file), problem=str(error)
        ) from None


@app.command("draft")
def draft(
    body: Annotated[
        Path, typer.Argument(help="The body, a Jinja2 text file 模板正文文件.", show_default=False)
    ],
    code: Annotated[str, typer.Option("--code", help="e.g. promise_reminder 模板代码.", show_default=False)],
    channel: Annotated[
        str, typer.Option("--channel", help="sms, email, letter or call 渠道.", show_default=False)
    ],
    language: Annotated[str, typer.Option("--language", help="zh-CN or en 语言.")] = "zh-CN",
    subject: Annotated[
        str | None, typer.Option("--subject", help="E-mail and letter 主题.", show_default=False)
    ] = None,
    late_policy: Annotated[str, typer.Option("--late-policy", help="wait or expire 延迟策略.")] = "wait",
    valid_hours: Annotated[
        int | None,
        typer.Option("--valid-hours", help="Expires this long after queued 有效小时数.", show_default=False),
    ] = None,
) -> None:
    """Store a new draft version of a template 保存模板草稿."""
    spec = templates.TemplateDraft(
        code=code,
        channel=channel,
        language=language,
        subject=subject,
        body=_read(body),
        late_policy=late_policy,
        valid_hours=valid_hours,
    )
    with work() as (session, now):
        row = templates.draft(session, cli_actor(), spec, now=now)
        template_id, number = row.id, row.number
    console.print(
        say(
            N_("Template {template_id} stored as draft number {number}"),
            template_id=template_id,
            number=number,
        )
    )


@app.command("approve")
def approve(
    template_id: Annotated[int, typer.Argument(help="The template's id 模板编号.", show_default=False)],
) -> None:
    """Approve a draft drafted by someone else 审批模板."""
    settings = get_settings()
    pack = pack_of(settings.compliance_pack, settings.compliance_policy)
    with work() as (session, now):
        templates.approve(session, cli_actor(), template_id, expected=None, pack=pack, now=now)
    console.print(say(N_("Template {template_id} is approved"), template_id=template_id))


@app.command("load")
def load(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A folder of <code>.<channel>.<language>.txt files 模板文件夹.", show_default=False
        ),
    ],
    approve_as: Annotated[
        str | None,
        typer.Option("--approve-as", help="Approve them as this user 以该用户身份审批.", show_default=False),
    ] = None,
) -> None:
    """Draft the templates of a folder, and approve them as a named user 批量导入模板."""
    settings = get_settings()
    pack = pack_of(settings.compliance_pack, settings.compliance_policy)
    with work() as (session, now):
        loaded = template_files.load_folder(
            session, cli_actor(), folder, approver=approve_as, pack=pack, now=now
        )
    for item in loaded:
        console.print(
            say(
                N_("{file}: template {template_id} {status}"),
                file=item.file,
                template_id=item.template_id,
                status=item.status,
            )
        )


@app.command("retire")
def retire(
    template_id: Annotated[int, typer.Argument(help="The template's id 模板编号.", show_default=False)],
) -> None:
    """Retire a draft or an approved template 停用模板."""
    with work() as (session, now):
        templates.retire(session, cli_actor(), template_id, expected=None, now=now)
    console.print(say(N_("Template {template_id} is retired"), template_id=template_id))


@app.command("list")
def list_templates(
    code: Annotated[
        str | None, typer.Option("--code", help="Only this code 模板代码.", show_default=False)
    ] = None,
) -> None:
    """The templates, newest first 模板列表."""
    with work() as (session, _now):
        rows = [
            (str(r.id), r.code, r.channel, r.language, str(r.number), r.status)
            for r in templates.listing(session, code=code)
        ]
    if not rows:
        console.print(say(N_("No template yet")))
        return
    table = Table("id", "code", "channel", "language", "number", "status", box=box.SIMPLE_HEAD)
    for row in rows:
        table.add_row(*row)
    _out().print(table)
