"""What the simulator proves: the C/C test finds a planted effect with the power predicted, and
the uplift model ranks customers by their true gain (Qini against the truth)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.config import Settings
from arrears.scoring.uplift import features, products_of, qini, qini_of_truth
from arrears.strategy.repository import parse_document
from arrears.strategy.simulation.evidence import Evidence, power_check, prove
from arrears.strategy.simulation.pair import Plan, bank_for, no_action
from arrears.strategy.simulation.population import draw_population
from arrears.strategy.simulation.run import first_night_facts
from tests.strategy.test_simulation import REMIND

START = date(2026, 11, 21)


def test_qini_of_a_ranking_against_the_truth_by_hand() -> None:
    effect = np.array([1, 1, 0, 0])
    # cumulative gain 1, 2, 2, 2 against the random line 0.5, 1, 1.5, 2: area 2 / 4 customers,
    # over the total gain 2
    assert qini_of_truth(np.array([4.0, 3, 2, 1]), effect) == pytest.approx(0.25)
    assert qini_of_truth(np.array([1.0, 2, 3, 4]), effect) == pytest.approx(-0.25)


def test_qini_from_a_randomised_sample_by_hand() -> None:
    treated = np.array([True, False, True, False])
    outcome = np.array([1, 0, 0, 0], dtype=np.int8)
    # Q(k) = Y_t − Y_c·N_t/N_c = 1, 1, 1, 1 against 0.25, 0.5, 0.75, 1: area 1.5 / 4, total 1
    assert qini(np.array([4.0, 3, 2, 1]), treated, outcome) == pytest.approx(0.375)


@pytest.fixture(scope="module")
def found() -> Evidence:
    treated = parse_document(REMIND, "remind")
    plan = Plan((no_action(treated), treated), ("none", "remind"), 12_000, 20, 4, START, bank_for(Settings()))
    return prove(plan, per_arm=150, protected=frozenset())


def test_the_experiment_finds_the_planted_effect_as_often_as_predicted(found: Evidence) -> None:
    power = found.power
    assert power.treatment_rate > power.control_rate  # the planted effect: reminders help
    assert 0.15 < power.predicted < 0.95  # a power worth checking, neither certain nor hopeless
    assert abs(power.observed - power.predicted) <= power.within * 3 / 2  # three standard errors


def test_the_uplift_model_ranks_customers_by_their_true_gain(found: Evidence) -> None:
    model = found.model
    assert model.true_effect > 0
    assert 0 < model.qini_truth < model.qini_truth_best
    assert model.top_decile_effect > model.true_effect  # the tenth it picks gain more than the rest


def test_a_power_check_with_no_effect_rejects_about_five_in_a_hundred() -> None:
    rng = np.random.default_rng(3)
    paid = rng.random(20_000) < 0.3
    check = power_check(paid, paid, per_arm=200, replications=2000, seed=5)
    assert abs(float(check.observed) - 0.05) < 0.02


def test_the_model_never_reads_a_protected_attribute() -> None:
    bank = bank_for(Settings())
    people = draw_population(300, 1, START)
    facts = first_night_facts(parse_document(REMIND, "r"), people, START, bank)
    x, names = features(facts, START, products_of(facts), frozenset({"age"}))
    assert "age" not in names and x.shape == (300, len(names))
    assert "age" in features(facts, START, products_of(facts))[1]


def test_the_command_prints_the_three_findings(tmp_path: Path) -> None:
    file = tmp_path / "remind.yaml"
    file.write_text(REMIND, "utf-8")
    result = CliRunner(env={"COLUMNS": "300", "ARREARS_LANGUAGE": "en"}).invoke(
        app,
        [
            "sim",
            "uplift",
            "--treatment",
            str(file),
            "--customers",
            "3000",
            "--days",
            "10",
            "--start",
            "2026-11-21",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Paid up within 10 days:" in result.output and "under remind-none" in result.output
    assert "Power check: 1000 experiments of 150 customers an arm" in result.output
    assert "Uplift model, trained on" in result.output and "against the truth" in result.output
