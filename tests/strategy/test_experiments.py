"""Champion / challenger results: members written by the night, each arm's outcomes over the
horizon, the comparison with the control, the committee's decision on the record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from arrears.audit.models import AuditEntry
from arrears.audit.trail import SYSTEM
from arrears.cases.models import Case
from arrears.cli import app
from arrears.compliance.packs import load_pack
from arrears.db import transaction
from arrears.errors import InvalidInputError
from arrears.portfolio.models import Payment
from arrears.strategy import service
from arrears.strategy.experiments import evidence
from arrears.strategy.models import ExperimentDecision, ExperimentMember
from tests.api.book import Book, account_id_of, case_id_of
from tests.strategy.test_nightly import AS_OF, EXPERIMENT, NOW, approve, night

BANK = service.Bank(
    buckets=frozenset({"M1", "M2", "M3"}),
    score_bands=frozenset("ABCDE"),
    protected=frozenset(),
    pack=load_pack("cn"),
    bucket_order=("M0", "M1", "M2", "M3"),
)
WITH_COSTS = EXPERIMENT.replace(
    "names: {zh-CN: 夜间, en: Night}", 'names: {zh-CN: 夜间, en: Night}\ncosts: {currency: CNY, call: "4.00"}'
)


def experiment_book(engine: Engine) -> dict[str, str]:
    book = Book(engine)
    customers = [f"x{n:02d}" for n in range(30)]
    for customer in customers:
        book.case(customer, dpd=5, bucket="M1")
    approve(engine, WITH_COSTS)
    night(engine)
    night(engine, AS_OF + timedelta(days=1))  # the champion's call (day 2)
    with engine.connect() as connection:
        return dict(connection.execute(select(ExperimentMember.case_id, ExperimentMember.arm)).all())


def report(engine: Engine, days: int = 10, after: int | None = None) -> service.ExperimentReport:
    """The report over ``days`` on the night ``after`` days after the first (default: ``days``)."""
    with transaction(engine) as session:
        return service.experiment_report(
            session,
            SYSTEM,
            "m1-calls",
            bank=BANK,
            horizon_days=days,
            minimum_effect=Decimal("0.1"),
            as_of=AS_OF + timedelta(days=days if after is None else after),
        )


def test_each_arm_s_outcomes_against_the_control(engine: Engine) -> None:
    arms = experiment_book(engine)
    assert len(arms) == 30 and set(arms.values()) == {"champion", "quiet"}
    champions = sorted(c for c, a in arms.items() if a == "champion")
    cured = champions[:3]
    with engine.begin() as connection:
        connection.execute(
            update(Case)
            .where(Case.case_id.in_(cured))
            .values(status="closed", closed_on=AS_OF + timedelta(days=4), close_reason="cured")
        )
        customer = champions[0].removeprefix("C-").removesuffix("-20261101")
        connection.execute(
            insert(Payment).values(
                payment_id="P1",
                account_id=account_id_of(customer),
                paid_on=AS_OF + timedelta(days=3),
                currency="CNY",
                amount=50_000,
            )
        )
    found = report(engine)
    assert found.control == "champion" and found.waiting == 0
    by_arm = {a.arm: a for a in found.arms}
    champion, quiet = by_arm["champion"], by_arm["quiet"]
    assert champion.members + quiet.members == 30
    assert champion.rates["cured"].successes == 3 and quiet.rates["cured"].successes == 0
    # each champion had one call (4.00 CNY); the quiet arm no action: nothing spent
    assert champion.cost_per_account == Decimal(400) and quiet.cost_per_account == 0
    assert champion.collected_per_account == Decimal(50_000) / champion.members
    (comparison,) = found.comparisons
    assert comparison.arm == "quiet" and comparison.differences["cured"].difference < 0
    assert comparison.net is not None and comparison.net.control_accounts == champion.members
    assert comparison.cure is not None and comparison.cure.control.successes == 3
    early = report(engine, days=30, after=10)
    assert early.waiting == 30 and all(a.members == 0 for a in early.arms)  # nobody matured yet


def test_the_cure_rate_s_sequential_test_at_each_daily_look(engine: Engine) -> None:
    experiment_book(engine)
    with engine.begin() as connection:  # a second cohort enters a day later: two looks
        connection.execute(
            update(ExperimentMember)
            .where(ExperimentMember.case_id.in_([case_id_of(f"x{n:02d}") for n in range(15)]))
            .values(entered_on=AS_OF + timedelta(days=1))
        )
    (comparison,) = report(engine, days=10, after=11).comparisons
    assert [day for day, _ in comparison.daily] == [AS_OF + timedelta(days=10), AS_OF + timedelta(days=11)]
    looks = [result.look for _, result in comparison.daily]
    assert looks == [1, 2]
    assert comparison.cure is not None and comparison.daily[-1][1] == comparison.cure.sequential
    # the always-valid p-value never rises from one look to the next
    assert comparison.daily[1][1].p_value <= comparison.daily[0][1].p_value


def test_the_committee_s_decision_is_kept_with_its_evidence(engine: Engine) -> None:
    experiment_book(engine)
    found = report(engine)
    with transaction(engine) as session:
        with pytest.raises(InvalidInputError):
            service.decide_experiment(
                session,
                SYSTEM,
                "m1-calls",
                outcome="promote",
                arm=None,
                note="x",
                evidence=evidence(found),
                now=NOW,
            )
        with pytest.raises(service.UnknownArmError):
            service.decide_experiment(
                session,
                SYSTEM,
                "m1-calls",
                outcome="promote",
                arm="nobody",
                note="x",
                evidence=evidence(found),
                now=NOW,
            )
        service.decide_experiment(
            session,
            SYSTEM,
            "m1-calls",
            outcome="keep_champion",
            arm=None,
            note="no difference yet",
            evidence=evidence(found),
            now=NOW,
        )
    with engine.connect() as connection:
        kept = connection.execute(select(ExperimentDecision)).one()
        audited = (
            connection.execute(select(AuditEntry.action).where(AuditEntry.object_id == "m1-calls"))
            .scalars()
            .all()
        )
    assert kept.outcome == "keep_champion" and kept.evidence["control"] == "champion"
    assert {a["arm"] for a in kept.evidence["arms"]} == {"champion", "quiet"}
    assert audited == ["experiment.decide"]
    with transaction(engine) as session:
        service.decide_experiment(
            session,
            SYSTEM,
            "m1-calls",
            outcome="extend",
            arm=None,
            note="more accounts",
            evidence=evidence(found),
            now=NOW + timedelta(days=1),
        )
    with transaction(engine) as session:
        listed = service.experiment_decisions(session, SYSTEM, "m1-calls")
        assert [d.outcome for d in listed] == ["extend", "keep_champion"]  # newest first
        with pytest.raises(service.ExperimentNotFoundError):
            service.experiment_decisions(session, SYSTEM, "nothing")
    with pytest.raises(service.ExperimentNotFoundError), transaction(engine) as session:
        service.experiment_of(session, SYSTEM, "nothing")


def test_the_report_on_the_command_line(command_line_database: Engine) -> None:
    experiment_book(command_line_database)
    shown = CliRunner().invoke(
        app,
        [
            "strategy",
            "experiment",
            "report",
            "m1-calls",
            "--horizon",
            "10",
            "--as-of",
            (AS_OF + timedelta(days=10)).isoformat(),
        ],
        env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"},
    )
    assert shown.exit_code == 0, shown.output
    assert "Experiment m1-calls on segment m1" in shown.output and "control arm champion" in shown.output
    assert "quiet against the control:" in shown.output and "mSPRT" in shown.output
