"""Options shared by the commands, parsed and checked once.

A business date is written ``YYYY-MM-DD`` everywhere; a value that is not one stops the command
with a usage error (exit status 2) in the user's language, never a traceback::

    as_of: Annotated[date | None, date_option("--as-of", help="Business date.")] = None
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import typer

from arrears.config import message_language
from arrears.errors import echo
from arrears.i18n import N_, translate

DATE_FORMAT = "YYYY-MM-DD"
NOT_A_DATE = N_("{value} is not a date (YYYY-MM-DD) / 不是日期")
OUT_OF_RANGE = N_("{value} is outside the business dates Arrears keeps ({first} to {last})")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
"""The business dates a command takes: the night subtracts windows from a date and adds terms to
it, which near year 1 or 9999 leave Python's calendar."""


def parse_date(text: str | date) -> date:
    """A business date from ``YYYY-MM-DD``, or a usage error saying what is wrong."""
    if isinstance(text, date):
        return text
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(translate(NOT_A_DATE, message_language(), value=repr(echo(text)))) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise typer.BadParameter(
            translate(
                OUT_OF_RANGE, message_language(), value=repr(echo(text)), first=FIRST_DAY, last=LAST_DAY
            )
        )
    return day


def date_option(*names: str, help: str) -> Any:
    """A Typer option holding a business date (``date``, or ``date | None`` with a default)."""
    return typer.Option(*names, parser=parse_date, metavar=DATE_FORMAT, help=help)


def writable_file(path: Path) -> Path:
    """A file a command will write after long work, checked before the work: a folder, a missing
    parent folder or one not writable is refused now (the command line says why), not after
    minutes of training or computing."""
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not path.parent.is_dir():  # a bare name's parent is "."
        raise FileNotFoundError(2, "No such file or directory", str(path.parent))
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise PermissionError(13, "Permission denied", str(path))
    return path


def out_file_option(*names: str, help: str) -> Any:
    """A Typer option naming a file to write, checked by :func:`writable_file` when parsed."""
    return typer.Option(*names, parser=lambda text: writable_file(Path(text)), help=help)
