"""Arrears' own features in DuckDB: point-in-time correct, and values checked by hand."""

from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import pytest
from sqlalchemy import Engine

from arrears.clock import FixedClock
from arrears.db import transaction
from arrears.portfolio.models import Account, Customer
from arrears.scoring import repository, service
from arrears.scoring.date_scoring import score_as_of
from arrears.scoring.features import OWN_FEATURES, compute_features
from arrears.scoring.frame import from_arrow
from arrears.scoring.reasons import phrases, reasons_for
from arrears.scoring.registry import default_registry
from arrears.scoring.settings import ScoringSettings
from arrears.scoring.trained_model import learner_for, train
from tests.scoring.own_portfolio import ACCOUNTS, AS_OF, staged


@pytest.fixture(scope="module")
def con_then() -> duckdb.DuckDBPyConnection:
    return staged(with_later_events=False)


@pytest.fixture(scope="module")
def known_then(con_then: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    table = compute_features(con_then, AS_OF, delinquent_only=False)
    return {row["account_id"]: row for row in table.to_pylist()}


def test_scoring_at_d_again_after_later_events_gives_the_same_features(known_then: dict) -> None:
    """Payments, a reversal, new dues and snapshots after D change nothing about D."""
    con = staged(with_later_events=True)
    again = compute_features(con, AS_OF, delinquent_only=False)
    assert len(known_then) == 3
    assert {row["account_id"]: row for row in again.to_pylist()} == known_then
    later = compute_features(con, AS_OF + timedelta(days=50), delinquent_only=False)
    assert later.to_pylist() != again.to_pylist()  # the later events are there, and do matter later


def test_features_match_the_history_worked_by_hand(known_then: dict) -> None:
    a1 = known_then["A1"]
    # dues of 1,000.00 on the 5th; paid on time until 2025-12-05, nothing since:
    # oldest unpaid due 2026-01-05 -> DPD 85 on 2026-03-31 -> M3; 55 on 03-01 -> M2; 25 on 01-30 -> M1
    assert (a1["bucket_now"], a1["bucket_1m_ago"], a1["bucket_2m_ago"]) == (3, 2, 1)
    assert (a1["months_delinquent_3m"], a1["months_delinquent_6m"], a1["worst_bucket_6m"]) == (3, 3, 3)
    # six 30-day periods back from 03-31 each hold one due; the oldest three were paid in full
    assert (a1["pay_ratio_1m"], a1["pay_ratio_6m"], a1["months_paid_in_full_6m"]) == (0.0, 0.5, 3)
    assert a1["days_since_last_payment"] == (AS_OF - date(2025, 12, 5)).days
    assert (a1["credit_limit"], a1["product"], a1["tenure_months"], a1["customer_age"]) == (
        20000.0,
        "credit_card",
        26,  # opened 2024-01-15
        35,  # born 1990-05-01: not yet 36 on 2026-03-31
    )
    a3 = known_then["A3"]  # pays half of every due, 20 days late
    assert a3["pay_ratio_3m"] == 0.5
    assert a3["months_with_payment_6m"] == 6
    assert a3["utilisation"] == pytest.approx(a3["balance"] / 5000.0)
    assert known_then["A2"]["utilisation"] is None  # a loan has no credit limit


def test_only_delinquent_accounts_by_default_and_every_feature_is_registered(
    con_then: duckdb.DuckDBPyConnection,
) -> None:
    table = compute_features(con_then, AS_OF - timedelta(days=150))
    assert set(table.column("account_id").to_pylist()) == {"A3"}
    assert tuple(table.column_names[1:]) == OWN_FEATURES
    assert all(name in default_registry() for name in OWN_FEATURES)


def test_a_model_scores_and_explains_the_batch_features(con_then: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(2)
    features = compute_features(con_then, AS_OF, delinquent_only=False)
    table = from_arrow(features, OWN_FEATURES)
    rows = rng.integers(0, 3, 600)
    training = table.take(rows)
    noise = rng.normal(0, 0.5, 600)
    outcome = (training.column("pay_ratio_6m") * 2 - training.column("bucket_now") * 0.3 + noise) > -0.5
    model = train(learner_for("scorecard"), training, outcome.astype(np.int8))
    scored = model.score(table)
    assert scored.score.shape == (3,)
    reasons = reasons_for(table, model.contributions(table), model.features)
    texts = [t for row in reasons for t in phrases(row, "zh-CN")]
    assert all(t.startswith(("▲", "▼")) for t in texts)


def test_the_nightly_step_scores_delinquent_accounts_and_reports_drift(
    engine: Engine, con_then: duckdb.DuckDBPyConnection
) -> None:
    features = compute_features(con_then, AS_OF, delinquent_only=False)
    table = from_arrow(features, OWN_FEATURES)
    rows = np.arange(300) % 3
    outcome = (np.arange(300) % 4 != 0).astype(np.int8)
    outcome[rows == 2] = 0  # the worst account never pays
    model = train(learner_for("scorecard"), table.take(rows), outcome)
    clock = FixedClock(datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
    with transaction(engine) as session:
        session.add_all([Customer(customer_id="C1", name="张三"), Customer(customer_id="C2", name="李四")])
        session.flush()
        for account in ACCOUNTS.to_pylist():
            session.add(
                Account(
                    account_id=account["account_id"],
                    customer_id=account["customer_id"],
                    product=account["product"],
                    currency="CNY",
                    opened_on=account["opened_on"],
                )
            )
        record = service.TrainingRecord("pay_30d", "own history", {}, {}, "0" * 64)
        service.register(session, model, record, clock, "tester")
        service.activate(session, "pay_30d", 1, clock)
        settings = ScoringSettings(psi_warn=0.1, psi_alert=0.25)
        nightly = score_as_of(con_then, session, AS_OF, "pay_30d", settings, {"A1": "CASE-1"})
    assert nightly.run.accounts == 3
    assert nightly.drift == []  # three accounts are too few to judge PSI on, and it says so
    assert nightly.warnings() == [
        f"PSI not judged: 3 accounts, fewer than {nightly.needed} (5 per bin) 样本不足"
    ]
    assert nightly.needed >= 5 * 3
    with transaction(engine) as session:
        stored = {s.account_id: s for s in repository.scores_on(session, AS_OF)}
    assert set(stored) == {"A1", "A2", "A3"}
    assert stored["A1"].case_id == "CASE-1" and stored["A2"].case_id is None
    assert stored["A3"].score < stored["A1"].score
