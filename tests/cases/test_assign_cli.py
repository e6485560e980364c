"""``arrears cases assign``: the first assignment of cases the batch opened, on both databases."""

from __future__ import annotations

import getpass
import json

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from arrears.audit.models import AuditEntry
from arrears.audit.trail import SYSTEM
from arrears.auth import service as auth
from arrears.auth.models import User
from arrears.cases.models import CaseAssignment
from arrears.cli import app
from arrears.config import get_settings
from arrears.db import transaction
from tests.api.book import AT, Book, new_id

runner = CliRunner()
REASON = "first assignment after the batch"


@pytest.fixture
def database(command_line_database: Engine) -> Engine:
    return command_line_database


def run(*args: str) -> Result:
    return runner.invoke(app, ["cases", "assign", *args], env={"COLUMNS": "200"})


def team(engine: Engine, code: str) -> int:
    with transaction(engine) as session:
        return auth.create_team(session, SYSTEM, now=AT, code=code, name=code.title()).id


def person(engine: Engine, name: str, role: str, team_id: int | None) -> int:
    with engine.begin() as connection:
        return new_id(
            connection,
            User,
            username=name,
            role=role,
            team_id=team_id,
            active=True,
            is_machine=False,
            created_at=AT,
        )


def assignments(engine: Engine) -> list[tuple[str, int, int | None, bool, int | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                CaseAssignment.case_id,
                CaseAssignment.team_id,
                CaseAssignment.collector_id,
                CaseAssignment.ended_at.is_(None),
                CaseAssignment.assigned_by,
            ).order_by(CaseAssignment.id)
        )
        return [(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]


def entries(engine: Engine) -> list[AuditEntry]:
    with transaction(engine) as session:
        found = session.execute(
            select(AuditEntry).where(AuditEntry.action == "case.assign").order_by(AuditEntry.seq)
        )
        rows = list(found.scalars())
        session.expunge_all()
        return rows


@pytest.fixture
def book(database: Engine) -> Book:
    book = Book(database)
    book.case("K1", dpd=95, bucket="M4")
    book.case("K2", dpd=40, bucket="M2")
    book.case("K3", dpd=70, bucket="M3")
    book.case("K4", dpd=10, bucket="M1", status="closed")
    return book


def test_named_cases_get_their_first_assignment_then_a_new_one_with_history_and_audit(
    book: Book, database: Engine
) -> None:
    north, south = team(database, "NORTH"), team(database, "SOUTH")
    li = person(database, "li.na", "collector", north)
    first = run(
        "C-K1-20261101", "C-K2-20261101", "--team", "NORTH", "--collector", "li.na", "--reason", REASON
    )
    assert first.exit_code == 0, first.output
    assert "2 cases assigned to team NORTH" in first.output and "C-K1-20261101" in first.output
    moved = run("C-K1-20261101", "--team", "SOUTH", "--reason", "moved to the south team")
    assert moved.exit_code == 0, moved.output
    assert assignments(database) == [
        ("C-K1-20261101", north, li, False, None),
        ("C-K2-20261101", north, li, True, None),
        ("C-K1-20261101", south, None, True, None),
    ]
    audited = entries(database)
    assert [(e.object_id, e.actor_role, e.actor_name) for e in audited] == [
        ("C-K1-20261101", "system", f"system:{getpass.getuser()}"),
        ("C-K2-20261101", "system", f"system:{getpass.getuser()}"),
        ("C-K1-20261101", "system", f"system:{getpass.getuser()}"),
    ]
    assert audited[0].before is None and audited[0].reason == REASON
    assert json.loads(audited[0].after or "{}") | {"assignment_id": 0} == {
        "assignment_id": 0,
        "team_id": north,
        "collector_id": li,
    }
    assert json.loads(audited[2].before or "{}")["team_id"] == north
    assert json.loads(audited[2].after or "{}")["team_id"] == south
    assert audited[2].customer_id == "K1"


def test_unassigned_takes_the_open_cases_without_one_worst_first_by_bucket_and_limit(
    book: Book, database: Engine
) -> None:
    north = team(database, "NORTH")
    book.assign("C-K3-20261101", north)
    only_m2 = run("--unassigned", "--bucket", "M2", "--team", "NORTH", "--reason", REASON)
    assert only_m2.exit_code == 0, only_m2.output
    assert [row[0] for row in assignments(database)] == ["C-K3-20261101", "C-K2-20261101"]
    rest = run("--unassigned", "--limit", "5", "--team", "NORTH", "--reason", REASON)
    assert rest.exit_code == 0 and "1 cases assigned" in rest.output
    assert [row[0] for row in assignments(database)][-1] == "C-K1-20261101"  # K4 is closed
    none_left = run("--unassigned", "--team", "NORTH", "--reason", REASON)
    assert none_left.exit_code == 0 and "nothing to do" in none_left.output
    assert len(entries(database)) == 2


def test_refusals_change_nothing_and_say_why_with_their_exit_status(
    book: Book, database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    north, south = team(database, "NORTH"), team(database, "SOUTH")
    person(database, "li.na", "collector", south)
    person(database, "boss", "supervisor", north)
    cases = ("C-K1-20261101", "C-K2-20261101")
    unknown_team = run(*cases, "--team", "WEST", "--reason", REASON)
    assert unknown_team.exit_code == 2 and "WEST" in unknown_team.output
    not_in_team = run(*cases, "--team", "NORTH", "--collector", "li.na", "--reason", REASON)
    assert not_in_team.exit_code == 3 and "user_not_eligible" in not_in_team.output
    not_a_collector = run(*cases, "--team", "NORTH", "--collector", "boss", "--reason", REASON)
    assert not_a_collector.exit_code == 3
    closed = run(*cases, "C-K4-20261101", "--team", "NORTH", "--reason", REASON)  # all or nothing
    assert closed.exit_code == 3 and "case_closed" in closed.output
    missing = run(*cases, "C-NONE", "--team", "NORTH", "--reason", REASON)
    assert missing.exit_code == 2 and "C-NONE" in missing.output
    short = run(*cases, "--team", "NORTH", "--reason", "why")
    assert short.exit_code == 2 and "reason_too_short" in short.output
    assert run("--team", "NORTH", "--reason", REASON).exit_code == 2  # no case, no --unassigned
    assert run(*cases, "--unassigned", "--team", "NORTH", "--reason", REASON).exit_code == 2
    assert run(*cases, "--reason", REASON).exit_code == 2  # no team
    assert assignments(database) == [] and entries(database) == []
    monkeypatch.setenv("ARREARS_LANGUAGE", "zh-CN")
    get_settings.cache_clear()
    done = run(*cases, "--team", "NORTH", "--reason", REASON)
    assert done.exit_code == 0 and "已分配" in done.output, done.output
