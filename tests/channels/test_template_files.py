"""``arrears templates load DIR --approve-as USER``: the shipped example templates load, pass the
content check (the letter its CN-DISC-1 elements) and are approved by the named person; a second
load drafts nothing; a wrong header names the file and line; an unknown approver is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from arrears.auth.models import User
from arrears.channels.models import MessageTemplate
from arrears.cli import app
from tests.channels.test_reminders import customer, messages, night, plan, promise

runner = CliRunner()
AT = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).parents[2] / "examples" / "templates"


@pytest.fixture
def database(command_line_database: Engine) -> Engine:
    return command_line_database


def run(*args: str) -> Result:
    return runner.invoke(app, ["templates", *args], env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"})


def officer(database: Engine, username: str = "demo-compliance", role: str = "compliance_officer") -> None:
    with Session(database) as session, session.begin():
        session.add(User(username=username, role=role, created_at=AT, active=True))


def statuses(database: Engine) -> dict[tuple[str, str, str], list[str]]:
    found: dict[tuple[str, str, str], list[str]] = {}
    with Session(database) as session:
        for row in session.scalars(select(MessageTemplate).order_by(MessageTemplate.id)):
            found.setdefault((row.code, row.channel, row.language), []).append(row.status)
    return found


def test_the_examples_load_approved_by_the_named_person_once(database: Engine) -> None:
    officer(database)
    loaded = run("load", str(EXAMPLES), "--approve-as", "demo-compliance")
    assert loaded.exit_code == 0, loaded.output
    shipped = statuses(database)
    assert len(shipped) == 20 and all(s == ["approved"] for s in shipped.values())
    assert ("first_delinquency", "letter", "zh-CN") in shipped
    scripts = {key for key in shipped if key[1] == "call"}  # the call scripts, content-checked too
    assert {(code, language) for code, _, language in scripts} == {
        (code, language)
        for code in ("call_script", "call_script.m1", "call_script.m2", "call_script.m3")
        for language in ("zh-CN", "en")
    }
    with Session(database) as session:
        letters = session.scalars(select(MessageTemplate).where(MessageTemplate.channel == "letter")).all()
        subjects = {row.language: row.subject for row in letters}
        assert subjects == {"zh-CN": "逾期还款通知书", "en": "Notice of overdue payment"}
        letter = letters[0]
        assert letter.approved_by == session.scalars(select(User.id)).one() and letter.created_by is None
    again = run("load", str(EXAMPLES), "--approve-as", "demo-compliance")
    assert again.exit_code == 0 and again.output.count("unchanged") == 20
    assert statuses(database) == shipped


def test_a_wrong_header_or_approver_is_refused(database: Engine, tmp_path: Path) -> None:
    officer(database, "demo-lead", "supervisor")
    (tmp_path / "x.sms.zh-CN.txt").write_text(
        "---\nsubject: 提醒\nvalid_hour: 3\n---\n您好{{ opt_out }}\n", "utf-8"
    )
    bad = run("load", str(tmp_path))
    assert bad.exit_code == 2 and "x.sms.zh-CN.txt, line 3: valid_hour" in bad.output
    (tmp_path / "x.sms.zh-CN.txt").write_text("您好{{ customer_name }}。{{ opt_out }}\n", "utf-8")
    assert run("load", str(tmp_path), "--approve-as", "nobody").exit_code != 0
    not_allowed = run("load", str(tmp_path), "--approve-as", "demo-lead")
    assert not_allowed.exit_code != 0 and statuses(database) == {}
    drafted = run("load", str(tmp_path))
    assert drafted.exit_code == 0 and statuses(database) == {("x", "sms", "zh-CN"): ["draft"]}


def test_the_shipped_templates_make_every_reminder(database: Engine) -> None:
    officer(database)
    assert run("load", str(EXAMPLES), "--approve-as", "demo-compliance").exit_code == 0
    promise(database, customer(database, "P1"), date(2026, 11, 22))
    promise(database, customer(database, "P2", language="en"), date(2026, 11, 22))
    plan(database, customer(database, "L1"), date(2026, 11, 24))
    promise(database, customer(database, "B1"), date(2026, 11, 19), status="broken")
    customer(database, "O1", opened=True)
    customer(database, "O2", opened=True, product="mortgage")

    outcome = night(database)

    assert outcome.queued == 6 and not outcome.skipped
    bodies = {m.idempotency_key.split(":")[1] + ":" + m.language: m.body for m in messages(database).values()}
    assert "2026年11月22日还款¥500.00" in bodies["promise_reminder:zh-CN"]
    assert "pay CN¥500.00 on November 22, 2026" in bodies["promise_reminder:en"]
    assert (
        "拒收请回复TD" in bodies["plan_reminder:zh-CN"]
        and "尚有¥500.00未还" in bodies["broken_promise:zh-CN"]
    )
    letter = next(m for m in messages(database).values() if m.channel == "letter")
    assert letter.subject == "逾期还款通知书" and "如对欠款有异议" in letter.body
    params = {
        m.idempotency_key.split(":")[1] + ":" + m.language: m.provider_params
        for m in messages(database).values()
    }
    assert params["promise_reminder:en"] == {
        "name": "客户P2",
        "amount": "CN¥500.00",
        "date": "November 22, 2026",
        "hotline": "400-800-9588",
    }
    assert (
        params["plan_reminder:zh-CN"] is not None
        and params["plan_reminder:zh-CN"]["date"] == "2026年11月24日"
    )


def test_an_sms_template_names_its_provider_template_and_parameters(database: Engine, tmp_path: Path) -> None:
    officer(database)
    path = tmp_path / "x.sms.zh-CN.txt"
    header = "---\nsettings:\n  template_code: SMS_400100\n  param.name: '{{ customer_name }}'\n"
    path.write_text(header + "---\n{{ customer_name }}您好。{{ opt_out }}\n", "utf-8")
    assert run("load", str(tmp_path), "--approve-as", "demo-compliance").exit_code == 0
    path.write_text(
        header.replace("400100", "400101") + "---\n{{ customer_name }}您好。{{ opt_out }}\n", "utf-8"
    )
    assert run("load", str(tmp_path), "--approve-as", "demo-compliance").exit_code == 0
    with Session(database) as session:
        rows = session.scalars(select(MessageTemplate).order_by(MessageTemplate.id)).all()
    assert [(r.status, (r.settings or {}).get("template_code")) for r in rows] == [
        ("retired", "SMS_400100"),
        ("approved", "SMS_400101"),
    ]
    assert rows[1].settings == {"template_code": "SMS_400101", "param.name": "{{ customer_name }}"}
    path.write_text("---\nsettings:\n  param.1x: '{{ customer_name }}'\n---\n您好。{{ opt_out }}\n", "utf-8")
    refused = run("load", str(tmp_path))
    assert refused.exit_code != 0 and "param.1x" in refused.output
