"""The uplift model watched for drift as the scoring models are: its training profile kept in the
artifact (an artifact without one still loads, and its drift is said not judged), the night's
scored cases set against it (PSI with the noise floor), kept with the strategy run and said in
the night's note: a book whose DPD doubled flags ``dpd``, the same book does not."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select, update

from arrears.audit.trail import SYSTEM
from arrears.cases.models import Case
from arrears.clock import FixedClock
from arrears.db import transaction
from arrears.scoring import service as scoring_service
from arrears.scoring import uplift as model_uplift
from arrears.scoring.settings import ScoringSettings
from arrears.strategy import uplift, uplift_drift
from arrears.strategy.facts import UpliftScoring, read_facts
from arrears.strategy.models import StrategyRun
from tests.api.book import Book
from tests.strategy.test_nightly import AS_OF, NOW, approve, night
from tests.strategy.test_uplift import synthetic

BANDED = """
strategy: night
names: {zh-CN: 夜间, en: Night}
segments:
  - code: banded
    names: {zh-CN: 分层, en: Banded}
    when: {uplift_band: [persuadable, sure_thing, lost_cause, do_not_disturb]}
    path: quiet
otherwise: {code: rest, names: {zh-CN: 其他, en: Rest}, path: quiet}
paths:
  quiet: {names: {zh-CN: 静, en: Quiet}}
"""
"""Every case could be in the segment that reads the band: the night scores them all."""
CASES = 80
COPIES = 25


def drift_book(engine: Engine) -> None:
    """80 open cases, DPD 1 to 80 and overdue spread, otherwise alike."""
    book = Book(engine)
    for n in range(CASES):
        book.case(f"d{n}", dpd=1 + n, bucket="M1", overdue=10_000 + 3_217 * n)


def train_on_the_book(engine: Engine) -> tuple[model_uplift.UpliftModel, dict[str, Any]]:
    """A model trained on the book's own facts (25 copies of each case, randomised, the response
    planted by DPD): its profile is the book's distribution."""
    with engine.connect() as connection:
        facts = read_facts(connection, AS_OF)
    products = model_uplift.products_of(facts)
    x, names = model_uplift.features(facts, AS_OF, products)
    x = np.tile(x, (COPIES, 1))
    rng = np.random.default_rng(5)
    treated = rng.random(len(x)) < 0.5
    dpd = x[:, names.index("dpd")]
    chance = np.where(dpd < 30, 0.9, np.where(dpd < 60, np.where(treated, 0.9, 0.1), 0.05))
    paid = (rng.random(len(x)) < chance).astype(np.int8)
    data = model_uplift.Randomised(x, names, products, treated, paid)
    model, metrics = model_uplift.train(data, rounds=20, seed=1)
    with transaction(engine) as session:
        row = scoring_service.register(
            session,
            model,
            scoring_service.TrainingRecord(uplift.PURPOSE, "the book", {}, metrics, "0" * 64),
            FixedClock(NOW),
            "test",
        )
        uplift.activate_version(session, SYSTEM, row.version, NOW)
    return model, metrics


def kept(engine: Engine, day: object) -> dict[str, object]:
    with engine.connect() as connection:
        counts = connection.execute(select(StrategyRun.counts).where(StrategyRun.as_of == day)).scalar_one()
    found: dict[str, object] = counts["uplift_drift"]
    return found


def test_a_book_whose_dpd_doubled_flags_dpd_and_the_same_book_does_not(engine: Engine) -> None:
    drift_book(engine)
    model, metrics = train_on_the_book(engine)
    assert model.profile is not None and set(model.profile) == {*model_uplift.FEATURES, "gain"}
    assert model.profile["dpd"].rows == metrics["trained_on"] == metrics["profile"]["rows"]
    assert metrics["profile"]["variables"] == [*model_uplift.FEATURES, "gain"]
    approve(engine, BANDED)

    same = night(engine)
    assert same.uplift_drift is not None and same.uplift_drift.reason is None
    assert same.uplift_drift.cases == CASES and same.uplift_drift.version == 1
    assert same.uplift_drift.flagged() == [] and "uplift drift" not in same.note()
    stored = kept(engine, AS_OF)
    judged = {v["name"]: v for v in stored["variables"]}  # type: ignore[attr-defined]
    assert set(judged) == {*model_uplift.FEATURES, "gain"}
    assert judged["dpd"]["stability"] == "stable" and judged["dpd"]["psi"] < judged["dpd"]["noise"]
    assert stored["warn"] == 0.1 and stored["alert"] == 0.25 and stored["purpose"] == "uplift_contact"
    assert len(json.dumps(stored)) < 1200  # small beside the run's counts

    with engine.begin() as connection:
        connection.execute(update(Case).values(worst_dpd=Case.worst_dpd * 2))
    doubled = night(engine, AS_OF + timedelta(days=1))
    assert doubled.uplift_drift is not None
    flagged = {v.name: v for v in doubled.uplift_drift.flagged()}
    assert flagged["dpd"].stability == "alert" and flagged["dpd"].psi > 0.25 + flagged["dpd"].noise
    assert "overdue" not in flagged and "age" not in flagged and "product" not in flagged
    assert "uplift drift 增益模型漂移 (uplift_contact v1, 80 cases): PSI dpd = " in doubled.note()
    later = kept(engine, AS_OF + timedelta(days=1))
    assert {v["name"]: v["stability"] for v in later["variables"]}["dpd"] == "alert"  # type: ignore[attr-defined]
    assert kept(engine, AS_OF)["variables"] == stored["variables"]  # each night keeps its own

    with transaction(engine) as session:
        found = uplift_drift.nights(session, SYSTEM, 1, 30)
        assert [n.as_of for n in found] == [AS_OF + timedelta(days=1), AS_OF]  # the latest first
        assert [n.as_of for n in uplift_drift.nights(session, SYSTEM, 1, 1)] == [AS_OF + timedelta(days=1)]
        assert uplift_drift.nights(session, SYSTEM, 2, 30) == []


def test_an_artifact_without_a_profile_still_loads_and_its_drift_is_said_not_judged(engine: Engine) -> None:
    model, metrics = model_uplift.train(synthetic(1000), rounds=10, seed=1)
    document = json.loads(
        gzip.decompress(model_uplift.UpliftModel(model.models, model.features, model.products).to_bytes())
    )
    [[_, treated]] = document.pop("arms")  # as stored before the profile, several arms and the prior
    document["treated"] = treated
    document.pop("prior")
    assert set(document) == {"format", "kind", "features", "products", "thresholds", "treated", "control"}
    old = gzip.compress(json.dumps(document).encode())
    loaded = model_uplift.UpliftModel.from_bytes(old)
    assert loaded.profile is None and loaded.features == model.features
    again = model_uplift.UpliftModel.from_bytes(model.to_bytes())
    assert again.profile == model.profile  # the profile goes through the artifact whole

    drift_book(engine)
    with transaction(engine) as session:
        row = scoring_service.register(
            session,
            loaded,  # no profile
            scoring_service.TrainingRecord(uplift.PURPOSE, "old", {}, metrics, "0" * 64),
            FixedClock(NOW),
            "test",
        )
        uplift.activate_version(session, SYSTEM, row.version, NOW)
    approve(engine, BANDED)
    outcome = night(engine)
    assert outcome.uplift_drift is not None and outcome.uplift_drift.reason == uplift_drift.NO_PROFILE
    assert outcome.uplift_drift.variables == () and outcome.uplift_drift.cases == CASES
    assert (
        "uplift drift not judged 增益模型漂移未判断: uplift_contact v1 was stored without" in outcome.note()
    )
    assert kept(engine, AS_OF)["reason"] == "no_profile"


@pytest.mark.parametrize("cases", [50, 400])
def test_too_few_scored_cases_are_not_judged(cases: int) -> None:
    model, _ = model_uplift.train(synthetic(2000), rounds=10, seed=1)
    x = synthetic(cases, seed=9).x
    gain = model.models.predict(x)
    scored = model_uplift.Scored(gain, model.band_codes(gain, gain), x, model.features)
    found = uplift_drift.judge(UpliftScoring(3, model, scored), ScoringSettings(psi_warn=0.2, psi_alert=0.5))
    assert found.needed == 55  # five a bin of the deciles and the missing bin
    assert (found.warn, found.alert) == (0.2, 0.5)
    if cases < 55:
        assert found.reason == uplift_drift.FEW_CASES and found.variables == ()
        assert "50 cases scored, fewer than 55 (5 per bin)" in found.note()
    else:
        assert found.reason is None and found.flagged() == [] and found.note() == ""
        assert {v.name for v in found.variables} == {*model.features, "gain"}
    assert uplift_drift.night_note(None) == "" and uplift_drift.run_counts(None) == {}


def test_a_night_whose_strategy_reads_no_band_keeps_no_drift(engine: Engine) -> None:
    drift_book(engine)
    train_on_the_book(engine)
    approve(engine)  # the night's usual strategy: no segment reads the band
    assert night(engine).uplift_drift is None
    with engine.connect() as connection:
        counts = connection.execute(select(StrategyRun.counts)).scalar_one()
    assert "uplift_drift" not in counts
