"""The ``arrears`` command: one Typer application, with a sub-command group per context."""

from __future__ import annotations

import errno
import importlib
import re
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

# Typer 0.29 carries its own copy of click: its usage errors are these, not click's.
from typer._click.exceptions import (
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperGroup

from arrears import __version__
from arrears.config import get_settings, message_language
from arrears.errors import VALIDATION_MESSAGES, ArrearsError, InvalidInputError, echo, validation_message
from arrears.i18n import N_, Text, translate

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


# A usage error said in the reader's language. Typer's own words are English only (its copy of
# click has no catalogue), so each kind is said again from what the error carries: the parameter,
# the value, the rule. A kind not known here keeps Typer's words, after the command's name.
REQUIRED = N_("{parameter} is required")
NOT_TAKEN = N_("{parameter} does not take {value}: {problem}")
PARAMETER_PROBLEM = N_("{parameter}: {problem}")
NO_SUCH_OPTION = N_("{command} has no option {option}")
DID_YOU_MEAN = N_("{problem} (did you mean {candidates}?)")
COMMAND_PROBLEM = N_("{command}: {problem}")
TRY_HELP = N_("Try '{command} --help' for help.")
# The errors Typer raises as bare words, without their parts: read back from those words.
PLAIN_USAGE_ERRORS = [
    (re.compile(r"Option (?P<option>'.*?') requires an argument\."), N_("{option} needs a value")),
    (re.compile(r"Option (?P<option>'.*?') does not take a value\."), N_("{option} takes no value")),
    (
        re.compile(r"No such command (?P<name>'.*?')\.(?: Did you mean (?P<candidates>.*)\?)?"),
        N_("{command} has no command {name}"),
    ),
    (re.compile(r"Missing command\."), N_("{command} needs a command")),
    (
        re.compile(r"Got unexpected extra argument\(s\) \((?P<arguments>.*)\)"),
        N_("{command} takes no more arguments: {arguments}"),
    ),
]


def _usage_message(error: UsageError) -> Text:
    """What the user got wrong on the command line, in words of ours where we know the kind."""
    command = repr(error.ctx.command_path if error.ctx else "arrears")
    if isinstance(error, BadParameter) and error.param is not None:
        parameter = error.param.get_error_hint()
        if isinstance(error, MissingParameter):
            return Text.of(REQUIRED, parameter=parameter)
        cause = error.__cause__
        if isinstance(cause, ValidationError) and cause.errors():
            item = cause.errors()[0]
            problem = _choices_problem(error.param) or validation_message(item) or str(item["msg"])
            return Text.of(NOT_TAKEN, parameter=parameter, value=repr(echo(item["input"])), problem=problem)
        return Text.of(PARAMETER_PROBLEM, parameter=parameter, problem=_path_problem(error.message))
    if isinstance(error, NoSuchOption):
        said = Text.of(NO_SUCH_OPTION, command=command, option=repr(echo(error.option_name)))
        return _did_you_mean(said, ", ".join(repr(name) for name in sorted(error.possibilities or ())))
    for words, template in PLAIN_USAGE_ERRORS:
        if found := words.fullmatch(error.message):
            parts = found.groupdict()
            candidates = parts.pop("candidates", None) or ""
            return _did_you_mean(Text.of(template, command=command, **parts), candidates)
    return Text.of(COMMAND_PROBLEM, command=command, problem=error.format_message())


# A path parameter's check (Typer's, before the command runs), read back as the OS error it stands for.
PATH_PROBLEMS = {
    "does not exist": OS_REASONS[FileNotFoundError],
    "is a directory": OS_REASONS[IsADirectoryError],
    "is a file": N_("is a file, not a folder"),
    "is not readable": OS_REASONS[PermissionError],
    "is not writable": OS_REASONS[PermissionError],
}
PATH_PROBLEM = re.compile(
    r"(?:file|directory|path) (?P<path>'.*') (?P<problem>" + "|".join(PATH_PROBLEMS) + r")\."
)


def _path_problem(message: str) -> Text | str:
    if found := PATH_PROBLEM.fullmatch(message):
        return Text.of(
            N_("{path}: {reason}"), path=echo(found["path"]), reason=Text.of(PATH_PROBLEMS[found["problem"]])
        )
    return message


def _did_you_mean(said: Text, candidates: str) -> Text:
    return Text.of(DID_YOU_MEAN, problem=said, candidates=candidates) if candidates else said


def _choices_problem(param: Any) -> Text | None:
    """The choices an enum or Literal option is not given one of (Typer checks those with a validator
    of its own, whose pydantic error is a bare "value_error" in English)."""
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    if not choices:
        return None
    expected = ", ".join(repr(getattr(choice, "value", choice)) for choice in choices)
    return Text.of(VALIDATION_MESSAGES["enum"], expected=expected)


def report_usage(error: UsageError) -> NoReturn:
    """Show a usage error as :func:`report` shows a domain error, then how to get help; exit 2."""
    if isinstance(error, NoArgsIsHelpError):  # not an error: a bare group shows its help
        raise error
    said = _usage_message(error)
    report(InvalidInputError(said.message, **dict(said.params)))
    if error.ctx is not None:
        errors.print(
            escape(translate(TRY_HELP, message_language(), command=error.ctx.command_path)),
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(error.exit_code) from error


class ArrearsGroup(TyperGroup):
    """The root command: the one place where domain and usage errors become a message and an exit
    status."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as error:  # the root's own options, parsed before invoke
            report_usage(error)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:  # a command's options and arguments, parsed inside the root's invoke
            report_usage(error)
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
