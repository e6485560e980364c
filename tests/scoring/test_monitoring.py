import math

import numpy as np
import pytest

from arrears.scoring.monitoring import (
    Profile,
    Stability,
    drift_report,
    noise_floor,
    outcome_by_band,
    psi,
    stability,
)


def test_psi_matches_a_hand_computed_case() -> None:
    # expected 25% in each of 4 bins, actual 10/20/30/40%:
    # (0.10-0.25)·ln(0.10/0.25) = 0.137444, (0.20-0.25)·ln(0.8) = 0.011157,
    # (0.30-0.25)·ln(1.2) = 0.009116, (0.40-0.25)·ln(1.6) = 0.070500; total 0.228217
    value = psi(np.array([0.25, 0.25, 0.25, 0.25]), np.array([0.10, 0.20, 0.30, 0.40]))
    assert value == pytest.approx(0.228217, abs=1e-6)
    assert stability(value) is Stability.WARN


def test_identical_distributions_are_stable_and_an_empty_bin_stays_finite() -> None:
    assert psi(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    shifted = psi(np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5]))
    assert math.isfinite(shifted)
    assert stability(shifted) is Stability.ALERT
    assert stability(0.05) is Stability.STABLE
    assert stability(0.15, warn=0.2, alert=0.3) is Stability.STABLE


def test_profile_bins_a_batch_on_the_training_deciles() -> None:
    training = np.arange(1000, dtype=float)
    profile = Profile.fit(training, categorical=False)
    assert len(profile.shares) == 11  # ten deciles and the missing bin
    assert profile.shares[:10] == pytest.approx([0.1] * 10)
    assert psi(np.array(profile.shares), profile.distribution(training)) == pytest.approx(0.0)
    batch = np.concatenate([np.arange(500, dtype=float), [np.nan] * 500])
    shares = profile.distribution(batch)
    assert shares[:5] == pytest.approx([0.1] * 5)  # 100 of 1000 rows in each lower decile
    assert shares[5:10] == pytest.approx([0.0] * 5)
    assert shares[-1] == pytest.approx(0.5)


def test_unseen_categories_count_with_missing_values() -> None:
    profile = Profile.fit(np.array([0.0, 0.0, 1.0, 1.0]), categorical=True)
    assert profile.shares == pytest.approx((0.5, 0.5, 0.0))
    assert profile.distribution(np.array([0.0, 2.0, np.nan, 1.0])) == pytest.approx([0.25, 0.25, 0.5])


def test_drift_report_flags_the_moved_variable_first() -> None:
    rng = np.random.default_rng(0)
    profile = {
        "score": Profile.fit(rng.normal(600, 40, 5000), False),
        "utilisation": Profile.fit(rng.random(5000), False),
    }
    report = drift_report(profile, {"score": rng.normal(640, 40, 5000), "utilisation": rng.random(5000)})
    assert [d.variable for d in report] == ["score", "utilisation"]
    assert report[0].stability is Stability.ALERT
    assert report[1].stability is Stability.STABLE


def test_realised_outcome_against_predicted_by_band() -> None:
    bands = np.array(["A", "A", "B", "B", "B", "C"])
    predicted = np.array([0.9, 0.8, 0.6, 0.5, 0.4, 0.1])
    paid = np.array([1, 1, 1, 0, 0, 0], dtype=np.int8)
    rows = outcome_by_band(bands, predicted, paid, ["A", "B", "C", "D"])
    assert [(r.band, r.accounts) for r in rows] == [("A", 2), ("B", 3), ("C", 1)]
    assert rows[0].predicted == pytest.approx(0.85)
    assert rows[1].realised == pytest.approx(1 / 3)


def test_noise_floor_is_the_chi_square_quantile_over_the_effective_sample() -> None:
    # chi-square with 1 degree of freedom: 99th percentile 6.634897; 1/100 + 1/1000 = 0.011
    assert noise_floor(2, 100, 1000) == pytest.approx(6.634897 * 0.011, rel=1e-6)
    assert noise_floor(2, 100, 0) == pytest.approx(6.634897 * 0.01, rel=1e-6)  # training size unknown
    assert noise_floor(11, 1_000_000, 1_000_000) < 0.0001


def test_a_small_batch_from_the_training_distribution_is_not_flagged_but_a_real_shift_is() -> None:
    rng = np.random.default_rng(6)
    profile = {"x": Profile.fit(rng.normal(0, 1, 759), False)}
    same = drift_report(profile, {"x": rng.normal(0, 1, 96)})[0]
    assert 0.1 < same.psi <= same.noise  # over the warning threshold by chance alone
    assert same.stability is Stability.STABLE
    moved = drift_report(profile, {"x": rng.normal(1, 1, 96)})[0]
    assert moved.psi > moved.noise and moved.stability is Stability.ALERT


def test_a_batch_with_fewer_than_five_rows_per_bin_is_not_judged() -> None:
    profile = {"x": Profile.fit(np.arange(1000, dtype=float), False)}  # 11 bins
    assert drift_report(profile, {"x": np.arange(54, dtype=float)}) == []
    assert len(drift_report(profile, {"x": np.arange(55, dtype=float)})) == 1


def test_profile_keeps_its_training_size_and_reads_profiles_stored_without_it() -> None:
    profile = Profile.fit(np.arange(200, dtype=float), False)
    assert profile.rows == 200
    assert Profile.from_dict(profile.to_dict()) == profile
    older = {k: v for k, v in profile.to_dict().items() if k != "rows"}
    assert Profile.from_dict(older).rows == 0
