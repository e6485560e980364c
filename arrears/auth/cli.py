"""``arrears users|teams|agencies|apikeys``: people, teams, agencies and machine clients.

Each command opens the database, runs one service call in one transaction (committed when it
succeeds) and says what it did in the user's language. The actor on the audit trail is the
system, with the operating-system user who ran the command. A password is read from standard
input (``--password-stdin``), never from an argument, and never printed.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor
from arrears.auth import repository
from arrears.auth import service as auth
from arrears.auth.permissions import ROLE_NAMES, Role
from arrears.clock import SystemClock
from arrears.config import get_settings, message_language
from arrears.db import open_database, transaction
from arrears.errors import InvalidInputError
from arrears.i18n import N_, translate
from arrears.portfolio.models import Customer

app = typer.Typer(help="Users 用户.", no_args_is_help=True)
groups = {
    "teams": typer.Typer(help="Teams 团队.", no_args_is_help=True),
    "agencies": typer.Typer(help="Agencies 委外机构.", no_args_is_help=True),
    "apikeys": typer.Typer(help="API keys of machine clients 机器客户端密钥.", no_args_is_help=True),
}
teams_app, agencies_app, apikeys_app = groups["teams"], groups["agencies"], groups["apikeys"]
console = Console()
WIDE = 10_000
"""Characters a line of a table may have when it goes to a file or a pipe."""

ROLES = ", ".join(str(role) for role in Role)


def say(message: str, **params: object) -> str:
    return translate(message, message_language(), **params)


def cli_actor() -> Actor:
    """The command line's actor: the system, with the operating-system user who ran it."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(user_id=None, name=f"system:{who}"[:100], role="system")


@contextmanager
def work() -> Iterator[tuple[Session, datetime]]:
    """One transaction on the operational database, and the time of the command."""
    with open_database(get_settings()) as engine, transaction(engine) as session:
        yield session, SystemClock().now()


def customer_check(session: Session) -> Callable[[str], bool]:
    return lambda customer_id: session.get(Customer, customer_id) is not None


def read_password(given: bool) -> str:
    """The password from standard input (one line), or an error when --password-stdin is missing."""
    if not given:
        raise InvalidInputError(N_("Give the password on standard input, with --password-stdin"))
    if sys.stdin.isatty():
        password = getpass.getpass(say(N_("Password: ")))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInputError(N_("No password was read from standard input"))
    return password


def role_name(role: str) -> str:
    return say(ROLE_NAMES[Role(role)])


def yes_no(value: bool) -> str:
    return say(N_("yes")) if value else say(N_("no"))


def _table(title: str, *headings: str) -> Table:
    table = Table(title=say(title), box=box.SIMPLE_HEAD, pad_edge=False)
    for heading in headings:
        table.add_column(say(heading))
    return table


def _show(table: Table) -> None:
    (console if console.is_terminal else Console(width=WIDE)).print(table)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input 从标准输入读取密码 (never from an argument).",
    ),
]
TeamOption = Annotated[
    str | None,
    typer.Option("--team", help="Team code (collectors, field agents) 团队代码.", show_default=False),
]
AgencyOption = Annotated[
    str | None, typer.Option("--agency", help="Agency code (agency users) 机构代码.", show_default=False)
]
CustomerOption = Annotated[
    str | None,
    typer.Option("--customer", help="Customer id (customer users) 客户编号.", show_default=False),
]


def _membership(session: Session, team: str | None, agency: str | None) -> tuple[int | None, int | None]:
    team_id = auth.team_coded(session, team).id if team is not None else None
    agency_id = auth.agency_coded(session, agency).id if agency is not None else None
    return team_id, agency_id


# --- users -----------------------------------------------------------------------------------


@app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="User name 用户名.", show_default=False)],
    role: Annotated[str, typer.Option("--role", help=f"Role 角色: {ROLES}.", show_default=False)],
    password_stdin: PasswordStdin = False,
    team: TeamOption = None,
    agency: AgencyOption = None,
    customer: CustomerOption = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown 显示名.", show_default=False)
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", help="zh-CN or en (default: from the request) 语言.", show_default=False),
    ] = None,
) -> None:
    """Create a person who signs in with a password 创建用户.

    The password is read from standard input (--password-stdin): at least 12
    characters, not a common password, not the user name. The first
    administrator is made this way; there is no default password.
    """
    chosen = auth.parse_role(role)
    password = read_password(password_stdin)
    with work() as (session, now):
        team_id, agency_id = _membership(session, team, agency)
        user = auth.create_user(
            session,
            cli_actor(),
            now=now,
            username=name,
            role=chosen,
            password=password,
            team_id=team_id,
            agency_id=agency_id,
            customer_id=customer,
            display_name=display_name,
            language=language,
            customer_exists=customer_check(session),
        )
        console.print(say(N_("User {name} created ({role})"), name=user.username, role=role_name(user.role)))


@app.command("list")
def users_list() -> None:
    """List the people (machine clients: arrears apikeys list) 用户列表."""
    with work() as (session, _):
        people = repository.users(session, machines=False)
        teams = repository.team_codes(session, [u.team_id for u in people if u.team_id is not None])
        agencies = repository.agency_codes(session, [u.agency_id for u in people if u.agency_id is not None])
        table = _table(
            N_("Users"),
            N_("user name"),
            N_("display name"),
            N_("role"),
            N_("team"),
            N_("agency"),
            N_("customer"),
            N_("language"),
            N_("active"),
            N_("created"),
        )
        for user in people:
            table.add_row(
                user.username,
                user.display_name or "",
                role_name(user.role),
                teams.get(user.team_id, "") if user.team_id is not None else "",
                agencies.get(user.agency_id, "") if user.agency_id is not None else "",
                user.customer_id or "",
                user.language or "",
                yes_no(user.active),
                _when(user.created_at),
            )
    _show(table)


def _set_active(name: str, active: bool) -> None:
    with work() as (session, now):
        user = auth.user_named(session, name)
        auth.update_user(
            session,
            cli_actor(),
            user,
            auth.UserChanges(active=active),
            now=now,
            customer_exists=customer_check(session),
        )
    if active:
        console.print(say(N_("User {name} enabled"), name=name))
    else:
        console.print(say(N_("User {name} disabled: every credential of theirs is revoked"), name=name))


@app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="User name 用户名.", show_default=False)]) -> None:
    """Disable a user and revoke all their credentials at once 停用用户."""
    _set_active(name, False)


@app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="User name 用户名.", show_default=False)]) -> None:
    """Enable a disabled user (they sign in again) 启用用户."""
    _set_active(name, True)


@app.command("set-password")
def users_set_password(
    name: Annotated[str, typer.Argument(help="User name 用户名.", show_default=False)],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password, read from standard input; their tokens and sessions end 设置密码."""
    password = read_password(password_stdin)
    with work() as (session, now):
        auth.set_password(session, cli_actor(), auth.user_named(session, name), password, now=now)
    console.print(say(N_("Password of {name} set; their tokens and sessions are revoked"), name=name))


@app.command("set-role")
def users_set_role(
    name: Annotated[str, typer.Argument(help="User name 用户名.", show_default=False)],
    role: Annotated[str, typer.Argument(help=f"Role 角色: {ROLES}.", show_default=False)],
    team: TeamOption = None,
    agency: AgencyOption = None,
    customer: CustomerOption = None,
) -> None:
    """Change a user's role (with the team, agency or customer it needs) 更改角色."""
    chosen = auth.parse_role(role)
    with work() as (session, now):
        user = auth.user_named(session, name)
        team_id, agency_id = _membership(session, team, agency)
        changes = auth.UserChanges(
            role=chosen,
            team_id=team_id if team is not None else auth.UNSET,
            agency_id=agency_id if agency is not None else auth.UNSET,
            customer_id=customer if customer is not None else auth.UNSET,
        )
        auth.update_user(
            session, cli_actor(), user, changes, now=now, customer_exists=customer_check(session)
        )
    console.print(say(N_("User {name} now has the role {role}"), name=name, role=role_name(chosen)))


# --- teams -----------------------------------------------------------------------------------


@teams_app.command("create")
def teams_create(
    code: Annotated[str, typer.Argument(help="Team code 团队代码.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Team name 团队名称.", show_default=False)],
    leader: Annotated[
        list[str] | None,
        typer.Option("--leader", help="A supervisor who leads it (repeatable) 团队主管.", show_default=False),
    ] = None,
) -> None:
    """Create a team, optionally with its leaders 创建团队."""
    with work() as (session, now):
        leaders = [auth.user_named(session, who) for who in leader or []]
        auth.create_team(session, cli_actor(), now=now, code=code, name=name, leaders=leaders)
    console.print(say(N_("Team {code} created"), code=code))


@teams_app.command("list")
def teams_list() -> None:
    """List the teams, their leaders and how many members 团队列表."""
    with work() as (session, _):
        teams = repository.teams(session)
        ids = [team.id for team in teams]
        leaders = repository.leaders(session, ids)
        members = repository.members(session, ids)
        table = _table(N_("Teams"), N_("code"), N_("name"), N_("leaders"), N_("members"))
        for team in teams:
            table.add_row(
                team.code,
                team.name,
                ", ".join(name for _, name in leaders.get(team.id, [])),
                str(members.get(team.id, 0)),
            )
    _show(table)


@teams_app.command("add-leader")
def teams_add_leader(
    code: Annotated[str, typer.Argument(help="Team code 团队代码.", show_default=False)],
    user: Annotated[str, typer.Argument(help="A supervisor's user name 主管用户名.", show_default=False)],
) -> None:
    """Make a supervisor a leader of a team too 添加团队主管."""
    with work() as (session, now):
        auth.add_leader(
            session, cli_actor(), auth.team_coded(session, code), auth.user_named(session, user), now=now
        )
    console.print(say(N_("{user} leads team {code}"), user=user, code=code))


@teams_app.command("move")
def teams_move(
    user: Annotated[
        str, typer.Argument(help="A collector's or field agent's user name.", show_default=False)
    ],
    team: Annotated[str, typer.Argument(help="The team code to move them to 目标团队.", show_default=False)],
) -> None:
    """Move a collector or field agent to another team 调动团队."""
    with work() as (session, now):
        auth.move_to_team(
            session, cli_actor(), auth.user_named(session, user), auth.team_coded(session, team), now=now
        )
    console.print(say(N_("{user} moved to team {code}"), user=user, code=team))


# --- agencies --------------------------------------------------------------------------------


@agencies_app.command("create")
def agencies_create(
    code: Annotated[str, typer.Argument(help="Agency code 机构代码.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Agency name 机构名称.", show_default=False)],
) -> None:
    """Create an agency (an organisation cases are placed with) 创建委外机构."""
    with work() as (session, now):
        auth.create_agency(session, cli_actor(), now=now, code=code, name=name)
    console.print(say(N_("Agency {code} created"), code=code))


@agencies_app.command("list")
def agencies_list() -> None:
    """List the agencies 机构列表."""
    with work() as (session, _):
        table = _table(N_("Agencies"), N_("code"), N_("name"), N_("active"), N_("created"))
        for agency in repository.agencies(session):
            table.add_row(agency.code, agency.name, yes_no(agency.active), _when(agency.created_at))
    _show(table)


def _agency_active(code: str, active: bool) -> None:
    with work() as (session, now):
        auth.update_agency(session, cli_actor(), auth.agency_coded(session, code), now=now, active=active)


@agencies_app.command("disable")
def agencies_disable(
    code: Annotated[str, typer.Argument(help="Agency code 机构代码.", show_default=False)],
) -> None:
    """Disable an agency: its users' credentials end and they cannot sign in 停用机构."""
    _agency_active(code, False)
    console.print(say(N_("Agency {code} disabled: its users cannot sign in"), code=code))


@agencies_app.command("enable")
def agencies_enable(
    code: Annotated[str, typer.Argument(help="Agency code 机构代码.", show_default=False)],
) -> None:
    """Enable a disabled agency 启用机构."""
    _agency_active(code, True)
    console.print(say(N_("Agency {code} enabled"), code=code))


# --- API keys --------------------------------------------------------------------------------


@apikeys_app.command("create")
def apikeys_create(
    name: Annotated[str, typer.Argument(help="The machine client's name 客户端名称.", show_default=False)],
    role: Annotated[str, typer.Option("--role", help=f"Role 角色: {ROLES}.", show_default=False)],
    team: TeamOption = None,
    agency: AgencyOption = None,
) -> None:
    """Create a machine client of a role and print its API key, once 创建密钥.

    The key is shown only now: keep it in the client's secret store. The client
    sends it in the X-API-Key header.
    """
    chosen = auth.parse_role(role)
    with work() as (session, now):
        team_id, agency_id = _membership(session, team, agency)
        secret, _ = auth.create_api_key(
            session,
            cli_actor(),
            now=now,
            name=name,
            role=chosen,
            team_id=team_id,
            agency_id=agency_id,
            customer_exists=customer_check(session),
        )
    console.print(
        say(N_("API key of {name} ({role}), shown only this once:"), name=name, role=role_name(chosen))
    )
    typer.echo(secret)


@apikeys_app.command("list")
def apikeys_list() -> None:
    """List the machine clients and their keys (never the keys themselves) 密钥列表."""
    with work() as (session, _):
        table = _table(N_("API keys"), N_("name"), N_("role"), N_("created"), N_("last used"), N_("revoked"))
        for user, key in repository.api_keys(session):
            table.add_row(
                user.username,
                role_name(user.role),
                _when(key.created_at if key else None),
                _when(key.last_used_at if key else None),
                _when(key.revoked_at if key else None),
            )
    _show(table)


@apikeys_app.command("revoke")
def apikeys_revoke(
    name: Annotated[str, typer.Argument(help="The machine client's name 客户端名称.", show_default=False)],
) -> None:
    """Revoke a machine client's API key at once 吊销密钥."""
    with work() as (session, now):
        auth.revoke_api_key(session, cli_actor(), auth.user_named(session, name), now=now)
    console.print(say(N_("API key of {name} revoked"), name=name))
