"""``arrears strategy``: validate (with its preview), draft, list, show, diff, approve, reject,
retire on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from arrears.audit.models import AuditEntry
from arrears.cli import app
from arrears.strategy.models import Strategy
from tests.api.book import Book
from tests.strategy.test_service import CALLS_ONLY

runner = CliRunner()


@pytest.fixture
def database(command_line_database: Engine) -> Engine:
    return command_line_database


def run(*args: str) -> Result:
    return runner.invoke(app, ["strategy", *args], env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"})


def test_validate_names_every_problem_and_previews(database: Engine, tmp_path: Path) -> None:
    Book(database).case("early", dpd=5, bucket="M1")
    file = tmp_path / "s.yaml"
    file.write_text(CALLS_ONLY.replace("bucket: [M2]", "bucket: [M1, M9]"), "utf-8")
    checked = run("validate", str(file), "--as-of", "2026-11-21")
    assert checked.exit_code == 1, checked.output
    assert "segments m1 and m2 can both take a case (where bucket M1; hold none)" in checked.output
    assert "M9 is not a known bucket" in checked.output
    assert "1 open cases fall in no segment" not in checked.output
    assert "0 open cases fall in no segment (e.g. -); 1 in several" in checked.output
    file.write_text(CALLS_ONLY, "utf-8")
    fine = run("validate", str(file), "--as-of", "2026-11-21")
    assert fine.exit_code == 0, fine.output
    assert "The strategy passes every check" in fine.output and "gentle" in fine.output


def test_the_life_cycle_on_the_command_line(database: Engine, tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(CALLS_ONLY, "utf-8")
    assert "Strategy night v1 stored as draft 1" in run("draft", str(file), "--note", "first").output
    file.write_text(CALLS_ONLY.replace("window: best", "window: {from: '09:00', to: '12:00'}"), "utf-8")
    assert run("draft", str(file)).exit_code == 0
    changed = run("diff", "1", "2")
    assert "-      - {day: 2, action: call, window: best}" in changed.output
    assert "+      - {day: 2, action: call, window: {from: '09:00', to: '12:00'}}" in changed.output
    assert "strategy: night" in run("show", "2").output
    approved = run("approve", "1", "--from", "2099-01-01")
    assert approved.exit_code == 0, approved.output
    assert "from the night of 2099-01-01" in approved.output
    rejected = run("reject", "2", "--reason", "not yet")
    assert rejected.exit_code == 0 and "Strategy 2 rejected" in rejected.output
    again = run("approve", "2")
    assert again.exit_code == 3 and "only a draft is approved or rejected" in again.output
    listed = run("list")
    assert "approved" in listed.output and "rejected" in listed.output and "2099-01-01" in listed.output
    assert run("retire", "1", "--reason", "replaced").exit_code == 0
    with Session(database) as session:
        assert session.scalars(select(Strategy.status).order_by(Strategy.id)).all() == ["retired", "rejected"]
        done = session.execute(
            select(AuditEntry.action, AuditEntry.object_id)
            .where(AuditEntry.object_type == "strategy")
            .order_by(AuditEntry.seq)
        ).all()
    assert [tuple(row) for row in done] == [
        ("strategy.draft", "1"),
        ("strategy.draft", "2"),
        ("strategy.approve", "1"),
        ("strategy.reject", "2"),
        ("strategy.retire", "1"),
    ]
