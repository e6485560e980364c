"""The experiment statistics against published worked examples, hand computations and simulations
whose bounds would fail if the method were wrong."""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.errors import InvalidInputError
from arrears.i18n import translate
from arrears.strategy.statistics import (
    Decision,
    Look,
    Reason,
    bootstrap_mean_difference,
    compare_arms,
    newcombe_interval,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    sequential_test,
    wilson_interval,
)

D = Decimal
FOUR_PLACES = 0.00005
"""Published figures have four decimal places: agreement to half a unit of the last place."""
ROOT = Path(__file__).resolve().parents[2]


# -- Wilson and Newcombe: the published examples ------------------------------------------------

# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Statistics in Medicine 1998;17:857-872, Table I, method 3 (score interval without
# continuity correction), 95 %.
NEWCOMBE_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]

# Newcombe RG. Interval estimation for the difference between independent proportions: comparison
# of eleven methods. Statistics in Medicine 1998;17:873-890, Table II, method 10 (hybrid score
# interval, no continuity correction), 95 %. Rows (a) to (h): m/n - k/l -> (lower, upper).
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("successes", "trials", "lower", "upper"), NEWCOMBE_TABLE_I)
def test_wilson_interval_reproduces_newcombe_table_i(
    successes: int, trials: int, lower: float, upper: float
) -> None:
    interval = wilson_interval(successes, trials)
    assert interval.rate == (D(successes) / D(trials)).quantize(D("0.000001"))
    assert abs(float(interval.lower) - lower) < FOUR_PLACES
    assert abs(float(interval.upper) - upper) < FOUR_PLACES


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "lower", "upper"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_reproduces_newcombe_table_ii(
    x1: int, n1: int, x2: int, n2: int, lower: float, upper: float
) -> None:
    interval = newcombe_interval(x1, n1, x2, n2)
    assert abs(float(interval.difference) - (x1 / n1 - x2 / n2)) < 1e-6
    assert abs(float(interval.lower) - lower) < FOUR_PLACES
    assert abs(float(interval.upper) - upper) < FOUR_PLACES


@given(data=st.data(), trials_1=st.integers(1, 5_000), trials_2=st.integers(1, 5_000))
def test_intervals_hold_their_estimate_and_stay_in_range(
    data: st.DataObject, trials_1: int, trials_2: int
) -> None:
    x1 = data.draw(st.integers(0, trials_1))
    x2 = data.draw(st.integers(0, trials_2))
    one = wilson_interval(x1, trials_1)
    assert 0 <= one.lower <= one.rate <= one.upper <= 1
    two = newcombe_interval(x1, trials_1, x2, trials_2, D("0.9"))
    assert -1 <= two.lower <= two.difference <= two.upper <= 1
    wider = newcombe_interval(x1, trials_1, x2, trials_2, D("0.99"))
    assert wider.lower <= two.lower and two.upper <= wider.upper


def test_newcombe_interval_covers_the_true_difference_at_its_level() -> None:
    """2,000 simulated experiments at 20 % vs 23 %, 400 accounts each: the 95 % interval must
    cover the truth between 93.6 % and 96.4 % of the time (3.5 standard errors either side). A
    wrong combination (say, one arm's error left out) covers about 83 % and fails."""
    rng = np.random.default_rng(11)
    control = rng.binomial(400, 0.20, size=2_000)
    challenger = rng.binomial(400, 0.23, size=2_000)
    covered = sum(
        interval.lower <= D("0.03") <= interval.upper
        for interval in (
            newcombe_interval(int(b), 400, int(a), 400) for a, b in zip(control, challenger, strict=True)
        )
    )
    assert 0.936 < covered / 2_000 < 0.964


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson_interval(5, 0), "trials"),
        (lambda: wilson_interval(6, 5), "cannot exceed"),
        (lambda: wilson_interval(-1, 5), "successes"),
        (lambda: wilson_interval(1, 5, D("1")), "confidence"),
        (lambda: wilson_interval(1, 5, 0.95), "confidence"),  # type: ignore[arg-type]
        (lambda: newcombe_interval(1, 2, True, 3), "successes_2"),
    ],
)
def test_bad_counts_and_levels_are_refused(call: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call()  # type: ignore[operator]


# -- the bootstrap of amounts --------------------------------------------------------------------


def skewed_amounts(rng: np.random.Generator, accounts: int, mean_payment: float) -> list[int]:
    """Amounts collected per account in fen: 70 % pay nothing, the others a lognormal amount."""
    pays = rng.random(accounts) < 0.3
    return (pays * rng.lognormal(math.log(mean_payment), 1.0, accounts)).astype(np.int64).tolist()


def test_bootstrap_gives_whole_minor_units_reproducibly() -> None:
    rng = np.random.default_rng(5)
    challenger, control = skewed_amounts(rng, 3_000, 52_000), skewed_amounts(rng, 3_000, 45_000)
    result = bootstrap_mean_difference(challenger, control)
    exact = Fraction(sum(challenger), len(challenger)) - Fraction(sum(control), len(control))
    assert result.difference == round(exact)
    assert result.challenger_mean == round(Fraction(sum(challenger), len(challenger)))
    assert all(type(value) is int for value in (result.difference, result.lower, result.upper))
    assert result.lower < result.difference < result.upper
    assert bootstrap_mean_difference(challenger, control) == result
    assert bootstrap_mean_difference(challenger, control, seed=1) != result
    # at 3,000 accounts an arm the mean is near normal: BCa agrees with the Welch interval
    spread = 1.959964 * math.sqrt(np.var(challenger, ddof=1) / 3_000 + np.var(control, ddof=1) / 3_000)
    assert abs(result.lower - (float(exact) - spread)) < 0.1 * spread
    assert abs(result.upper - (float(exact) + spread)) < 0.1 * spread


def test_bootstrap_interval_is_skewed_like_the_amounts() -> None:
    """Small arms of right-skewed amounts: the interval reaches further above the estimate than
    below (the Welch interval would be symmetric), the reason to use BCa here."""
    rng = np.random.default_rng(8)
    challenger, control = skewed_amounts(rng, 150, 50_000), [0] * 150
    result = bootstrap_mean_difference(challenger, control, resamples=4_999)
    assert result.upper - result.difference > 1.1 * (result.difference - result.lower)


def test_bootstrap_of_constant_amounts_is_the_difference_itself() -> None:
    result = bootstrap_mean_difference([500, 500, 500], [300, 300])
    assert (result.lower, result.difference, result.upper) == (200, 200, 200)


def test_bootstrap_refuses_money_that_is_not_whole_minor_units() -> None:
    with pytest.raises(InvalidInputError, match="minor units"):
        bootstrap_mean_difference([1.5, 2.5], [1, 2])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="two accounts"):
        bootstrap_mean_difference([1], [1, 2])


def test_importing_the_statistics_does_not_need_scipy() -> None:
    code = "import sys, arrears.strategy.statistics; assert 'scipy' not in sys.modules, 'scipy imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- the sequential test (mSPRT) -------------------------------------------------------------------


def test_msprt_statistic_matches_the_hand_computation() -> None:
    """Control 40/100, challenger 50/100, tau = 0.07 (tau² = 0.0049), alpha = 0.05.

    With d the observed difference and V its variance, mixing the normal likelihood ratio of
    theta against 0 over theta ~ N(0, tau²):

        Λ = ∫ φ((d - θ)/√V) dN(0, τ²)(θ) / φ(d/√V) = √(V/(V+τ²)) · exp(τ² d² / (2V(V+τ²)))

    (the numerator is the N(0, V + τ²) density at d). Here
        d = 0.5 - 0.4 = 0.1, V = 0.5·0.5/100 + 0.4·0.6/100 = 0.0025 + 0.0024 = 0.0049 = τ²,
        ln Λ = ½·ln(1/2) + 0.0049·0.01 / (2·0.0049·0.0098) = -0.346574 + 0.510204 = 0.163630,
        p = 1/Λ = exp(-0.163630) = 0.849056.
    The interval is {θ0 : ln Λ(θ0) < ln 20}: |d - θ0|² < 2V(V+τ²)/τ² · (ln 20 + ½·ln 2)
        = 0.0196 · (2.995732 + 0.346574) = 0.065509, so d ± 0.255948 = (-0.155948, 0.355948).
    """
    (result,) = sequential_test([Look(40, 100, 50, 100)], tau=D("0.07"))
    assert result.difference == D("0.1")
    assert abs(result.log_likelihood_ratio - D("0.163630")) <= D("0.000001")
    assert abs(result.p_value - D("0.849056")) <= D("0.000001")
    assert abs(result.lower - D("-0.155948")) <= D("0.000001")
    assert abs(result.upper - D("0.355948")) <= D("0.000001")


def test_msprt_p_value_never_rises_and_the_interval_never_widens() -> None:
    looks = [Look(40, 100, 50, 100), Look(80, 200, 84, 200), Look(120, 300, 121, 300)]
    results = sequential_test(looks, tau=D("0.07"))
    alone = sequential_test(looks[1:2], tau=D("0.07"))[0]
    assert alone.p_value > results[0].p_value  # the second look alone is weaker evidence …
    assert results[1].p_value == results[0].p_value  # … so the running minimum keeps the first
    for earlier, later in itertools.pairwise(results):
        assert later.p_value <= earlier.p_value
        assert earlier.lower <= later.lower and later.upper <= earlier.upper


def simulate_looks(
    rng: np.random.Generator, experiments: int, days: int, per_day: int, control: float, challenger: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative successes of each arm per experiment and day, and the cumulative accounts."""
    control_successes = rng.binomial(per_day, control, size=(experiments, days)).cumsum(axis=1)
    challenger_successes = rng.binomial(per_day, challenger, size=(experiments, days)).cumsum(axis=1)
    return control_successes, challenger_successes, per_day * np.arange(1, days + 1)


def daily_results(control: np.ndarray, challenger: np.ndarray, trials: np.ndarray, tau: Decimal) -> list:
    return [
        sequential_test(
            [
                Look(int(c), int(n), int(t), int(n))
                for c, t, n in zip(control[run], challenger[run], trials, strict=True)
            ],
            tau=tau,
        )
        for run in range(len(control))
    ]


def test_daily_peeking_keeps_the_msprt_within_alpha_but_not_the_z_test() -> None:
    """1,000 A/A experiments (both arms cure 20 %), 200 accounts per arm a day, read every day
    for 60 days. The mSPRT's rejections at any look must stay at most alpha plus 2.33 standard
    errors (0.066); naive z-tests at 5 % on each look reject far more often (theory: ~30 % for 60
    looks), shown as the contrast, while the z-test read once, at day 60, stays near 5 %."""
    rng = np.random.default_rng(2017)
    experiments, days = 1_000, 60
    control, challenger, trials = simulate_looks(rng, experiments, days, 200, 0.20, 0.20)
    results = daily_results(control, challenger, trials, tau=D("0.02"))
    msprt_rate = sum(result[-1].p_value < D("0.05") for result in results) / experiments
    bound = 0.05 + 2.33 * math.sqrt(0.05 * 0.95 / experiments)
    assert msprt_rate <= bound

    pooled = (control + challenger) / (2 * trials)
    z = (challenger - control) / trials / np.sqrt(pooled * (1 - pooled) * 2 / trials)
    naive_rate = float((np.abs(z) > 1.959964).any(axis=1).mean())
    once_rate = float((np.abs(z[:, -1]) > 1.959964).mean())
    assert naive_rate > 0.05 + 6 * math.sqrt(0.05 * 0.95 / experiments)  # > 0.091: inflated
    assert abs(once_rate - 0.05) < 3.5 * math.sqrt(0.05 * 0.95 / experiments)


def test_msprt_finds_a_planted_uplift_and_its_interval_covers_it() -> None:
    """300 experiments where the challenger cures 25 % against 20 %, 300 accounts per arm a day:
    nearly every one is stopped for the challenger within 60 days, and the always-valid interval
    holds the true +5 points at every look in at least 95 % - 3 standard errors of them."""
    rng = np.random.default_rng(1998)
    control, challenger, trials = simulate_looks(rng, 300, 60, 300, 0.20, 0.25)
    results = daily_results(control, challenger, trials, tau=D("0.05"))
    found = [result[-1].p_value < D("0.05") and result[-1].difference > 0 for result in results]
    assert sum(found) / len(found) >= 0.95
    covered = [all(look.lower <= D("0.05") <= look.upper for look in result) for result in results]
    assert sum(covered) / len(covered) >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / len(covered))


def test_msprt_needs_about_twice_the_fixed_horizon_accounts_for_the_same_power() -> None:
    """The planning advice of docs/strategy.md: 20 % against 23 %, looks every 150
    accounts per arm. At the fixed-horizon plan for 80 % power (2,943 per arm) the mSPRT has found
    the uplift in about half of 200 runs; at twice the plan in at least 80 %."""
    plan = sample_size_proportions(D("0.20"), D("0.23"))
    rng = np.random.default_rng(42)
    days = 2 * plan.control // 150
    control, challenger, trials = simulate_looks(rng, 200, days, 150, 0.20, 0.23)
    results = daily_results(control, challenger, trials, tau=plan.minimum_effect)
    at_plan = [result[plan.control // 150 - 1].p_value < D("0.05") for result in results]
    at_twice = [result[-1].p_value < D("0.05") for result in results]
    assert 0.3 < sum(at_plan) / 200 < 0.7
    assert sum(at_twice) / 200 >= 0.8


def test_a_look_before_both_arms_have_accounts_carries_no_evidence() -> None:
    first, second = sequential_test([Look(0, 0, 3, 10), Look(100, 500, 160, 500)], tau=D("0.05"))
    assert (first.p_value, first.lower, first.upper) == (D(1), D(-1), D(1))
    assert second.p_value < D("0.05")


def test_looks_must_be_cumulative() -> None:
    with pytest.raises(InvalidInputError, match="Look 2"):
        sequential_test([Look(10, 100, 12, 100), Look(11, 90, 20, 200)], tau=D("0.05"))
    with pytest.raises(InvalidInputError, match="tau"):
        sequential_test([Look(10, 100, 12, 100)], tau=D(0))


# -- power and sample size -----------------------------------------------------------------------


def test_sample_size_for_two_rates_matches_r_power_prop_test() -> None:
    """R documentation of stats::power.prop.test, examples:
    power.prop.test(p1 = .50, p2 = .75, power = .90)  # => n = 76.7
    power.prop.test(n = 50, p1 = .50, p2 = .75)       # => power = 0.740"""
    plan = sample_size_proportions(D("0.50"), D("0.75"), power=D("0.90"))
    assert abs(plan.control_exact - D("76.7")) < D("0.05")
    assert plan.control == plan.challenger == 77
    assert abs(power_proportions(D("0.50"), D("0.75"), 50, 50) - D("0.740")) < D("0.0005")


def test_sample_size_for_two_means_matches_r_power_t_test() -> None:
    """R documentation of stats::power.t.test: power.t.test(power = .90, delta = 1) gives
    n = 22.02110 per group. The normal approximation gives 21.01; Guenther's (1981) correction
    z²/4 brings it to 21.98, and both round up to 22 accounts."""
    plan = sample_size_means(difference=1, standard_deviation=1, power=D("0.90"))
    assert abs(plan.control_exact - D("22.02")) < D("0.1")
    assert plan.control == 22
    plain = sample_size_means(
        difference=1, standard_deviation=1, power=D("0.90"), small_sample_correction=False
    )
    assert abs(plain.control_exact - D("21.02")) < D("0.01")


def test_unequal_allocation_reaches_the_planned_power() -> None:
    """Three challenger accounts per control account: the sizes found give the planned power by
    the power formula, and a simulation of 4,000 z-tests at those sizes rejects about 80 % of
    the time (within 3.5 standard errors)."""
    plan = sample_size_proportions(D("0.20"), D("0.23"), power=D("0.80"), ratio=3)
    assert abs(plan.challenger_exact - 3 * plan.control_exact) < D("0.05")
    assert plan.control < sample_size_proportions(D("0.20"), D("0.23")).control < plan.challenger
    assert abs(power_proportions(D("0.20"), D("0.23"), plan.control, plan.challenger) - D("0.80")) < D(
        "0.002"
    )
    rng = np.random.default_rng(3)
    control = rng.binomial(plan.control, 0.20, size=4_000) / plan.control
    challenger = rng.binomial(plan.challenger, 0.23, size=4_000) / plan.challenger
    pooled = (control * plan.control + challenger * plan.challenger) / (plan.control + plan.challenger)
    z = (challenger - control) / np.sqrt(pooled * (1 - pooled) * (1 / plan.control + 1 / plan.challenger))
    assert abs(float((z > 1.959964).mean()) - 0.80) < 3.5 * math.sqrt(0.8 * 0.2 / 4_000)


def test_power_of_two_means_inverts_the_sample_size() -> None:
    plan = sample_size_means(
        difference=2_000, standard_deviation=30_000, ratio=2, small_sample_correction=False
    )
    assert abs(power_means(2_000, 30_000, plan.control, plan.challenger) - D("0.80")) < D("0.001")


def test_the_table_in_the_docs_is_what_the_calculator_says() -> None:
    """docs/strategy.md shows accounts per arm for a 20 % base cure rate."""
    text = (ROOT / "docs" / "strategy.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| 20 % \| \+(\d) points? \((\d+) %\) \| ([\d,]+) \| ([\d,]+) \|$", text, re.MULTILINE
    )
    assert len(rows) == 3
    for points, rate, per_arm, per_arm_90 in rows:
        assert int(rate) == 20 + int(points)
        target = D(rate) / 100
        assert sample_size_proportions(D("0.20"), target).control == int(per_arm.replace(",", ""))
        assert sample_size_proportions(D("0.20"), target, power=D("0.90")).control == int(
            per_arm_90.replace(",", "")
        )


def test_sizes_need_two_different_rates_and_levels_inside_zero_and_one() -> None:
    with pytest.raises(InvalidInputError, match="differ"):
        sample_size_proportions(D("0.2"), D("0.2"))
    with pytest.raises(InvalidInputError, match="power"):
        sample_size_proportions(D("0.2"), D("0.3"), power=D("1.2"))
    with pytest.raises(InvalidInputError, match="difference"):
        sample_size_means(difference=0, standard_deviation=10)


# -- one arm against the control -----------------------------------------------------------------

PLAN = sample_size_proportions(D("0.20"), D("0.23"))  # 2,943 per arm at 80 %


def test_a_clearly_better_challenger_is_called_better() -> None:
    comparison = compare_arms([Look(400, 2_000, 560, 2_000)], PLAN)
    assert comparison.decision is Decision.CHALLENGER_BETTER
    assert comparison.reason is Reason.SEQUENTIAL_TEST_REJECTED
    assert comparison.control.rate == D("0.2") and comparison.challenger.rate == D("0.28")
    assert comparison.difference.difference == D("0.08")
    assert comparison.difference.lower > 0 and comparison.sequential.lower > 0
    # for a rate where lower is better (complaints) the same numbers say worse
    assert (
        compare_arms([Look(400, 2_000, 560, 2_000)], PLAN, higher_is_better=False).decision
        is Decision.CHALLENGER_WORSE
    )


def test_a_worse_challenger_is_called_worse() -> None:
    assert compare_arms([Look(560, 2_000, 400, 2_000)], PLAN).decision is Decision.CHALLENGER_WORSE


def test_early_days_say_keep_running() -> None:
    comparison = compare_arms([Look(20, 100, 24, 100)], PLAN)
    assert (comparison.decision, comparison.reason) == (Decision.KEEP_RUNNING, Reason.COLLECTING)


def test_no_difference_only_when_every_effect_that_matters_is_ruled_out() -> None:
    # the plan's accounts are reached, but a 3-point effect is still inside the interval
    reached = compare_arms([Look(600, 3_000, 610, 3_000)], PLAN)
    assert (reached.decision, reached.reason) == (Decision.KEEP_RUNNING, Reason.PLANNED_SIZE_REACHED)
    assert reached.sequential.upper > PLAN.minimum_effect
    ruled_out = compare_arms([Look(20_000, 100_000, 20_050, 100_000)], PLAN)
    assert (ruled_out.decision, ruled_out.reason) == (Decision.NO_DIFFERENCE, Reason.EFFECT_RULED_OUT)
    assert (
        -PLAN.minimum_effect < ruled_out.sequential.lower < ruled_out.sequential.upper < PLAN.minimum_effect
    )


def test_decision_hints_are_translated() -> None:
    for decision in Decision:
        assert translate(decision.label, "zh-CN") != decision.label
        assert translate(decision.label, "en") == decision.label
