"""``arrears demo``: a small demo bank built from nothing, its people per role, its history made
through the services, refused in production, and found built by a second run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from arrears.arrangements.models import Arrangement, Promise
from arrears.auth import service as auth
from arrears.auth.models import CredentialKind, User
from arrears.auth.permissions import Role
from arrears.cli import app
from arrears.clock import SystemClock
from arrears.config import get_settings
from arrears.contacts.models import Contact
from arrears.db import make_engine, transaction
from arrears.disputes.models import Dispute, Hold
from arrears.portfolio.models import Account
from arrears.qa.models import CallTranscript
from arrears.strategy.models import SimulationRun
from tests.auth.conftest import cheap_hashing

__all__ = ["cheap_hashing"]

PASSWORD = "a demo password for the tests"
ROLES = {
    "administrator": Role.ADMINISTRATOR,
    "supervisor": Role.SUPERVISOR,
    "collector": Role.COLLECTOR,
    "collector-2": Role.COLLECTOR,
    "field-agent": Role.FIELD_AGENT,
    "agency": Role.AGENCY_USER,
    "strategy-analyst": Role.STRATEGY_ANALYST,
    "compliance": Role.COMPLIANCE_OFFICER,
    "auditor": Role.AUDITOR,
    "customer": Role.CUSTOMER,
}
SMALL = ["demo", "--no-serve", "--customers", "200", "--nights", "12"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture
def demo_env(folder: Path, monkeypatch: pytest.MonkeyPatch, cheap_hashing: object) -> Iterator[Path]:
    """The embedded defaults in a folder of the test's own (the database, the batch store and
    the outbox's files beside it), messages in English, one password for every demo user."""
    monkeypatch.chdir(folder)
    for name in ("ARREARS_DATABASE_URL", "ARREARS_BATCH_STORE", "ARREARS_ENVIRONMENT", "ARREARS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    monkeypatch.setenv("ARREARS_DEMO_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture
def database(demo_env: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{demo_env / 'arrears.db'}")
    yield engine
    engine.dispose()


def test_refused_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARREARS_ENV", "production")
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, SMALL)
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "production" in result.output
    assert not (tmp_path / "arrears.db").exists()  # refused before anything is made


def test_builds_people_and_history(demo_env: Path, database: Engine) -> None:
    result = CliRunner().invoke(app, SMALL)
    assert result.exit_code == 0, result.output
    assert "passwords are shown once" in result.output
    for username in ROLES:
        assert username in result.output
    hint = " ".join(result.output.split()).split("portal/sign-in with account ")[1].split(";")[0]
    now = SystemClock().now()
    settings = get_settings()
    with transaction(database) as session:
        customer = session.scalar(select(User.customer_id).where(User.username == "customer"))
        assert session.get_one(Account, hint).customer_id == customer  # the demo customer's account
        for username, role in ROLES.items():
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None and user.role == role, username
            outcome = auth.sign_in(
                session,
                username,
                PASSWORD,
                kind=CredentialKind.SESSION,
                now=now,
                lifetimes=auth.Lifetimes(idle=timedelta(minutes=15), total=timedelta(hours=8)),
                throttle=auth.Throttle(
                    max_failures=settings.sign_in_max_failures, window=timedelta(minutes=15)
                ),
                client="test",
            )
            assert outcome.granted is not None, username
        customer = session.scalar(select(User).where(User.username == "customer"))
        assert customer is not None and customer.customer_id is not None
        collector = session.scalar(select(User.id).where(User.username == "collector"))
        # the history, made through the services by the demo's collectors
        by_collector = session.scalar(
            select(func.count()).select_from(Contact).where(Contact.recorded_by == collector)
        )
        assert by_collector and by_collector > 0
        assert session.scalar(select(func.count()).select_from(Promise)) > 0
        dispute = session.scalars(select(Dispute)).first()
        assert dispute is not None
        held = session.scalar(
            select(func.count())
            .select_from(Hold)
            .where(Hold.customer_id == dispute.customer_id, Hold.lifted_at.is_(None))
        )
        assert held
        assert session.scalar(select(func.count()).select_from(Arrangement)) > 0
        # the calls' transcripts, checked: some flagged, a sample drawn for review
        scores = session.scalars(select(CallTranscript.score)).all()
        assert scores and min(scores) < 100 and max(scores) == 100
        drawn = session.scalar(
            select(func.count()).select_from(CallTranscript).where(CallTranscript.review_state == "sampled")
        )
        assert drawn
        # the example strategy against its challenger, simulated and kept as the analyst's run
        [run] = session.scalars(select(SimulationRun)).all()
        analyst = session.scalar(select(User.id).where(User.username == "strategy-analyst"))
        assert run.ran_by == analyst and run.champion_strategy_id is not None
        assert run.challenger_name != run.champion_name and run.customers == 200
    # a second run serves what is built: no new portfolio, no passwords printed again
    result = CliRunner().invoke(app, SMALL)
    assert result.exit_code == 0, result.output
    assert "already built" in result.output
    assert PASSWORD not in result.output
    assert "set-password" in result.output


def test_refused_on_a_database_with_other_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database with people but no finished demo (a build stopped halfway, a bank's own data)
    is left alone, with a message that says what to do."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    for name in ("ARREARS_DATABASE_URL", "ARREARS_ENVIRONMENT", "ARREARS_ENV"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
        someone = CliRunner().invoke(
            app, ["users", "create", "li.lei", "--role", "auditor", "--password-stdin"], input=PASSWORD + "\n"
        )
        assert someone.exit_code == 0, someone.output
        result = CliRunner().invoke(app, SMALL)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "make clean" in result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'arrears.db'}")
    try:
        with transaction(engine) as session:
            assert session.scalar(select(func.count()).select_from(User)) == 1
    finally:
        engine.dispose()
