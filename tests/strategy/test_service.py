"""Strategies' life cycle (draft, four-eyes approval from a date, rejection), the preview on
today's cases, and a person's answer to a proposed serious step; audited, permission-checked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select

from arrears.audit.models import AuditEntry
from arrears.audit.trail import Actor
from arrears.auth.models import Team, User
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.compliance.packs import load_pack
from arrears.db import transaction
from arrears.errors import PermissionDeniedError
from arrears.strategy import service
from arrears.strategy.evaluation import DuckDBStrategyEngine
from arrears.strategy.preview import preview
from arrears.strategy.repository import active_strategy
from tests.api.book import Book, case_id_of
from tests.strategy.test_nightly import DOCUMENT, night

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 21)
BANK = service.Bank(
    buckets=frozenset({"M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"}),
    score_bands=frozenset("ABCDE"),
    protected=frozenset({"age"}),
    pack=load_pack("cn"),
)
CALLS_ONLY = DOCUMENT.replace(
    """      - {day: 1, action: sms, template: first_delinquency, at: "10:00"}
      - {day: 2, action: sms, template: first_delinquency, at: "23:30"}
""",
    "",
).replace("      - {day: 1, action: letter, template: first_delinquency}\n", "")


def person(engine: Engine, role: Role, name: str | None = None) -> Principal:
    with engine.begin() as connection:
        user_id = connection.execute(
            insert(User)
            .values(username=name or role.value, role=role.value, created_at=NOW, active=True)
            .returning(User.id)
        ).scalar_one()
    return Principal(user_id=user_id, username=name or role.value, role=role)


def drafted(engine: Engine, who: Principal | Actor, text: str = CALLS_ONLY) -> int:
    with transaction(engine) as session:
        return service.draft(session, who, text, "night.yaml", note="first", now=NOW).id


def approve(engine: Engine, who: Principal, strategy_id: int, active_from: date = TODAY) -> None:
    with transaction(engine) as session:
        service.approve(
            session, who, strategy_id, active_from=active_from, bank=BANK, today=TODAY, expected=None, now=NOW
        )


def test_an_analyst_drafts_and_someone_else_approves_from_a_date(engine: Engine) -> None:
    analyst, supervisor = person(engine, Role.STRATEGY_ANALYST), person(engine, Role.SUPERVISOR)
    first = drafted(engine, analyst)
    second = drafted(engine, analyst)
    with transaction(engine) as session:
        numbers = [(s.code, s.number, s.status) for s in service.strategies(session, analyst)]
    assert numbers == [("night", 2, "draft"), ("night", 1, "draft")]
    with pytest.raises(PermissionDeniedError):
        approve(engine, person(engine, Role.COLLECTOR), first)
    with pytest.raises(PermissionDeniedError):
        approve(engine, analyst, first)  # an analyst drafts, does not approve
    approve(engine, supervisor, first)
    approve(engine, supervisor, second, active_from=TODAY + timedelta(days=3))
    with engine.connect() as connection:
        assert active_strategy(connection, TODAY).number == 1  # type: ignore[union-attr]
        assert active_strategy(connection, TODAY + timedelta(days=3)).number == 2  # type: ignore[union-attr]
    with transaction(engine) as session:
        service.retire(session, supervisor, second, reason="worse", expected=None, now=NOW)
    with pytest.raises(service.StrategyNotApprovedError), transaction(engine) as session:
        service.retire(session, supervisor, second, reason="again", expected=None, now=NOW)
    with engine.connect() as connection:
        assert active_strategy(connection, TODAY + timedelta(days=3)).number == 1  # type: ignore[union-attr]
        assert active_strategy(connection, TODAY - timedelta(days=1)) is None
        actions = connection.execute(select(AuditEntry.action, AuditEntry.object_id)).all()
    assert [a for a, _ in actions].count("strategy.draft") == 2
    assert ("strategy.approve", str(first)) in actions


def test_whoever_drafted_a_version_does_not_approve_it(engine: Engine) -> None:
    supervisor = person(engine, Role.SUPERVISOR)
    own = drafted(engine, Actor(user_id=supervisor.user_id, name="supervisor", role="supervisor"))
    with pytest.raises(service.OwnDraftError):
        approve(engine, supervisor, own)


def test_a_version_that_fails_a_check_is_not_approved(engine: Engine) -> None:
    analyst, supervisor = person(engine, Role.STRATEGY_ANALYST), person(engine, Role.SUPERVISOR)
    with_templates = drafted(engine, analyst, DOCUMENT)  # no approved template first_delinquency here
    with pytest.raises(service.InvalidStrategyError) as refused:
        approve(engine, supervisor, with_templates)
    assert "no approved sms template first_delinquency" in refused.value.message("en")
    assert "paths.gentle.steps[0].template" in refused.value.message("en")
    fine = drafted(engine, analyst)
    approve(engine, supervisor, fine)
    with pytest.raises(service.StrategyNotDraftError):
        approve(engine, supervisor, fine)


def test_the_preview_counts_each_segment_and_step_and_its_cost(engine: Engine) -> None:
    book = Book(engine)
    for n in range(3):
        book.case(f"early{n}", dpd=5, bucket="M1")
    book.case("late", dpd=45, bucket="M2")
    text = CALLS_ONLY.replace(
        "names: {zh-CN: 夜间, en: Night}",
        'names: {zh-CN: 夜间, en: Night}\ncosts: {currency: CNY, call: "4.00", legal_referral: "500.00"}',
    )
    duck = DuckDBStrategyEngine()
    try:
        with engine.connect() as connection:
            shown = preview(connection, duck, service.parse_document(text, "t.yaml"), TODAY)
    finally:
        duck.close()
    assert shown.cases == 4 and shown.segments == {"m1": 3, "m2": 1}
    assert shown.in_no_segment == 0 and shown.in_several == 0
    taken = {(s.path, s.day, s.action): (s.cases, s.cost_minor) for s in shown.steps}
    assert taken[("gentle", 2, "call")] == (3, 1200)
    assert taken[("firm", 1, "legal_referral")] == (1, 50000)
    assert shown.total_cost_minor == 51200


def test_a_supervisor_confirms_a_proposed_referral_on_the_record(engine: Engine) -> None:
    book = Book(engine)
    book.case("late", dpd=45, bucket="M2")
    analyst, supervisor = person(engine, Role.STRATEGY_ANALYST), person(engine, Role.SUPERVISOR)
    auditor = Principal(user_id=supervisor.user_id, username="x", role=Role.COMPLIANCE_OFFICER)
    approve(engine, supervisor, drafted(engine, analyst))
    night(engine)
    with engine.connect() as connection:
        proposed = connection.execute(select(service.StrategyAction.id)).scalar_one()
    with pytest.raises(PermissionDeniedError), transaction(engine) as session:
        service.decide_action(session, auditor, proposed, confirm=True, reason=None, today=TODAY, now=NOW)
    # a supervisor leads no team here: the case is not in their scope
    with pytest.raises(service.ActionNotFoundError), transaction(engine) as session:
        service.decide_action(session, supervisor, proposed, confirm=True, reason=None, today=TODAY, now=NOW)
    with engine.begin() as connection:
        team = connection.execute(
            insert(Team).values(code="T", name="T", created_at=NOW).returning(Team.id)
        ).scalar_one()
    book.assign(case_id_of("late"), team)
    head = Principal(
        user_id=supervisor.user_id, username="head", role=Role.SUPERVISOR, led_team_ids=frozenset({team})
    )
    with transaction(engine) as session:
        service.decide_action(
            session, head, proposed, confirm=True, reason="debt verified", today=TODAY, now=NOW
        )
    with engine.connect() as connection:
        done = connection.execute(select(service.StrategyAction)).one()
        entry = connection.execute(
            select(AuditEntry).where(AuditEntry.action == "strategy_action.confirm")
        ).one()
    assert done.status == "confirmed" and done.decided_by == supervisor.user_id
    assert entry.object_id == case_id_of("late") and entry.reason == "debt verified"
    with pytest.raises(service.ActionDecidedError), transaction(engine) as session:  # answered once
        service.decide_action(session, head, proposed, confirm=False, reason=None, today=TODAY, now=NOW)
