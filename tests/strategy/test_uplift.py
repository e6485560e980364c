"""Who pays anyway: the uplift model trained on randomised arms (simulated or an experiment's),
stored with its measures, scored every night into ``uplift_band``, read by a segment on DuckDB
and Spark; no model, no band (and a warning); the commands' permissions and audit."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from arrears.audit.models import AuditEntry
from arrears.audit.trail import SYSTEM
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.cases.models import Case
from arrears.cli import app
from arrears.clock import FixedClock
from arrears.config import Settings
from arrears.db import transaction
from arrears.errors import InvalidInputError, PermissionDeniedError
from arrears.i18n import translate
from arrears.scoring import service as scoring_service
from arrears.scoring import uplift as model_uplift
from arrears.scoring.models import ModelVersion
from arrears.strategy import evaluation, service, uplift
from arrears.strategy.facts import FACTS_SCHEMA, read_case_facts
from arrears.strategy.models import CaseSegment, ExperimentMember, StrategyAction
from arrears.strategy.repository import parse_document
from arrears.strategy.simulation.pair import Plan, bank_for, no_action
from arrears.strategy.uplift_thresholds import sentence
from arrears.web import render
from arrears.web.strategy_pages import why_lines
from tests.api.book import Book, case_id_of
from tests.strategy.test_evaluation import fact
from tests.strategy.test_experiments import BANK, WITH_COSTS, experiment_book
from tests.strategy.test_nightly import AS_OF, DOCUMENT, NOW, approve, night
from tests.strategy.test_simulation import REMIND

SURE = DOCUMENT.replace(
    "when: {hold: [none], bucket: [M1]}, path: gentle}",
    "when: {hold: [none], bucket: [M1], uplift_band: [sure_thing]}, path: gentle}",
)
"""The night's strategy with its M1 segment narrowed to the customers who pay anyway."""
BY_ARM = DOCUMENT.replace(
    "when: {hold: [none], bucket: [M1]}, path: gentle}",
    "when: {hold: [none], bucket: [M1], uplift_arm: [sms]}, path: gentle}",
)
"""The M1 segment narrowed to the customers whose best arm is the SMS arm."""
ROUTED = BY_ARM.replace("uplift_arm: [sms]", "uplift_band: [persuadable], uplift_arm: [sms]")
"""…and whom contact helps: a customer who pays either way has a best arm too (by a hair)."""


def book_facts(dpd: Any, overdue: Any) -> pa.Table:
    """The facts the model reads of personal loans to Chinese speakers, unscored, of no known age."""
    n = len(dpd)
    return pa.table(
        {
            "dpd": pa.array(dpd, pa.int32()),
            "overdue": pa.array(overdue, pa.int64()),
            "score": pa.nulls(n, pa.int32()),
            "product": pa.array(["personal_loan"] * n),
            "language": pa.array(["zh"] * n),
            "birth_date": pa.nulls(n, pa.date32()),
        }
    )


def synthetic(n: int = 4000, seed: int = 3) -> model_uplift.Randomised:
    """Randomised customers whose response is planted by DPD: under 30 days they pay either way
    (sure things), 30 to 59 only when contacted (persuadable), from 60 never (lost causes)."""
    rng = np.random.default_rng(seed)
    facts = book_facts(rng.integers(1, 90, n), rng.integers(10_000, 500_000, n))
    products = model_uplift.products_of(facts)
    x, names = model_uplift.features(facts, AS_OF, products)
    treated = rng.random(n) < 0.5
    dpd = x[:, names.index("dpd")]
    chance = np.where(dpd < 30, 0.9, np.where(dpd < 60, np.where(treated, 0.9, 0.1), 0.05))
    paid = (rng.random(n) < chance).astype(np.int8)
    return model_uplift.Randomised(x, names, products, treated, paid)


def sms_call_or_quiet(n: int, seed: int, chance: Any) -> model_uplift.Randomised:
    """Customers of 1 to 89 days past due randomised into a control (quiet) and two treated arms
    (sms, call), each paying with ``chance(dpd, arm)`` (arm −1: the control, 0: sms, 1: call)."""
    rng = np.random.default_rng(seed)
    facts = book_facts(rng.integers(1, 90, n), rng.integers(10_000, 500_000, n))
    products = model_uplift.products_of(facts)
    x, names = model_uplift.features(facts, AS_OF, products)
    arm = rng.integers(-1, 2, n).astype(np.int16)
    paid = (rng.random(n) < chance(x[:, names.index("dpd")], arm)).astype(np.int8)
    return model_uplift.Randomised(
        x, names, products, arm >= 0, paid, arm=arm, arms=("sms", "call"), control="quiet"
    )


def three_arms(n: int = 6000, seed: int = 4) -> model_uplift.Randomised:
    """Responses planted by DPD: under 30 days they pay either way; 30 to 59 only after an SMS;
    60 to 89 only after a call."""

    def chance(dpd: Any, arm: Any) -> Any:
        helped = ((dpd >= 30) & (dpd < 60) & (arm == 0)) | ((dpd >= 60) & (arm == 1))
        return np.where(dpd < 30, 0.9, np.where(helped, 0.9, 0.05))

    return sms_call_or_quiet(n, seed, chance)


def test_one_model_over_several_arms_finds_each_customer_s_best_arm() -> None:
    data = three_arms()
    model, metrics = model_uplift.train(data, rounds=40, seed=1, gain_threshold=0.1)
    assert model.models.names == ("sms", "call")
    assert list(metrics["calibration"]) == ["sms", "call", "quiet"]
    assert metrics["arms"] == {"treated": ["sms", "call"], "control": "quiet"}
    # each arm helps a third of the book: against the control, each ranks its own customers first
    assert metrics["qini_by_arm"]["sms"] > 0.2 and metrics["qini_by_arm"]["call"] > 0.2
    assert metrics["qini_held_out"] > 0.1  # any arm against the control: a call wasted at 45 days counts
    probe = book_facts([10, 45, 75], [100_000] * 3)
    x, _ = model_uplift.features(probe, AS_OF, model.products)
    gain, without, best = model.models.best(x)
    assert list(best[1:]) == [0, 1]  # 45 days: the SMS; 75 days: the call
    assert gain[1] > 0.5 and gain[2] > 0.5 and abs(gain[0]) < 0.1 and without[0] > 0.7
    _, codes = model.score(probe, AS_OF)
    assert [model_uplift.BANDS[c] for c in codes] == ["sure_thing", "persuadable", "persuadable"]
    again = model_uplift.UpliftModel.from_bytes(model.to_bytes())
    assert again.models.names == ("sms", "call")
    assert np.allclose(again.models.chances(x), model.models.chances(x))


def both_arms_help(n: int = 6000, seed: int = 5) -> model_uplift.Randomised:
    """Under 30 days 0.7 pay whatever is done; from 30 days 0.1 pay left alone, 0.6 after an SMS
    and 0.95 after a call."""
    return sms_call_or_quiet(
        n,
        seed,
        lambda dpd, arm: np.where(dpd < 30, 0.7, np.where(arm == 1, 0.95, np.where(arm == 0, 0.6, 0.1))),
    )


def test_arms_with_their_own_thresholds_route_each_customer_to_the_contact_that_pays_most() -> None:
    """The best arm is the one whose gain passes its own break-even by most: at 45 and 75 days a
    call adds about 0.8 and an SMS about 0.45–0.55; the call wins unless its cost eats the difference."""
    from dataclasses import replace

    model, one = model_uplift.train(both_arms_help(), rounds=100, seed=1, gain_threshold=0.05)
    probe = book_facts([10, 45, 75], [100_000] * 3)
    x, _ = model_uplift.features(probe, AS_OF, model.products)
    assert list(model.best(x)[2][1:]) == [1, 1]  # one threshold for both: the call, likeliest to pay

    def routed(sms: float, call: float) -> tuple[list[int], list[str]]:
        own = replace(model, arm_thresholds=(sms, call))
        scored = own.scored(probe, AS_OF)
        assert scored.best is not None
        return list(scored.best[1:]), [model_uplift.BANDS[c] for c in scored.codes]

    assert routed(0.05, 0.5) == ([0, 0], ["sure_thing", "persuadable", "persuadable"])  # dear calls: the SMS
    assert routed(0.05, 0.2) == ([1, 1], ["sure_thing", "persuadable", "persuadable"])  # cheaper: the call
    assert routed(0.05, 0.05) == ([1, 1], ["sure_thing", "persuadable", "persuadable"])  # as one threshold
    assert routed(0.7, 0.9)[1] == ["sure_thing", "lost_cause", "lost_cause"]  # neither pays its cost
    dear = replace(model, arm_thresholds=(0.05, 0.5))
    again = model_uplift.UpliftModel.from_bytes(dear.to_bytes())
    assert again.arm_thresholds == (0.05, 0.5) and again.thresholds()["arms"] == {"sms": 0.05, "call": 0.5}
    assert model_uplift.UpliftModel.from_bytes(model.to_bytes()).arm_thresholds is None  # as stored before
    _, metrics = model_uplift.train(
        both_arms_help(), rounds=100, seed=1, gain_threshold=0.05, arm_thresholds={"sms": 0.05, "call": 0.5}
    )
    assert metrics["thresholds"]["arms"] == {"sms": 0.05, "call": 0.5}
    # what the held-out persuadable show in their arms: routed to the call, its larger planted gain
    # (0.60 seen, the under-30s among them adding none); routed to the SMS, the SMS's smaller (0.35)
    assert one["gain_seen"]["persuadable"]["seen"] > 0.5
    assert metrics["gain_seen"]["persuadable"]["seen"] < 0.45


def started_from_their_own_rates(data: model_uplift.Randomised, rounds: int) -> model_uplift.ArmModels:
    """The arms' classifiers as they were trained before the common prior: each boosted from its
    own arm's paying rate (LightGBM's default), as an artifact stored then loads."""
    import lightgbm as lgb

    from arrears.scoring.boosting import DEFAULT_PARAMETERS

    arm = data.arm_of()

    def fit(rows: Any) -> Any:
        found = lgb.Dataset(data.x[rows], label=data.outcome[rows], feature_name=list(data.names))
        return lgb.train(DEFAULT_PARAMETERS | {"seed": 1}, found, num_boost_round=rounds)

    return model_uplift.ArmModels(fit(arm < 0), tuple((n, fit(arm == k)) for k, n in enumerate(data.arms)))


def no_arm_helps(products: tuple[str, ...]) -> Any:
    """The model's inputs at 1 to 29 days past due, where :func:`three_arms` planted no gain."""
    return model_uplift.features(book_facts(np.arange(1, 30), [100_000] * 29), AS_OF, products)[0]


def test_every_arm_s_classifier_starts_from_one_prior_so_that_stopping_short_is_no_gain() -> None:
    data = three_arms()
    quiet = no_arm_helps(data.products)
    # 40 rounds stop short of the data: each arm's classifier is still near where it started
    before = started_from_their_own_rates(data, 40).predict(quiet).mean()
    now = model_uplift.arm_models(data.x, data.arm_of(), data.outcome, data.names, data.arms, 40, 1)
    assert before > 0.05  # the control started from its lower rate, and is still below the arms
    assert abs(now.predict(quiet).mean()) < 0.02
    assert now.prior == pytest.approx(np.log(data.outcome.mean() / (1 - data.outcome.mean())))


def test_a_model_that_stopped_short_predicts_less_gain_than_its_held_out_arms_show() -> None:
    model, metrics = model_uplift.train(three_arms(), rounds=40, seed=1, gain_threshold=0.1)
    for group in ("all", "persuadable"):
        found = metrics["gain_seen"][group]
        assert found["predicted"] < found["low"], (group, found)  # 40 rounds: too few
    assert metrics["gain_seen"]["persuadable"]["seen"] > 0.8
    again = model_uplift.UpliftModel.from_bytes(model.to_bytes())
    assert again.models.prior == model.models.prior != 0
    quiet = no_arm_helps(model.products)
    assert np.allclose(again.models.predict(quiet), model.models.predict(quiet))


def test_rounds_chosen_by_early_stopping_bring_the_gain_predicted_within_what_the_arms_show() -> None:
    data = three_arms()
    fixed = model_uplift.train(data, rounds=100, seed=1, gain_threshold=0.1)[1]
    chosen = model_uplift.train(data, rounds=None, seed=1, gain_threshold=0.1)[1]
    assert fixed["rounds"] == {"sms": 100, "call": 100, "quiet": 100} and not fixed["rounds_chosen"]
    assert chosen["rounds_chosen"] and list(chosen["rounds"]) == ["sms", "call", "quiet"]
    rounds = chosen["rounds"]
    assert (
        all(10 <= count < model_uplift.MOST_ROUNDS for count in rounds.values()) and rounds != fixed["rounds"]
    )
    for group in ("all", "persuadable"):
        assert fixed["gain_seen"][group]["predicted"] < fixed["gain_seen"][group]["low"]  # 100: too few
        found = chosen["gain_seen"][group]
        assert found["low"] <= found["predicted"] <= found["high"], (group, found)


def test_an_arm_too_small_to_choose_its_rounds_on_is_refused() -> None:
    data = synthetic(40, seed=3)
    with pytest.raises(ValueError, match="give --rounds"):
        model_uplift.train(data, rounds=None, seed=1)


def test_a_refused_training_says_why_in_the_reader_s_language_and_stores_nothing(engine: Engine) -> None:
    treated = parse_document(REMIND, "remind")
    plan = Plan((no_action(treated), treated), ("none", "remind"), 40, 10, 2, AS_OF, bank_for(Settings()))
    with pytest.raises(InvalidInputError) as refused, transaction(engine) as session:
        uplift.train_simulated(session, SYSTEM, plan, rounds=None, protected=frozenset(), now=NOW)
    english, chinese = refused.value.message("en"), refused.value.message("zh-CN")
    assert english.startswith("the uplift model cannot be trained: ")
    assert "give --rounds" in english or "who paid and who did not" in english
    assert "请给出 --rounds" in chinese or "已还款和未还款" in chinese
    assert not any("a" <= c <= "z" for c in chinese.replace("--rounds", "").split("：", 1)[-1])
    with engine.connect() as connection:
        assert connection.execute(select(ModelVersion.id)).all() == []


def test_the_gain_seen_is_each_best_arm_s_paying_rate_less_the_control_s_weighted_by_stratum() -> None:
    best = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], np.int16)
    arm = np.array([0, 0, -1, -1, 1, 1, -1, -1, 0, 0], np.int16)  # the last two: neither side
    paid = np.array([1, 1, 0, 1, 1, 0, 0, 0, 1, 1], np.int8)
    found = model_uplift.gain_seen(np.full(10, 0.25), best, arm, paid)
    # stratum 0: 1 − 0.5; stratum 1: 0.5 − 0; weighted 4 : 6
    assert found["seen"] == pytest.approx(0.4 * 0.5 + 0.6 * 0.5)
    half_width = NormalDist().inv_cdf(0.975) * np.sqrt(0.4**2 * (0 + 0.25 / 2) + 0.6**2 * (0.25 / 2 + 0))
    assert (found["low"], found["high"]) == pytest.approx((0.5 - half_width, 0.5 + half_width))
    assert found["predicted"] == 0.25 and found["customers"] == 10
    nobody_left_alone = model_uplift.gain_seen(np.zeros(2), best[:2], arm[:2], paid[:2])
    assert nobody_left_alone["seen"] is None


def test_a_model_stored_with_one_treated_arm_before_several_were_kept_still_loads() -> None:
    model, _ = model_uplift.train(synthetic(), rounds=20, seed=1)
    document = json.loads(gzip.decompress(model.to_bytes()))
    [[name, treated]] = document.pop("arms")
    assert name == "treated"
    older = gzip.compress(json.dumps(document | {"treated": treated}).encode())
    loaded = model_uplift.UpliftModel.from_bytes(older)
    x = synthetic(50, seed=9).x
    assert loaded.models.names == ("treated",) and np.allclose(
        loaded.models.predict(x), model.models.predict(x)
    )


def test_a_model_stored_before_the_common_prior_predicts_as_it_did() -> None:
    data = synthetic(2000)
    before = started_from_their_own_rates(data, 20)
    document = json.loads(
        gzip.decompress(model_uplift.UpliftModel(before, data.names, data.products).to_bytes())
    )
    assert document.pop("prior") == 0.0
    loaded = model_uplift.UpliftModel.from_bytes(gzip.compress(json.dumps(document).encode()))
    x = synthetic(50, seed=9).x
    assert loaded.models.prior == 0.0
    assert np.allclose(loaded.models.without(x), before.control.predict(x))  # LightGBM's own chance
    assert np.allclose(loaded.models.chances(x)[:, 0], before.treated[0][1].predict(x))


def store_synthetic(engine: Engine, *, activate: bool = True) -> int:
    with transaction(engine) as session:
        model, metrics = model_uplift.train(synthetic(), rounds=100, seed=1)
        row = scoring_service.register(
            session,
            model,
            scoring_service.TrainingRecord(uplift.PURPOSE, "synthetic", {}, metrics, "0" * 64),
            FixedClock(NOW),
            "test",
        )
        if activate:
            uplift.activate_version(session, SYSTEM, row.version, NOW)
        return row.version


def test_the_stored_model_keeps_its_qini_and_each_arm_s_calibration(engine: Engine) -> None:
    store_synthetic(engine)
    with engine.connect() as connection:
        row = connection.execute(select(ModelVersion).where(ModelVersion.purpose == uplift.PURPOSE)).one()
    metrics = row.metrics
    assert row.kind == "uplift" and row.is_active
    assert metrics["trained_on"] + metrics["held_out"] == 4000
    assert 1000 < metrics["held_out"] < 1400  # about 30 %
    assert metrics["qini_held_out"] > 0.1  # the planted persuadables are ranked first
    for arm in ("treated", "control"):
        found = metrics["calibration"][arm]
        assert 0 <= found["ece"] < 0.06 and 0 < found["brier"] < 0.15
        assert 0.5 < found["auc"] <= 1 and found["ece_floor"] > 0
        assert len(found["reliability"]) == 10  # the diagram's equal-mass bins, out of fold
        assert sum(row["accounts"] for row in found["reliability"]) == found["customers"]
    assert (
        metrics["calibration"]["treated"]["customers"] + metrics["calibration"]["control"]["customers"]
        == (metrics["trained_on"])
    )
    assert metrics["thresholds"] == {"gain": 0.05, "sure": 0.5}
    bands = metrics["held_out_bands"]
    assert min(bands["persuadable"], bands["sure_thing"], bands["lost_cause"]) > 250  # a third each
    assert bands.get("do_not_disturb", 0) < 20  # nobody is harmed by contact here


def test_the_simulated_model_is_measured_against_the_truth(engine: Engine) -> None:
    treated = parse_document(REMIND, "remind")
    plan = Plan((no_action(treated), treated), ("none", "remind"), 3000, 10, 2, AS_OF, bank_for(Settings()))
    with transaction(engine) as session:
        trained = uplift.train_simulated(
            session, SYSTEM, plan, rounds=30, protected=frozenset(), now=NOW, activate=True
        )
    metrics = trained.metrics
    assert trained.version == 1 and trained.activated
    assert -1 <= metrics["qini_truth"] <= metrics["qini_truth_best"]
    assert metrics["true_effect"] > 0  # reminders help: the planted effect
    with engine.connect() as connection:
        audited = connection.execute(select(AuditEntry.action, AuditEntry.actor_name)).all()
    assert [a for a, _ in audited] == ["model.train", "model.activate"]


def bands_book(engine: Engine) -> dict[str, str]:
    """Nine M1 cases: three sure things (DPD 5), three persuadable (45), three lost causes (75)."""
    book = Book(engine)
    planted = {}
    for n, (dpd, band) in enumerate([(5, "sure_thing"), (45, "persuadable"), (75, "lost_cause")] * 3):
        book.case(f"u{n}", dpd=dpd, bucket="M1")
        planted[case_id_of(f"u{n}")] = band
    return planted


def test_a_night_with_an_active_model_fills_the_band_and_the_segment_takes_exactly_those(
    engine: Engine,
) -> None:
    planted = bands_book(engine)
    Book(engine).case("m2", dpd=45, bucket="M2")
    store_synthetic(engine)
    with engine.connect() as connection:
        facts = read_case_facts(connection, AS_OF)
        unread = read_case_facts(connection, AS_OF, parse_document(DOCUMENT, "night"))
        narrowed = read_case_facts(connection, AS_OF, parse_document(SURE, "sure"))
    scored = dict(zip(facts["case_id"].to_pylist(), facts["uplift_band"].to_pylist(), strict=True))
    assert scored == planted | {case_id_of("m2"): "persuadable"}
    assert unread["uplift_band"].null_count == 10  # a strategy that does not read the band: not scored
    # only the cases the segment could take on its other conditions (M1, no hold) are scored
    banded = dict(zip(narrowed["case_id"].to_pylist(), narrowed["uplift_band"].to_pylist(), strict=True))
    assert banded == planted | {case_id_of("m2"): None}
    gains = dict(zip(narrowed["case_id"].to_pylist(), narrowed["uplift_gain"].to_pylist(), strict=True))
    assert gains[case_id_of("m2")] is None and gains[case_id_of("u1")] > 0.05
    approve(engine, SURE)
    outcome = night(engine)
    assert outcome.segments["m1"] == 3
    with engine.connect() as connection:
        in_m1 = set(
            connection.execute(select(CaseSegment.case_id).where(CaseSegment.segment == "m1")).scalars()
        )
        whys = connection.execute(select(StrategyAction.why)).scalars().all()
    assert in_m1 == {case for case, band in planted.items() if band == "sure_thing"}
    in_m1_whys = [why for why in whys if why["segment"] == "m1"]
    assert in_m1_whys and all(why["facts"]["uplift_band"] == "sure_thing" for why in in_m1_whys)
    assert all(abs(why["uplift_gain"]) <= 0.05 for why in in_m1_whys)  # a sure thing: a small gain
    assert all("uplift_band" not in why["facts"] for why in whys if why["segment"] != "m1")
    assert all("uplift_gain" not in why for why in whys if why["segment"] != "m1")


def test_a_night_routes_each_case_by_its_best_arm(engine: Engine) -> None:
    planted = bands_book(engine)  # DPD 5, 45 and 75: best arm none to speak of, the SMS, the call
    with transaction(engine) as session:
        model, metrics = model_uplift.train(three_arms(), rounds=40, seed=1, gain_threshold=0.1)
        row = scoring_service.register(
            session,
            model,
            scoring_service.TrainingRecord(uplift.PURPOSE, "three arms", {}, metrics, "0" * 64),
            FixedClock(NOW),
            "test",
        )
        uplift.activate_version(session, SYSTEM, row.version, NOW)
    with engine.connect() as connection:
        facts = read_case_facts(connection, AS_OF, parse_document(ROUTED, "routed"))
    arms = dict(zip(facts["case_id"].to_pylist(), facts["uplift_arm"].to_pylist(), strict=True))
    persuadable = {case for case, band in planted.items() if band == "persuadable"}  # DPD 45
    assert {arms[case] for case in persuadable} == {"sms"}
    assert {arms[case] for case, band in planted.items() if band == "lost_cause"} == {"call"}  # DPD 75
    assert None not in arms.values()  # every M1 case scored: each has a best arm
    approve(engine, ROUTED)
    night(engine)
    with engine.connect() as connection:
        in_m1 = set(
            connection.execute(select(CaseSegment.case_id).where(CaseSegment.segment == "m1")).scalars()
        )
        whys = connection.execute(select(StrategyAction.why)).scalars().all()
    assert in_m1 == persuadable
    assert all(
        why["facts"]["uplift_arm"] == "sms" and why["uplift_gain"] > 0.5
        for why in whys
        if why["segment"] == "m1"
    )
    unknown = parse_document(ROUTED.replace("uplift_arm: [sms]", "uplift_arm: [sms, letter]"), "routed")
    with transaction(engine) as session:
        report = service.check(session, SYSTEM, unknown, BANK, AS_OF)
    [warned] = [p for p in report.warnings if p.where == "segments[1].when.uplift_arm"]
    assert "has no arm letter (its arms: call, sms)" in warned.render("en")
    assert "letter" in warned.render("zh-CN") and "has no arm" not in warned.render("zh-CN")


def test_without_an_active_model_the_band_is_empty_the_segment_takes_none_and_validation_warns(
    engine: Engine,
) -> None:
    bands_book(engine)
    store_synthetic(engine, activate=False)  # stored, not active
    with engine.connect() as connection:
        facts = read_case_facts(connection, AS_OF)
    assert facts.num_rows == 9 and facts["uplift_band"].null_count == 9
    approve(engine, SURE)
    assert night(engine).segments["m1"] == 0
    document = parse_document(SURE, "sure")
    with transaction(engine) as session:
        report = service.check(session, SYSTEM, document, BANK, AS_OF)
        warned = [p for p in report.warnings if p.where == "segments[1].when.uplift_band"]
        assert len(warned) == 1 and "no uplift model is active" in warned[0].render("en")
        uplift.activate_version(session, SYSTEM, 1, NOW)
    with transaction(engine) as session:
        report = service.check(session, SYSTEM, document, BANK, AS_OF)
        assert not [p for p in report.warnings if "uplift" in p.where]


def banded_facts() -> pa.Table:
    rows = []
    bands = ["sure_thing", "persuadable", None, "do_not_disturb", "sure_thing"]
    arms = ["call", "sms", None, "sms", "call"]
    for n, (band, arm) in enumerate(zip(bands, arms, strict=True)):
        rows.append(fact(f"c{n}", uplift_band=band, uplift_arm=arm))
    return pa.Table.from_pylist(rows, FACTS_SCHEMA)


def segmented(engine: evaluation.StrategyEngine, text: str = SURE) -> dict[str, Any]:
    document = parse_document(text, "sure")
    due = evaluation.evaluate(
        engine,
        document,
        banded_facts(),
        pa.Table.from_pylist([], evaluation.STATE_SCHEMA),
        AS_OF,
        None,
    )
    return dict(zip(due["case_id"].to_pylist(), due["segment"].to_pylist(), strict=True))


def test_the_segment_reads_the_band_on_duckdb() -> None:
    duck = evaluation.DuckDBStrategyEngine()
    try:
        found, by_arm = segmented(duck), segmented(duck, BY_ARM)
    finally:
        duck.close()
    assert {case for case, segment in found.items() if segment == "m1"} == {"c0", "c4"}
    assert {case for case, segment in by_arm.items() if segment == "m1"} == {"c1", "c3"}  # best arm: SMS


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_the_segment_reads_the_band_on_spark(spark: Any) -> None:
    on_spark = evaluation.SparkStrategyEngine(session=spark)
    duck = evaluation.DuckDBStrategyEngine()
    try:
        assert segmented(on_spark) == segmented(duck)
        assert segmented(on_spark, BY_ARM) == segmented(duck, BY_ARM)
    finally:
        on_spark.close()
        duck.close()


def test_training_and_activating_need_the_strategy_permissions(engine: Engine) -> None:
    collector = Principal(user_id=1, username="c", role=Role.COLLECTOR)
    analyst = Principal(user_id=2, username="a", role=Role.STRATEGY_ANALYST)
    treated = parse_document(REMIND, "remind")
    plan = Plan((no_action(treated), treated), ("none", "remind"), 1000, 5, 1, AS_OF, bank_for(Settings()))
    with pytest.raises(PermissionDeniedError), transaction(engine) as session:
        uplift.train_simulated(session, collector, plan, rounds=10, protected=frozenset(), now=NOW)
    store_synthetic(engine, activate=False)
    with pytest.raises(PermissionDeniedError), transaction(engine) as session:
        uplift.activate_version(session, analyst, 1, NOW)  # an analyst trains; approving is another's
    with engine.connect() as connection:
        assert connection.execute(select(AuditEntry)).all() == []


def cure_a_third(engine: Engine, arms: dict[str, str]) -> None:
    """Every third of the cases (by id, so a third of each arm) closed cured on the third day."""
    with engine.begin() as connection:
        for n, case_id in enumerate(sorted(arms)):
            if n % 3 == 0:
                connection.execute(
                    update(Case)
                    .where(Case.case_id == case_id)
                    .values(status="closed", closed_on=AS_OF + timedelta(days=2), close_reason="cured")
                )


def test_a_model_from_an_experiment_s_arms(engine: Engine) -> None:
    arms = experiment_book(engine)
    cure_a_third(engine, arms)  # a third of each arm cured on the third day
    with transaction(engine) as session:
        _, experiment = service.experiment_of(session, SYSTEM, "m1-calls")
        trained = uplift.train_from_experiment(
            session, SYSTEM, experiment, arm=None, buckets=BANK.bucket_order, horizon_days=10,
            as_of=AS_OF + timedelta(days=10), rounds=10, seed=1, protected=frozenset(), now=NOW,
        )  # fmt: skip
        with pytest.raises(InvalidInputError):
            uplift.train_from_experiment(
                session, SYSTEM, experiment, arm="nobody", buckets=BANK.bucket_order, horizon_days=10,
                as_of=AS_OF + timedelta(days=10), rounds=10, seed=1, protected=frozenset(), now=NOW,
            )  # fmt: skip
    assert trained.metrics["customers"] == 30
    assert trained.metrics["threshold_basis"] == {"how": "default", "gain": 0.05}
    assert set(trained.metrics["calibration"]) == {"champion", "quiet"}  # the arms by their names
    with engine.connect() as connection:
        row = connection.execute(select(ModelVersion)).one()
    assert row.training_source.startswith("experiment m1-calls: champion against quiet")
    assert row.training_from == AS_OF and not row.is_active


THREE_ARMS = WITH_COSTS.replace(
    'arms: [{name: champion, share: "50%"}, {name: quiet, share: "50%", path: none}]',
    'arms: [{name: champion, share: "34%"}, {name: again, share: "33%", path: firm}, {name: quiet, share: "33%", path: none}]',
)


def test_an_experiment_with_two_challengers_trains_one_model_over_every_arm(engine: Engine) -> None:
    book = Book(engine)
    for n in range(90):
        book.case(f"y{n:02d}", dpd=5, bucket="M1")
    approve(engine, THREE_ARMS)
    night(engine)
    night(engine, AS_OF + timedelta(days=1))  # the champion's call (day 2)
    with engine.connect() as connection:
        arms = dict(connection.execute(select(ExperimentMember.case_id, ExperimentMember.arm)).all())
    cure_a_third(engine, arms)  # a third of the cases cured on the third day
    assert set(arms.values()) == {"champion", "again", "quiet"}
    options: dict[str, Any] = {
        "buckets": BANK.bucket_order, "horizon_days": 10, "as_of": AS_OF + timedelta(days=10), "rounds": 10,
        "seed": 1, "protected": frozenset(), "now": NOW,
    }  # fmt: skip
    with transaction(engine) as session:
        holder, experiment = service.experiment_of(session, SYSTEM, "m1-calls")
        every = uplift.train_from_experiment(session, SYSTEM, experiment, arm=None, **options)
        one = uplift.train_from_experiment(session, SYSTEM, experiment, arm="again", **options)
        with pytest.raises(InvalidInputError) as free:  # each arm priced apart: the firm path cost nothing
            uplift.train_from_experiment(
                session, SYSTEM, experiment, arm=None, costs=uplift.ContactCost(None, "250.00"),
                prices=service.document_of(holder).costs, **options,
            )  # fmt: skip
    assert "the arm again cost 0.00 CNY a customer and the control arm 0.00 CNY" in free.value.message("en")
    assert every.metrics["arms"] == {"treated": ["champion", "again"], "control": "quiet"}
    assert list(every.metrics["calibration"]) == ["champion", "again", "quiet"]
    assert set(every.metrics["qini_by_arm"]) == {"champion", "again"}
    assert every.metrics["customers"] == 90 and one.metrics["customers"] < 90
    assert one.metrics["arms"] == {"treated": ["again"], "control": "quiet"}
    with engine.connect() as connection:
        sources = connection.execute(
            select(ModelVersion.training_source).order_by(ModelVersion.version)
        ).all()
    assert sources[0][0].startswith("experiment m1-calls: champion, again against quiet")
    assert sources[1][0].startswith("experiment m1-calls: again against quiet")


def test_each_challenger_is_priced_against_the_control_on_its_own(engine: Engine) -> None:
    book = Book(engine)
    for n in range(90):
        book.case(f"y{n:02d}", dpd=5, bucket="M1")
    approve(engine, THREE_ARMS.replace("path: firm", "path: gentle"))
    night(engine)
    night(engine, AS_OF + timedelta(days=1))  # each challenger's call (day 2)
    with engine.connect() as connection:
        arms = dict(connection.execute(select(ExperimentMember.case_id, ExperimentMember.arm)).all())
    cure_a_third(engine, arms)
    with transaction(engine) as session:
        holder, experiment = service.experiment_of(session, SYSTEM, "m1-calls")
        trained = uplift.train_from_experiment(
            session, SYSTEM, experiment, arm=None, costs=uplift.ContactCost(None, "250.00"),
            prices=service.document_of(holder).costs, buckets=BANK.bucket_order, horizon_days=10,
            as_of=AS_OF + timedelta(days=10), rounds=10, seed=1, protected=frozenset(), now=NOW,
        )  # fmt: skip
    # each challenger's call within the horizon, 4.00 CNY against the quiet arm's nothing:
    # 400 / 25,000 = 0.016 for each, kept with the model and said per arm
    basis = trained.metrics["threshold_basis"]
    assert [(a["arm"], a["cost"], a["contact_cost"], a["break_even"]) for a in basis["arms"]] == [
        ("champion", "4.00", "4.00", "0.016000"),
        ("again", "4.00", "4.00", "0.016000"),
    ]
    assert trained.metrics["thresholds"]["arms"] == {"champion": 0.016, "again": 0.016}
    said = sentence(basis, "en")
    assert said is not None and said.startswith("Persuadable above each arm's own break-even gain")
    assert "champion 0.016000 (a contact costing 4.00 CNY" in said


def test_the_commands_train_and_activate_audited(command_line_database: Engine, tmp_path: Path) -> None:
    file = tmp_path / "remind.yaml"
    file.write_text(REMIND, "utf-8")
    runner = CliRunner(env={"COLUMNS": "300", "ARREARS_LANGUAGE": "en"})
    trained = runner.invoke(
        app,
        ["strategy", "uplift", "train", "--simulated", str(file), "--customers", "1000", "--horizon", "5",
         "--rounds", "10", "--start", AS_OF.isoformat(), "--sure-threshold", "0.3",
         "--contact-cost", "2.00", "--plot", str(tmp_path / "uplift.png")],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert (tmp_path / "uplift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # both arms' reliability
    assert "AUC" in trained.output
    assert "Stored uplift_contact version 1." in trained.output
    assert "Against the simulator's truth: Qini" in trained.output and "ECE" in trained.output
    said = " ".join(trained.output.split())
    assert "the break-even of a contact costing 2.00 CNY against" in said  # how the threshold was set
    activated = runner.invoke(app, ["strategy", "uplift", "activate", "--version", "1"])
    assert activated.exit_code == 0, activated.output
    missing = runner.invoke(app, ["strategy", "uplift", "activate", "--version", "7"])
    assert missing.exit_code != 0 and "no model uplift_contact version 7" in missing.output
    beside = runner.invoke(app, ["model", "activate", "--purpose", "uplift_contact", "--version", "1"])
    assert beside.exit_code != 0 and "arrears strategy uplift activate" in beside.output  # not unaudited
    shown = runner.invoke(app, ["model", "show", "--purpose", "uplift_contact", "--version", "1"])
    assert shown.exit_code != 0 and "is an uplift model" in shown.output and "Traceback" not in shown.output
    neither = runner.invoke(app, ["strategy", "uplift", "train"])
    assert neither.exit_code != 0 and "either --experiment" in neither.output
    odd = runner.invoke(
        app, ["strategy", "uplift", "train", "--simulated", str(file), "--sure-threshold", "2"]
    )
    assert odd.exit_code != 0 and "--sure-threshold are chances between 0 and 1" in odd.output
    not_png = runner.invoke(
        app, ["strategy", "uplift", "train", "--simulated", str(file), "--plot", str(tmp_path / "u.txt")]
    )
    assert not_png.exit_code != 0 and "name a .png file" in not_png.output  # refused before training
    with command_line_database.connect() as connection:
        audited = connection.execute(select(AuditEntry.action, AuditEntry.actor_name)).all()
    assert [a for a, _ in audited] == ["model.train", "model.activate"]
    assert all(name.startswith("system:") for _, name in audited)
    with command_line_database.connect() as connection:
        stored = connection.execute(select(ModelVersion.metrics, ModelVersion.is_active)).one()
    basis = stored.metrics["threshold_basis"]
    assert basis["how"] == "break_even" and basis["value_from"] == "data" and basis["currency"] == "CNY"
    assert stored.metrics["thresholds"] == {"gain": basis["gain"], "sure": 0.3} and stored.is_active
    # the break-even is 2.00 CNY over the mean a paying simulated customer brought (shown rounded)
    assert abs(Decimal(basis["break_even"]) - Decimal("2.00") / Decimal(basis["value_per_payer"])) < Decimal(
        "1e-5"
    )
    assert f"the mean of the {basis['payers']:,} who paid in the randomised data" in said


def test_the_command_counts_the_contact_s_cost_from_the_simulated_arms(
    command_line_database: Engine, tmp_path: Path
) -> None:
    file = tmp_path / "remind.yaml"
    file.write_text(REMIND, "utf-8")
    runner = CliRunner(env={"COLUMNS": "300", "ARREARS_LANGUAGE": "en"})
    trained = runner.invoke(
        app,
        ["strategy", "uplift", "train", "--simulated", str(file), "--customers", "1000", "--horizon", "5",
         "--rounds", "10", "--start", AS_OF.isoformat(), "--cost-from-arms"],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    with command_line_database.connect() as connection:
        basis = connection.execute(select(ModelVersion.metrics)).scalar_one()["threshold_basis"]
    # the control is the strategy with no step (nothing spent); the treated arm's SMS and calls
    # within five days cost something for every customer still owing
    assert basis["cost_from"] == "arms" and basis["control_cost"] == "0.00"
    assert Decimal(basis["treated_cost"]) > 0 and basis["contact_cost"] == basis["treated_cost"]
    said = " ".join(trained.output.split())
    assert (
        f"(the treated arm's {basis['treated_cost']} CNY a customer less the control arm's 0.00 CNY" in said
    )


def test_the_staff_pages_name_the_band_in_both_languages() -> None:
    action = StrategyAction(
        why={"facts": {"uplift_band": "sure_thing", "bucket": "M1"}, "segment": "m1", "uplift_gain": -0.0123}
    )
    reader = Principal(user_id=1, username="s", role=Role.SUPERVISOR)
    lines = why_lines(action, reader)
    assert lines["uplift_gain"] == -0.0123
    template = render._environment.get_template("strategy_why.html")
    lines |= {
        "path": "p",
        "day": 1,
        "score": {"score": None},
        "names": dict.fromkeys(("strategy", "segment", "path")),
    }
    shown = template.render(w=lines, **render._formats("en", "Asia/Shanghai"))
    assert "contact changes the chance of paying by -1.2 points" in shown
    chinese = template.render(w=lines, **render._formats("zh-CN", "Asia/Shanghai"))
    assert "-1.2" in chinese and "contact changes" not in chinese
    assert translate(lines["uplift_band"], "en") == "sure thing: likely to pay without contact"
    assert translate(lines["uplift_band"], "zh-CN") == "必然还款型：不联系也很可能还款"
    assert why_lines(StrategyAction(why={"facts": {"bucket": "M1"}}), reader)["uplift_band"] is None


def test_a_threshold_from_costs_on_an_experiment_without_amounts_needs_the_value_of_a_payer(
    engine: Engine,
) -> None:
    arms = experiment_book(engine)
    cure_a_third(engine, arms)  # cured on the third day, nothing paid within the horizon
    options: dict[str, Any] = {
        "arm": None, "buckets": BANK.bucket_order, "horizon_days": 10, "as_of": AS_OF + timedelta(days=10),
        "rounds": 10, "seed": 1, "protected": frozenset(), "now": NOW,
    }  # fmt: skip
    with transaction(engine) as session:
        _, experiment = service.experiment_of(session, SYSTEM, "m1-calls")
        with pytest.raises(InvalidInputError) as unpriced:
            uplift.train_from_experiment(
                session, SYSTEM, experiment, costs=uplift.ContactCost("3.00"), **options
            )
        assert "give --value-per-payer AMOUNT (CNY)" in unpriced.value.message("en")
        with pytest.raises(InvalidInputError) as both:
            uplift.train_from_experiment(
                session, SYSTEM, experiment, costs=uplift.ContactCost("3.00", "250.00"),
                thresholds=uplift.Thresholds(0.1), **options,
            )  # fmt: skip
        assert "not both" in both.value.message("en")
        trained = uplift.train_from_experiment(
            session, SYSTEM, experiment, costs=uplift.ContactCost("3.00", "250.00"), **options
        )
    # 3.00 / 250.00 = 0.012: persuadable above 1.2 points
    assert trained.metrics["threshold_basis"] == {
        "how": "break_even", "gain": 0.012, "currency": "CNY", "contact_cost": "3.00", "cost_from": "given",
        "value_per_payer": "250.00", "value_from": "given", "payers": None, "break_even": "0.012000",
    }  # fmt: skip
    assert trained.metrics["thresholds"]["gain"] == 0.012


def test_a_threshold_from_what_the_experiment_s_arms_cost(engine: Engine) -> None:
    arms = experiment_book(engine)
    options: dict[str, Any] = {
        "arm": None, "buckets": BANK.bucket_order, "horizon_days": 10, "as_of": AS_OF + timedelta(days=10),
        "rounds": 10, "seed": 1, "protected": frozenset(), "now": NOW,
    }  # fmt: skip
    cure_a_third(engine, arms)  # a third cured, so that both arms have payers and not
    with transaction(engine) as session:
        holder, experiment = service.experiment_of(session, SYSTEM, "m1-calls")
        prices = service.document_of(holder).costs
        assert prices is not None
        trained = uplift.train_from_experiment(
            session, SYSTEM, experiment, costs=uplift.ContactCost(None, "250.00"), prices=prices, **options
        )
        with pytest.raises(InvalidInputError) as unpriced:
            uplift.train_from_experiment(
                session, SYSTEM, experiment, costs=uplift.ContactCost(None, "250.00"), **options
            )
        assert "--cost-from-arms needs the strategy's cost per action" in unpriced.value.message("en")
        dollars = prices.model_copy(update={"currency": "USD"})
        with pytest.raises(InvalidInputError) as other:
            uplift.train_from_experiment(
                session,
                SYSTEM,
                experiment,
                costs=uplift.ContactCost(None, "250.00"),
                prices=dollars,
                **options,
            )
        assert "are in CNY and its strategy's prices in USD" in other.value.message("en")
    # the champion (treated: the quiet arm is left alone) had one call, 4.00 CNY, within the horizon;
    # the quiet arm nothing: C = 4.00 CNY; 400 / 25,000 = 0.016
    basis = trained.metrics["threshold_basis"]
    assert (basis["cost_from"], basis["treated_cost"], basis["control_cost"]) == ("arms", "4.00", "0.00")
    assert basis["contact_cost"] == "4.00" and basis["break_even"] == "0.016000"
    assert trained.metrics["thresholds"]["gain"] == 0.016
