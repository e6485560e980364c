"""``arrears queues``: draft, preview, activate, list and profile on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from arrears.audit.models import AuditEntry
from arrears.cli import app
from arrears.queues.models import CollectorProfile, QueueSet
from tests.queues.helpers import Desk, queue, queue_set

runner = CliRunner()


@pytest.fixture
def database(command_line_database: Engine) -> Engine:
    return command_line_database


def run(*args: str) -> Result:
    return runner.invoke(app, ["queues", *args], env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"})


def test_draft_preview_activate_list(database: Engine, tmp_path: Path) -> None:
    desk = Desk(database)
    desk.team("T")
    desk.collector("k1", "T")
    desk.case("c1", bucket="M1", dpd=5)
    desk.case("c2")
    file = tmp_path / "queues.yaml"
    file.write_text(queue_set(queue("m1", "T", "{buckets: [M1]}"), queue("rest", "T")), "utf-8")
    drafted = run("draft", str(file), "--note", "first set")
    assert drafted.exit_code == 0, drafted.output
    assert "Queue set 1 stored as a draft" in drafted.output
    preview = run("preview", "1", "--as-of", "2026-11-21")
    assert preview.exit_code == 0, preview.output
    assert "2 cases would change queue, 0 leave every queue, 2 change collector" in preview.output
    assert run("activate", "1").exit_code == 0
    again = run("activate", "1")
    assert again.exit_code == 3 and "only a draft is activated" in again.output
    listed = run("list")
    assert listed.exit_code == 0 and "active" in listed.output and "m1 (Queue m1)" in listed.output
    with Session(database) as session:
        assert session.execute(select(QueueSet.status)).scalar_one() == "active"
        actions = session.execute(select(AuditEntry.action, AuditEntry.actor_role)).all()
    assert {(a, r) for a, r in actions} == {("queue_set.draft", "system"), ("queue_set.activate", "system")}


def test_bad_files_and_profiles(database: Engine, tmp_path: Path) -> None:
    desk = Desk(database)
    desk.team("T")
    desk.collector("k1", "T")
    file = tmp_path / "bad.yaml"
    file.write_text("queues:\n  - code: a\n    team: T\n    rulez: {}\n", "utf-8")
    bad = run("draft", str(file))
    assert bad.exit_code == 2 and "line 4" in bad.output and "rulez" in bad.output
    missing = run("draft", str(tmp_path / "none.yaml"))
    assert missing.exit_code == 2
    unknown = tmp_path / "team.yaml"
    unknown.write_text(queue_set(queue("a", "NOPE")), "utf-8")
    assert run("draft", str(unknown)).exit_code == 2
    saved = run("profile", "k1", "--capacity", "30", "--languages", "zh-CN,en", "--products", "credit_card")
    assert saved.exit_code == 0, saved.output
    with Session(database) as session:
        row = session.execute(select(CollectorProfile)).scalar_one()
        assert (row.languages, row.products, row.capacity) == (["en", "zh-CN"], ["credit_card"], 30)
    assert run("profile", "nobody", "--capacity", "3").exit_code == 2
    assert run("preview", "9").exit_code == 2
