"""``arrears audit verify|export``: check the chain, and write what a regulator asks for."""

from __future__ import annotations

import typer

app = typer.Typer(help="The audit trail 审计记录.", no_args_is_help=True)
