"""Expected calibration error: a hand-worked example, calibrated and miscalibrated predictions."""

from pathlib import Path

import numpy as np
import pytest

from arrears.scoring.calibration import PlattCalibrator
from arrears.scoring.evaluation import cross_validate
from arrears.scoring.metrics import (
    Binning,
    ece_noise_floor,
    equal_width_table,
    expected_calibration_error,
    measure,
)
from arrears.scoring.plots import reliability_diagram
from arrears.scoring.report import held_out_line, metrics_of_record, metrics_record
from tests.scoring.synthetic import portfolio, quick_boosting

PROBABILITY = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
OUTCOME = np.array([0, 0, 1, 1, 0, 1, 1, 1], dtype=np.int8)


def test_ece_of_a_hand_worked_example() -> None:
    # 2 equal-mass bins: {.1,.2,.3,.4} predicts .25, paid 2/4 = .5 → gap .25;
    # {.6,.7,.8,.9} predicts .75, paid 3/4 → gap 0. ECE = 4/8·.25 + 4/8·0 = .125
    assert expected_calibration_error(PROBABILITY, OUTCOME, bins=2) == pytest.approx(0.125)
    # 3 equal-mass bins of 3, 3, 2: {.1,.2,.3} .2 vs 1/3; {.4,.6,.7} .5667 vs 2/3; {.8,.9} .85 vs 1
    # ECE = (3·(1/3 − .2) + 3·(2/3 − .5667) + 2·.15) / 8 = (.4 + .3 + .3) / 8 = .125
    assert expected_calibration_error(PROBABILITY, OUTCOME, bins=3) == pytest.approx(0.125)
    # 4 equal-width bins [0,.25) [.25,.5) [.5,.75) [.75,1]: gaps .15, .65, .15, .15, two accounts
    # each: ECE = 2·(.15 + .65 + .15 + .15) / 8 = .275
    width = expected_calibration_error(PROBABILITY, OUTCOME, bins=4, binning=Binning.EQUAL_WIDTH)
    assert width == pytest.approx(0.275)


def test_equal_width_bins_put_a_probability_of_one_in_the_last_bin_and_skip_empty_bins() -> None:
    rows = equal_width_table(np.array([0.05, 1.0, 0.95]), np.array([0, 1, 1], dtype=np.int8), bins=10)
    assert [(r.group, r.accounts) for r in rows] == [(1, 1), (10, 2)]


def _calibrated(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    probability = rng.uniform(0.05, 0.95, rows)
    return probability, (rng.random(rows) < probability).astype(np.int8)


def test_calibrated_predictions_score_near_the_noise_floor_and_miscalibrated_ones_far_above() -> None:
    probability, outcome = _calibrated(20_000, seed=3)
    honest = measure(probability, outcome)
    assert honest.ece < 0.02
    assert honest.ece < 3 * honest.ece_floor

    logit = np.log(probability / (1 - probability))
    overconfident = 1 / (1 + np.exp(-3 * logit))  # the same ranking, stretched towards 0 and 1
    stretched = measure(overconfident, outcome)
    assert stretched.auc == pytest.approx(honest.auc)
    assert stretched.ece > 0.1
    assert stretched.brier > honest.brier

    # a Platt calibrator fitted on the first half repairs the second half's probabilities
    half = outcome.size // 2
    platt = PlattCalibrator.fit(logit[:half] * 3, outcome[:half])
    repaired = measure(platt.probability(logit[half:] * 3), outcome[half:])
    assert repaired.ece < 0.02


def test_the_noise_floor_shrinks_with_the_number_of_accounts() -> None:
    small, _ = _calibrated(1_000, seed=1)
    large, _ = _calibrated(100_000, seed=1)
    # per bin of 100 accounts the share that paid wanders by about sqrt(p(1 − p)/100) ≈ 0.04
    assert ece_noise_floor(small) > 0.02
    assert ece_noise_floor(large) < 0.005


def test_held_out_figures_carry_the_ece_into_the_registry_record(tmp_path: Path) -> None:
    table, outcome = portfolio(1500, seed=2)
    evaluation = cross_validate(quick_boosting(30), table, outcome, folds=3)
    record = metrics_record(evaluation)
    overall = record["overall"]
    assert overall["ece"] == pytest.approx(evaluation.overall.ece)
    assert 0 < overall["ece"] < 0.1
    assert overall["ece_bins"] == {"count": 10, "binning": "equal-mass"}
    assert len(overall["reliability"]) == 10
    assert sum(row["accounts"] for row in overall["reliability"]) == 1500
    assert {"ece_equal_width", "ece_floor", "brier"} <= overall.keys()
    line = held_out_line(record)
    assert f"ECE {overall['ece']:.4f}" in line and "3-fold" in line
    assert held_out_line({}) == ""
    assert metrics_of_record(overall) == evaluation.overall  # what a stored model's diagram draws

    plot = reliability_diagram({"boosting": evaluation.overall}, "test", tmp_path / "reliability.png")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
