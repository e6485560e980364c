"""``arrears templates``: draft, approve, retire and list on the command line, as the system."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.channels.models import MessageTemplate
from arrears.cli import app
from tests.channels.template_book import SMS, THREAT

runner = CliRunner()
AT = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


@pytest.fixture
def database(command_line_database: Engine) -> Engine:
    return command_line_database


def run(*args: str) -> Result:
    return runner.invoke(app, ["templates", *args], env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"})


def drafted_by_a_person(database: Engine, body: str) -> int:
    with Session(database) as session, session.begin():
        user = User(username="analyst", role="strategy_analyst", created_at=AT, active=True)
        session.add(user)
        session.flush()
        row = MessageTemplate(
            code="overdue_notice",
            channel="sms",
            language="zh-CN",
            number=1,
            status="draft",
            body=body,
            late_policy="wait",
            created_at=AT,
            created_by=user.id,
        )
        session.add(row)
        session.flush()
        return row.id


def test_draft_list_and_the_system_approves_nothing_it_drafted(database: Engine, tmp_path: Path) -> None:
    body = tmp_path / "sms.txt"
    body.write_text(SMS, "utf-8")
    made = run("draft", str(body), "--code", "overdue_notice", "--channel", "sms", "--valid-hours", "12")
    assert made.exit_code == 0, made.output
    assert "Template 1 stored as draft number 1" in made.output
    listed = run("list")
    assert listed.exit_code == 0 and "overdue_notice" in listed.output and "draft" in listed.output
    own = run("approve", "1")
    assert own.exit_code == 4 and "someone else approves it" in own.output
    assert run("retire", "1").exit_code == 0
    with Session(database) as session:
        assert session.execute(select(MessageTemplate.status)).scalar_one() == "retired"
        actions = session.execute(select(AuditEntry.action, AuditEntry.actor_role)).all()
    assert sorted(actions) == [("template.draft", "system"), ("template.retire", "system")]


def test_approve_a_persons_draft_and_refusals(database: Engine, tmp_path: Path) -> None:
    threat = drafted_by_a_person(database, THREAT)
    refused = run("approve", str(threat))
    assert refused.exit_code == 2 and "CN-CONDUCT-1" in refused.output
    assert run("retire", str(threat)).exit_code == 0
    with Session(database) as session, session.begin():
        session.add(
            MessageTemplate(
                code="overdue_notice",
                channel="sms",
                language="zh-CN",
                number=2,
                status="draft",
                body=SMS,
                late_policy="wait",
                created_at=AT,
                created_by=session.scalars(select(User.id)).one(),
            )
        )
    approved = run("approve", "2")
    assert approved.exit_code == 0, approved.output
    assert "Template 2 is approved" in approved.output
    body = tmp_path / "bad.txt"
    body.write_text("{{ customer_name", "utf-8")
    bad = run("draft", str(body), "--code", "x", "--channel", "sms")
    assert bad.exit_code == 2 and "line 1" in bad.output
    wrong = run("draft", str(body), "--code", "x", "--channel", "fax")
    assert wrong.exit_code == 2 and "channel must be one of sms, email, letter" in wrong.output
