"""``arrears users|teams|agencies|apikeys`` as an administrator runs them, on both databases."""

from __future__ import annotations

import getpass
import json

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from arrears.audit.models import AuditEntry
from arrears.auth import passwords
from arrears.auth import service as auth
from arrears.auth.models import Credential, CredentialKind, User
from arrears.cli import app
from arrears.clock import SystemClock
from arrears.config import get_settings
from arrears.db import transaction
from tests.auth.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("cheap_hashing")
runner = CliRunner()
WIDE = {"COLUMNS": "200"}


@pytest.fixture
def database(command_line_database: Engine) -> Engine:
    return command_line_database


def in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARREARS_LANGUAGE", "zh-CN")
    get_settings.cache_clear()


def run(*args: str, password: str | None = None, **env: str) -> Result:
    given = None if password is None else password + "\n"
    return runner.invoke(app, list(args), input=given, env={**WIDE, **env})


def user(engine: Engine, name: str) -> User:
    with transaction(engine) as session:
        return auth.user_named(session, name)


def token_for(engine: Engine, name: str) -> str:
    with transaction(engine) as session:
        secret, _ = auth.issue(
            session,
            auth.user_named(session, name),
            CredentialKind.TOKEN,
            now=SystemClock().now(),
            lifetimes=auth.Lifetimes(idle=auth.timedelta(minutes=15), total=auth.timedelta(hours=12)),
        )
    return secret


def audit(engine: Engine, action: str) -> list[AuditEntry]:
    with transaction(engine) as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(session.execute(query).scalars())


def test_the_first_administrator_with_the_password_on_standard_input(database: Engine) -> None:
    created = run("users", "create", "root", "--role", "administrator", "--password-stdin", password=PASSWORD)
    assert created.exit_code == 0, created.output
    assert "User root created (administrator)" in created.output
    assert PASSWORD not in created.output
    stored = user(database, "root").password_hash
    assert stored is not None and stored.startswith("$argon2id$") and passwords.verify(stored, PASSWORD)
    [entry] = audit(database, "user.create")
    assert entry.actor_name == f"system:{getpass.getuser()}" and entry.actor_role == "system"
    assert json.loads(entry.after or "")["role"] == "administrator"
    assert PASSWORD not in str(vars(entry))


def test_a_password_is_never_an_argument_and_the_policy_refuses_in_the_users_language(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = run("users", "create", "root", "--role", "administrator", password=PASSWORD)
    assert missing.exit_code == 2 and "--password-stdin" in missing.output
    as_argument = run("users", "create", "root", "--role", "administrator", PASSWORD)
    assert as_argument.exit_code == 2
    for weak, said in (("qwerty123456", "common passwords"), ("short one", "at least 12 characters")):
        refused = run("users", "create", "li.na", "--role", "auditor", "--password-stdin", password=weak)
        assert refused.exit_code == 2 and said in refused.output and weak not in refused.output
    same = run(
        "users", "create", "li.na.2026", "--role", "auditor", "--password-stdin", password="LI.NA.2026xx"
    )
    assert same.exit_code == 0  # not the user name
    same = run(
        "users", "create", "li.na.2026.x", "--role", "auditor", "--password-stdin", password="LI.NA.2026.X"
    )
    assert same.exit_code == 2 and "must not be the user name" in same.output
    empty = run("users", "create", "root", "--role", "auditor", "--password-stdin", password="")
    assert empty.exit_code == 2 and "No password" in empty.output
    in_chinese(monkeypatch)
    zh = run("users", "create", "root", "--role", "auditor", "--password-stdin", password="short")
    assert zh.exit_code == 2 and "密码至少须有 12 个字符" in zh.output
    with transaction(database) as session:
        assert session.execute(select(User.username)).scalars().all() == ["li.na.2026"]


def test_membership_rules_teams_and_moves(database: Engine) -> None:
    assert (
        run(
            "users", "create", "boss", "--role", "supervisor", "--password-stdin", password=PASSWORD
        ).exit_code
        == 0
    )
    assert run("teams", "create", "NORTH", "--name", "North", "--leader", "boss").exit_code == 0
    assert run("teams", "create", "SOUTH", "--name", "South").exit_code == 0
    no_team = run("users", "create", "li.na", "--role", "collector", "--password-stdin", password=PASSWORD)
    assert no_team.exit_code == 2 and "exactly one team" in no_team.output
    unknown = run(
        "users",
        "create",
        "li.na",
        "--role",
        "collector",
        "--team",
        "EAST",
        "--password-stdin",
        password=PASSWORD,
    )
    assert unknown.exit_code == 2 and "no team with code 'EAST'" in unknown.output
    ok = run(
        "users",
        "create",
        "li.na",
        "--role",
        "collector",
        "--team",
        "NORTH",
        "--password-stdin",
        password=PASSWORD,
    )
    assert ok.exit_code == 0, ok.output
    stray = run(
        "users",
        "create",
        "an.alyst",
        "--role",
        "strategy_analyst",
        "--team",
        "NORTH",
        "--password-stdin",
        password=PASSWORD,
    )
    assert stray.exit_code == 2
    no_customer = run(
        "users",
        "create",
        "cust",
        "--role",
        "customer",
        "--customer",
        "C404",
        "--password-stdin",
        password=PASSWORD,
    )
    assert no_customer.exit_code == 2 and "There is no customer 'C404'" in no_customer.output
    not_a_leader = run("teams", "add-leader", "SOUTH", "li.na")
    assert not_a_leader.exit_code == 2 and "Only a supervisor leads a team" in not_a_leader.output
    assert run("teams", "add-leader", "SOUTH", "boss").exit_code == 0
    moved = run("teams", "move", "li.na", "SOUTH")
    assert moved.exit_code == 0 and "li.na moved to team SOUTH" in moved.output
    assert run("teams", "move", "boss", "NORTH").exit_code == 2
    listed = run("teams", "list")
    assert listed.exit_code == 0
    north = next(line for line in listed.output.splitlines() if "NORTH" in line)
    south = next(line for line in listed.output.splitlines() if "SOUTH" in line)
    assert "boss" in north and north.rstrip().endswith("0") and south.rstrip().endswith("1")
    [move] = [e for e in audit(database, "user.update") if e.object_id == str(user(database, "li.na").id)]
    assert (json.loads(move.before or "")["team"], json.loads(move.after or "")["team"]) == ("NORTH", "SOUTH")


def test_disable_revokes_every_credential_and_enable_lets_them_sign_in_again(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("users", "create", "root", "--role", "administrator", "--password-stdin", password=PASSWORD)
    run("users", "create", "wang", "--role", "auditor", "--password-stdin", password=PASSWORD)
    tokens = [token_for(database, "wang"), token_for(database, "wang")]
    disabled = run("users", "disable", "wang")
    assert disabled.exit_code == 0 and "revoked" in disabled.output
    with transaction(database) as session:
        ends = session.execute(select(Credential.revoked_at)).scalars().all()
    assert len(ends) == len(tokens) and all(end is not None for end in ends)
    assert run("users", "disable", "root").exit_code == 3  # the last administrator stays
    assert run("users", "enable", "wang").exit_code == 0
    assert user(database, "wang").active
    listed = run("users", "list")
    assert listed.exit_code == 0 and "wang" in listed.output and "auditor" in listed.output
    in_chinese(monkeypatch)
    zh = run("users", "list")
    assert "用户名" in zh.output and "审计员" in zh.output
    assert run("users", "disable", "nobody").exit_code == 2


def test_set_password_and_set_role(database: Engine) -> None:
    run("teams", "create", "T1", "--name", "One")
    assert (
        run(
            "users",
            "create",
            "zhao",
            "--role",
            "collector",
            "--team",
            "T1",
            "--password-stdin",
            password=PASSWORD,
        ).exit_code
        == 0
    )
    token = token_for(database, "zhao")
    new = "a brand new passphrase 2026"
    changed = run("users", "set-password", "zhao", "--password-stdin", password=new)
    assert changed.exit_code == 0 and new not in changed.output
    stored = user(database, "zhao").password_hash
    assert stored is not None and passwords.verify(stored, new) and not passwords.verify(stored, PASSWORD)
    with transaction(database) as session:
        credential = auth.repository.credential_by_digest(session, auth.digest(token))
        assert credential is not None and credential.revoked_at is not None
    assert run("agencies", "create", "AG1", "--name", "Agency One").exit_code == 0
    needs_agency = run("users", "set-role", "zhao", "agency_user")
    assert needs_agency.exit_code == 2 and "agency" in needs_agency.output
    role = run("users", "set-role", "zhao", "agency_user", "--agency", "AG1")
    assert role.exit_code == 0 and "zhao now has the role agency user" in role.output
    after = user(database, "zhao")
    assert (after.role, after.team_id, after.agency_id is not None) == ("agency_user", None, True)
    entry = audit(database, "user.update")[-1]
    assert (
        json.loads(entry.before or "")["role"] == "collector"
        and json.loads(entry.before or "")["team"] == "T1"
    )
    assert (
        json.loads(entry.after or "")["role"] == "agency_user"
        and json.loads(entry.after or "")["agency"] == "AG1"
    )
    assert run("users", "set-role", "zhao", "emperor").exit_code == 2


def test_agencies_and_api_keys(database: Engine) -> None:
    assert run("agencies", "create", "AG1", "--name", "Agency One").exit_code == 0
    assert run("agencies", "create", "AG1", "--name", "Again").exit_code == 3
    run(
        "users",
        "create",
        "kim",
        "--role",
        "agency_user",
        "--agency",
        "AG1",
        "--password-stdin",
        password=PASSWORD,
    )
    token = token_for(database, "kim")
    assert run("agencies", "disable", "AG1").exit_code == 0
    listed = run("agencies", "list")
    assert "AG1" in listed.output and "no" in listed.output
    with transaction(database) as session:
        credential = auth.repository.credential_by_digest(session, auth.digest(token))
        assert credential is not None and credential.revoked_at is not None

    created = run("apikeys", "create", "core-banking", "--role", "auditor")
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert len(key) >= 40
    lifetimes = auth.Lifetimes(idle=auth.timedelta(minutes=15), total=auth.timedelta(hours=12))
    with transaction(database) as session:
        principal = auth.principal_for(
            session, key, kinds=(CredentialKind.API_KEY,), now=SystemClock().now(), lifetimes=lifetimes
        )
        assert principal.username == "core-banking" and str(principal.role) == "auditor"
        stored = session.execute(select(Credential).where(Credential.kind == "api_key")).scalar_one()
        assert stored.digest == auth.digest(key) and stored.expires_at is None
    listed = run("apikeys", "list")
    assert "core-banking" in listed.output and key not in listed.output
    assert run("apikeys", "create", "core-banking", "--role", "auditor").exit_code == 3  # has one already
    assert run("apikeys", "create", "kim", "--role", "auditor").exit_code == 3  # a person
    assert run("apikeys", "revoke", "kim").exit_code == 2
    assert run("apikeys", "revoke", "core-banking").exit_code == 0
    with transaction(database) as session, pytest.raises(auth.NotSignedInError):
        auth.principal_for(
            session, key, kinds=(CredentialKind.API_KEY,), now=SystemClock().now(), lifetimes=lifetimes
        )
    renewed = run("apikeys", "create", "core-banking", "--role", "strategy_analyst")
    assert renewed.exit_code == 0 and renewed.output.strip().splitlines()[-1] != key
    assert [e.action for e in audit(database, "apikey.create")] == ["apikey.create", "apikey.create"]
    assert "core-banking" not in run("users", "list").output  # people only
