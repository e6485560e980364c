"""``arrears payments pending``: the payments the provider confirmed that the core system has not
posted after some hours, as a table in English or Chinese (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from arrears.auth.models import Team
from arrears.cli import app
from arrears.config import get_settings
from arrears.db import transaction
from arrears.payments.models import PayLink, PendingPayment
from tests.queues.test_next import Queued, add_cases, case_id_of

runner = CliRunner()


@pytest.fixture
def database(command_line_database: Engine) -> Engine:
    return command_line_database


def run(*args: str, language: str = "en") -> Result:
    get_settings.cache_clear()  # the language is a setting
    return runner.invoke(app, ["payments", *args], env={"COLUMNS": "200", "ARREARS_LANGUAGE": language})


def pending(engine: Engine, case_key: str, trade_no: str, hours_ago: int, status: str = "pending") -> None:
    received = datetime.now(UTC) - timedelta(hours=hours_ago, minutes=5)
    with transaction(engine) as session:
        link = PayLink(
            token_hash=f"hash-{trade_no}",
            case_id=case_id_of(case_key),
            account_id=f"A-N{case_key}",
            amount=12_345,
            currency="CNY",
            issued_at=received,
            expires_at=received + timedelta(days=1),
            provider_reference=f"PL{trade_no}",
            status="used",
        )
        session.add(link)
        session.flush()
        session.add(
            PendingPayment(
                trade_no=trade_no,
                link_id=link.id,
                case_id=link.case_id,
                account_id=link.account_id,
                amount=link.amount,
                currency="CNY",
                paid_at=received,
                received_at=received,
                status=status,
            )
        )


def test_the_pending_payments_waiting_longer_than_asked_are_listed(database: Engine) -> None:
    team = a_team(database)
    add_cases(database, [Queued(key, team) for key in ("old", "new", "done")])
    pending(database, "old", "T-OLD", hours_ago=30)
    pending(database, "new", "T-NEW", hours_ago=2)
    pending(database, "done", "T-DONE", hours_ago=50, status="confirmed")

    answer = run("pending")

    assert answer.exit_code == 0, answer.output
    assert "Pending payments not posted after 24 hours" in answer.output
    assert "T-OLD" in answer.output and "123.45 CNY" in answer.output and "A-Nold" in answer.output
    assert "T-NEW" not in answer.output and "T-DONE" not in answer.output
    both = run("pending", "--older-than-hours", "1", language="zh-CN")
    assert both.exit_code == 0, both.output
    assert "T-OLD" in both.output and "T-NEW" in both.output
    assert "1 小时后仍未入账的待确认还款" in both.output
    none = run("pending", "--older-than-hours", "48")
    assert none.exit_code == 0 and "No pending payment waits 48 hours or more" in none.output
    assert run("pending", "--older-than-hours", "-1").exit_code == 2


def a_team(engine: Engine) -> int:
    with transaction(engine) as session:
        team = Team(code="T1", name="T1", created_at=datetime.now(UTC))
        session.add(team)
        session.flush()
        return team.id
