"""``arrears portfolio ...`` and ``arrears import``."""

from __future__ import annotations

import typer

app = typer.Typer(help="The imported portfolio.", no_args_is_help=True)
commands: dict[str, object] = {}
