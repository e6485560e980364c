"""The ``arrears`` command: one Typer application, with a sub-command group per context."""

from __future__ import annotations

import errno
import importlib
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from arrears import __version__
from arrears.config import get_settings, message_language
from arrears.errors import ArrearsError, InvalidInputError, echo
from arrears.i18n import N_, translate

# File-system errors a user causes by naming the wrong path; any other exception is a bug.
OS_REASONS: dict[type[OSError], str] = {
    FileNotFoundError: N_("no such file or folder"),
    IsADirectoryError: N_("is a folder, not a file"),
    NotADirectoryError: N_("a part of the path is not a folder"),
    PermissionError: N_("permission denied"),
    FileExistsError: N_("already exists"),
}
"""The reason of each, in the reader's language (the system's strerror is English only)."""
NAME_TOO_LONG = N_("the name is too long for the file system")
"""ENAMETOOLONG is a plain OSError, told apart by its errno."""


errors = Console(stderr=True)


def report(error: ArrearsError) -> None:
    """Show a domain error as the command line does: one line in the user's language, no traceback."""
    errors.print(
        f"[bold red]{error.code}[/]: {escape(error.message(message_language()))}",
        markup=True,
        highlight=False,
        soft_wrap=True,
    )


def _os_reason(error: OSError) -> str | None:
    """Why a path the user named failed, in the user's language; None: not the user's doing."""
    if error.errno == errno.ENAMETOOLONG:
        return translate(NAME_TOO_LONG, message_language())
    found = (r for c, r in OS_REASONS.items() if isinstance(error, c))
    return next((translate(r, message_language()) for r in found), None)


class ArrearsGroup(TyperGroup):
    """The root command: the one place where domain errors become a message and an exit status."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ArrearsError as error:
            report(error)
            raise typer.Exit(error.exit_code) from error
        except OSError as error:
            reason = _os_reason(error)
            if reason is None:
                raise
            failure = InvalidInputError(
                N_("{path}: {reason}"), path=echo(error.filename or ""), reason=reason
            )
            report(failure)
            raise typer.Exit(failure.exit_code) from error


app = typer.Typer(
    name="arrears",
    cls=ArrearsGroup,
    help="Arrears: collections for banks and consumer lenders (催收管理系统).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="The operational database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()

# Sub-command groups contributed by the bounded contexts: (group name, module holding ``app``).
SUBCOMMANDS: list[tuple[str, str]] = [
    ("portfolio", "arrears.portfolio.cli"),
    ("compliance", "arrears.compliance.cli"),
    ("model", "arrears.scoring.cli"),
    ("sim", "arrears.sim.cli"),
    ("batch", "arrears.batch.cli"),
    ("delinquency", "arrears.delinquency.cli"),
    ("report", "arrears.reports.cli"),
    ("users", "arrears.auth.cli"),
    ("audit", "arrears.audit.cli"),
    ("cases", "arrears.cases.cli"),
    ("queues", "arrears.queues.cli"),
    ("strategy", "arrears.strategy.cli"),
    ("templates", "arrears.channels.template_cli"),
    ("outbox", "arrears.channels.cli"),
    ("payments", "arrears.payments.cli"),
    ("qa", "arrears.qa.cli"),
    ("serve", "arrears.api.cli"),
    ("demo", "arrears.demo.cli"),
]
"""(group name, module): a module's ``app`` becomes the group, its ``groups`` more groups, and its
``commands`` top-level commands."""


def _version(value: bool) -> None:
    if value:
        console.print(f"arrears {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Arrears: collections for banks and consumer lenders (催收管理系统)."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the operational database schema to the latest revision.

    A SQLite file is created when absent, in a directory that must exist."""
    from arrears.db import open_database
    from arrears.db.migrate import current_revision, upgrade

    with open_database(get_settings(), create=True) as engine:
        upgrade(engine)
        console.print(
            f"database at [bold]{engine.url.render_as_string()}[/] is at revision {current_revision(engine)}"
        )


for _name, _module in SUBCOMMANDS:
    _sub = importlib.import_module(_module)
    for _command_name, _command in getattr(_sub, "commands", {}).items():
        app.command(_command_name)(_command)
    for _group_name, _group in getattr(_sub, "groups", {}).items():
        app.add_typer(_group, name=_group_name)
    if hasattr(_sub, "app"):
        app.add_typer(_sub.app, name=_name)


def main() -> None:
    app()
