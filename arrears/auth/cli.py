"""``arrears users|teams|agencies|apikeys``: people, teams, agencies and machine clients."""

from __future__ import annotations

import typer

app = typer.Typer(help="Users 用户.", no_args_is_help=True)
groups = {
    "teams": typer.Typer(help="Teams 团队.", no_args_is_help=True),
    "agencies": typer.Typer(help="Agencies 委外机构.", no_args_is_help=True),
    "apikeys": typer.Typer(help="API keys of machine clients 机器客户端密钥.", no_args_is_help=True),
}
