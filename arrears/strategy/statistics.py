"""The statistics of champion/challenger experiments, in the forms a risk committee accepts.

* :func:`wilson_interval`: Wilson's score interval for one arm's rate (cure rate, PTP-kept rate).
* :func:`newcombe_interval`: Newcombe's hybrid score interval for the difference of two
  independent rates (Newcombe 1998, Statistics in Medicine 17:873–890, method 10).
* :func:`bootstrap_mean_difference`: a BCa bootstrap interval for the difference of the mean
  amount collected per account (net of cost), in integer minor units.
* :func:`paired_mean_difference`: the interval for the mean of paired differences (the same
  customers under two strategies in the simulator, with common random numbers).
* :func:`sequential_test`: the mixture sequential probability ratio test (mSPRT) of Johari,
  Koomen, Pekelis & Walsh for the difference of two rates: an always-valid p-value and
  confidence interval at every look, so the results may be read every day.
* :func:`sample_size_proportions`, :func:`sample_size_means` and the matching power functions.
* :func:`compare_arms`: one challenger against the control, with a decision hint.

Every function takes plain numbers (counts and minor units as ints, rates and levels as
Decimal) and returns a frozen dataclass. The arithmetic runs in binary floating point; results
leave as Decimal rates (six places) or int minor units through the named roundings below, the
bounds of an interval rounded outwards and p-values upwards, so a rounded figure never claims
more than the exact one. docs/strategy.md §5 gives the formulas and why they hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_

RATE_PLACES = Decimal("0.000001")
"""Rates, differences of rates and p-values leave with six decimal places."""
SIZE_PLACES = Decimal("0.01")
"""Unrounded sample sizes leave with two decimal places."""
BOOTSTRAP_SEED = 20_170_813
"""The bootstrap's default seed: the same data give the same interval each time they are shown."""
BOOTSTRAP_RESAMPLES = 9_999
_BOOTSTRAP_CELLS = 1_000_000
"""Resampled values the bootstrap holds in memory at once (8 MB of float64): larger batches only
cost memory, not time."""
_NORMAL = NormalDist()


# -- the named roundings ------------------------------------------------------------------------


def rate_nearest(value: float | Fraction) -> Decimal:
    """A point estimate (a rate or a difference of rates): six places, half to even."""
    return _decimal(value).quantize(RATE_PLACES, ROUND_HALF_EVEN)


def rate_down(value: float) -> Decimal:
    """The lower bound of an interval: six places, towards minus infinity."""
    return _decimal(value).quantize(RATE_PLACES, ROUND_FLOOR)


def rate_up(value: float) -> Decimal:
    """The upper bound of an interval or a p-value: six places, towards plus infinity."""
    return _decimal(value).quantize(RATE_PLACES, ROUND_CEILING)


def minor_nearest(value: Fraction) -> int:
    """A mean or a difference of means in minor units: to the nearest unit, half to even."""
    return round(value)


def minor_down(value: float) -> int:
    """The lower bound of an interval of amounts, in minor units: towards minus infinity."""
    return math.floor(value)


def minor_up(value: float) -> int:
    """The upper bound of an interval of amounts, in minor units: towards plus infinity."""
    return math.ceil(value)


def size_up(value: float) -> Decimal:
    """An unrounded sample size: two places, upwards."""
    return _decimal(value).quantize(SIZE_PLACES, ROUND_CEILING)


# -- rates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateInterval:
    """A rate ``successes / trials`` with its confidence interval."""

    successes: int
    trials: int
    rate: Decimal
    lower: Decimal
    upper: Decimal
    confidence: Decimal


@dataclass(frozen=True)
class DifferenceInterval:
    """A difference of two rates (first minus second) with its confidence interval."""

    difference: Decimal
    lower: Decimal
    upper: Decimal
    confidence: Decimal


def wilson_interval(successes: int, trials: int, confidence: Decimal = Decimal("0.95")) -> RateInterval:
    """Wilson's score interval (1927) for a binomial rate, without continuity correction.

    It is the set of rates ``p`` that the score test does not reject: ``|p̂ - p| <= z·√(p(1-p)/n)``,
    a quadratic in ``p`` whose roots are::

        (p̂ + z²/2n ± z·√(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)

    Unlike the Wald interval ``p̂ ± z·√(p̂(1-p̂)/n)`` it stays inside [0, 1], is not empty at 0 or
    n successes, and its coverage stays close to the nominal level for small counts and rates near
    0 or 1 (Newcombe 1998, Statistics in Medicine 17:857–872, method 3).
    """
    _check_counts("successes", successes, "trials", trials)
    z = _z(_level("confidence", confidence))
    lower, upper = _wilson(successes, trials, z)
    return RateInterval(
        successes=successes,
        trials=trials,
        rate=rate_nearest(Fraction(successes, trials)),
        lower=rate_down(lower),
        upper=rate_up(upper),
        confidence=confidence,
    )


def newcombe_interval(
    successes_1: int,
    trials_1: int,
    successes_2: int,
    trials_2: int,
    confidence: Decimal = Decimal("0.95"),
) -> DifferenceInterval:
    """Newcombe's hybrid score interval for ``p1 - p2`` of two independent rates (Newcombe 1998,
    Statistics in Medicine 17:873–890, method 10).

    With ``(l1, u1)`` and ``(l2, u2)`` the Wilson intervals of the two rates::

        lower = d - √((p̂1 - l1)² + (u2 - p̂2)²)
        upper = d + √((u1 - p̂1)² + (p̂2 - l2)²)

    Each arm's distance to its own Wilson limit stands for its own standard error at that limit,
    and the two independent errors add in quadrature. The interval inherits Wilson's good
    behaviour at small counts and at 0 or 100 %, which the Wald difference lacks; Newcombe's
    evaluation found its coverage close to nominal over the whole parameter space.
    """
    _check_counts("successes_1", successes_1, "trials_1", trials_1)
    _check_counts("successes_2", successes_2, "trials_2", trials_2)
    z = _z(_level("confidence", confidence))
    lower, upper = _newcombe(successes_1, trials_1, successes_2, trials_2, z)
    return DifferenceInterval(
        difference=rate_nearest(Fraction(successes_1, trials_1) - Fraction(successes_2, trials_2)),
        lower=rate_down(max(lower, -1.0)),
        upper=rate_up(min(upper, 1.0)),
        confidence=confidence,
    )


def _wilson(successes: int, trials: int, z: float) -> tuple[float, float]:
    rate = successes / trials
    z2n = z * z / trials
    centre = (rate + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(rate * (1 - rate) / trials + z2n / (4 * trials))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def _newcombe(
    successes_1: int, trials_1: int, successes_2: int, trials_2: int, z: float
) -> tuple[float, float]:
    rate_1, rate_2 = successes_1 / trials_1, successes_2 / trials_2
    lower_1, upper_1 = _wilson(successes_1, trials_1, z)
    lower_2, upper_2 = _wilson(successes_2, trials_2, z)
    difference = rate_1 - rate_2
    return (
        difference - math.hypot(rate_1 - lower_1, upper_2 - rate_2),
        difference + math.hypot(upper_1 - rate_1, rate_2 - lower_2),
    )


# -- amounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AmountDifference:
    """The mean amount per account in each arm and the difference (challenger minus control),
    in integer minor units of the experiment's currency, with a bootstrap interval."""

    challenger_accounts: int
    control_accounts: int
    challenger_mean: int
    control_mean: int
    difference: int
    lower: int
    upper: int
    confidence: Decimal
    resamples: int
    seed: int
    method: str = "BCa"


def bootstrap_mean_difference(
    challenger: Sequence[int],
    control: Sequence[int],
    confidence: Decimal = Decimal("0.95"),
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> AmountDifference:
    """The bias-corrected and accelerated (BCa) bootstrap interval (Efron 1987) for the difference
    of the mean amount per account, through ``scipy.stats.bootstrap``.

    Amounts collected per account are skewed: most accounts pay nothing or the instalment, a few
    settle in full. The BCa interval makes no normality assumption: each arm is resampled with
    replacement on its own (the arms are independent samples), and the percentiles of the
    resampled differences are corrected for the bias (the share of resampled differences below the
    observed one) and for the skew (the acceleration, from the jackknife), which makes the
    interval second-order accurate. The seed is fixed, so the interval is reproducible.

    Cost: the jackknife grows with the square of an arm's size; on one core about 1.3 s of CPU for
    two arms of 10,000 accounts and 6 s for 30,000 (9,999 resamples; benchmarks/bench_experiments.py).
    """
    challenger_amounts = _amounts("challenger", challenger)
    control_amounts = _amounts("control", control)
    _check_whole("resamples", resamples, minimum=100)
    _check_whole("seed", seed, minimum=0)
    level = _level("confidence", confidence)
    difference = Fraction(int(challenger_amounts.sum()), len(challenger_amounts)) - Fraction(
        int(control_amounts.sum()), len(control_amounts)
    )
    if _constant(challenger_amounts) and _constant(control_amounts):
        lower = upper = float(difference)  # nothing varies: every resample gives the same difference
    else:
        lower, upper = _bca(challenger_amounts, control_amounts, level, resamples, seed)
    return AmountDifference(
        challenger_accounts=len(challenger_amounts),
        control_accounts=len(control_amounts),
        challenger_mean=minor_nearest(Fraction(int(challenger_amounts.sum()), len(challenger_amounts))),
        control_mean=minor_nearest(Fraction(int(control_amounts.sum()), len(control_amounts))),
        difference=minor_nearest(difference),
        lower=minor_down(lower),
        upper=minor_up(upper),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


@dataclass(frozen=True)
class PairedDifference:
    """The mean of ``second - first`` over pairs, with its confidence interval (exact means as
    fractions of the values' unit: minor units or, for 0/1 values, a rate)."""

    pairs: int
    first_mean: Fraction
    second_mean: Fraction
    difference: Fraction
    lower: float
    upper: float
    confidence: Decimal


def paired_mean_difference(
    first: np.ndarray, second: np.ndarray, confidence: Decimal = Decimal("0.95")
) -> PairedDifference:
    """The difference of two means over the same units (each unit measured under both
    treatments), with the normal interval of the mean of the paired differences,
    ``d̄ ± z·s_d/√n``.

    Pairing removes what the units share under both treatments (in the simulator: the customer
    and the luck of their days), so the interval is far narrower than the one for two
    independent samples of the same size; the differences are independent across units, and
    with the simulator's thousands of units their mean is normal to a good approximation (the
    central limit theorem) however skewed the amounts themselves are.
    """
    a = np.asarray(first, dtype=np.int64)
    b = np.asarray(second, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise InvalidInputError(N_("paired values need two arrays of the same length, at least 2"))
    level = _level("confidence", confidence)
    n = len(a)
    difference = Fraction(int(b.sum()) - int(a.sum()), n)
    spread = float(np.std((b - a).astype(np.float64), ddof=1)) / math.sqrt(n)
    half = _z(level) * spread
    return PairedDifference(
        pairs=n,
        first_mean=Fraction(int(a.sum()), n),
        second_mean=Fraction(int(b.sum()), n),
        difference=difference,
        lower=float(difference) - half,
        upper=float(difference) + half,
        confidence=confidence,
    )


def _bca(
    challenger: np.ndarray, control: np.ndarray, level: float, resamples: int, seed: int
) -> tuple[float, float]:
    from scipy import stats  # the scoring extra: only this function needs it

    def mean_difference(first: np.ndarray, second: np.ndarray, axis: int = -1) -> Any:
        return np.mean(first, axis=axis) - np.mean(second, axis=axis)

    result = stats.bootstrap(
        (challenger.astype(np.float64), control.astype(np.float64)),
        mean_difference,
        n_resamples=resamples,
        batch=max(1, _BOOTSTRAP_CELLS // max(len(challenger), len(control))),
        vectorized=True,
        confidence_level=level,
        method="BCa",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _amounts(name: str, amounts: Sequence[int]) -> np.ndarray:
    values = np.asarray(amounts)
    if values.ndim != 1 or len(values) < 2:
        raise InvalidInputError(N_("{name} needs at least two accounts' amounts"), name=name)
    if values.dtype.kind not in "iu":
        raise InvalidInputError(
            N_("{name}: amounts must be whole minor units (integers), not {value}"),
            name=name,
            value=str(values.dtype),
        )
    return values.astype(np.int64)


def _constant(values: np.ndarray) -> bool:
    return bool((values == values[0]).all())


# -- the sequential test (mSPRT) ------------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """The cumulative counts of both arms at one look (a day's results)."""

    control_successes: int
    control_trials: int
    challenger_successes: int
    challenger_trials: int


@dataclass(frozen=True)
class SequentialResult:
    """The mSPRT at one look: the observed difference (challenger minus control), the log of the
    mixture likelihood ratio against no difference at this look, and the always-valid p-value and
    confidence interval, which account for every look up to this one."""

    look: int
    difference: Decimal
    log_likelihood_ratio: Decimal
    p_value: Decimal
    lower: Decimal
    upper: Decimal
    tau: Decimal
    alpha: Decimal


def sequential_test(
    looks: Sequence[Look], tau: Decimal, alpha: Decimal = Decimal("0.05")
) -> tuple[SequentialResult, ...]:
    """The mixture sequential probability ratio test for the difference of two rates (Johari,
    Koomen, Pekelis & Walsh, "Peeking at A/B tests", KDD 2017; "Always valid inference",
    Operations Research 70(3), 2022), one result per look.

    The observed difference ``d = p̂_challenger - p̂_control`` is taken as normal around the true
    difference θ with variance ``V = p̂1(1-p̂1)/n1 + p̂2(1-p̂2)/n2``. Mixing the likelihood ratio of
    θ against θ0 over θ ~ N(θ0, τ²) gives, in closed form::

        Λ(θ0) = √(V / (V + τ²)) · exp(τ² (d - θ0)² / (2 V (V + τ²)))

    Under θ = θ0 the sequence Λ is a nonnegative martingale with mean 1 (exactly for a known
    variance; with the plug-in V, as the arms grow), so by Ville's inequality the chance that it
    ever exceeds 1/α, at any of any number of looks, is at most α. Hence:

    * the always-valid p-value ``p_n = min(p_(n-1), 1/Λ_n(0))`` (``p_0 = 1``): rejecting when
      ``p_n < α`` at whatever look the reader chooses keeps the false-positive rate at most α;
    * the always-valid interval, the running intersection of ``{θ0 : Λ_k(θ0) < 1/α}``, which at
      each look is ``d ± √(2V(V+τ²)/τ² · (ln(1/α) + ½·ln((V+τ²)/V)))``: it covers θ at every look
      at once with probability at least 1 - α.

    τ is the spread of the effects the test expects; the guarantee holds for any τ fixed before
    the data are seen, and τ only decides which effects are found soonest. τ equal to the smallest
    effect the committee cares about maximises the expected evidence E[ln Λ] against an effect of
    exactly that size (docs/strategy.md §5). An arm with no successes or only successes
    would have a variance of 0: its variance is taken at ``(x + ½)/(n + 1)`` instead. A look where
    an arm has no trials yet carries no evidence (Λ = 1).
    """
    tau_value = _positive_decimal("tau", tau)
    alpha_value = _level("alpha", alpha)
    _check_looks(looks)
    threshold = math.log(1 / alpha_value)
    results: list[SequentialResult] = []
    p_value, lower, upper = 1.0, -1.0, 1.0
    for number, look in enumerate(looks, start=1):
        difference, variance = _difference_and_variance(look)
        if variance is None:
            log_ratio, radius = 0.0, math.inf
        else:
            log_ratio = _log_mixture_ratio(difference, variance, tau_value**2)
            radius = _radius(variance, tau_value**2, threshold)
        p_value = min(p_value, math.exp(-log_ratio))
        candidate = (max(lower, difference - radius), min(upper, difference + radius))
        # the intersection is empty only when every θ has been rejected (chance at most α);
        # then the interval of this look alone is shown
        lower, upper = (
            candidate if candidate[0] <= candidate[1] else (difference - radius, difference + radius)
        )
        results.append(
            SequentialResult(
                look=number,
                difference=rate_nearest(difference),
                log_likelihood_ratio=rate_nearest(log_ratio),
                p_value=rate_up(min(p_value, 1.0)),
                lower=rate_down(max(lower, -1.0)),
                upper=rate_up(min(upper, 1.0)),
                tau=tau,
                alpha=alpha,
            )
        )
    return tuple(results)


def _log_mixture_ratio(difference: float, variance: float, tau2: float) -> float:
    """ln Λ(0) = ½·ln(V/(V+τ²)) + τ²d²/(2V(V+τ²))."""
    return 0.5 * math.log(variance / (variance + tau2)) + tau2 * difference**2 / (
        2 * variance * (variance + tau2)
    )


def _radius(variance: float, tau2: float, threshold: float) -> float:
    """Half the width of {θ0 : ln Λ(θ0) < ln(1/α)} at one look."""
    return math.sqrt(
        2 * variance * (variance + tau2) / tau2 * (threshold + 0.5 * math.log((variance + tau2) / variance))
    )


def _difference_and_variance(look: Look) -> tuple[float, float | None]:
    if look.control_trials == 0 or look.challenger_trials == 0:
        return 0.0, None
    challenger = look.challenger_successes / look.challenger_trials
    control = look.control_successes / look.control_trials
    variance = _arm_variance(look.challenger_successes, look.challenger_trials) + _arm_variance(
        look.control_successes, look.control_trials
    )
    return challenger - control, variance


def _arm_variance(successes: int, trials: int) -> float:
    rate = successes / trials
    if successes in (0, trials):
        rate = (successes + 0.5) / (trials + 1)
    return rate * (1 - rate) / trials


def _check_looks(looks: Sequence[Look]) -> None:
    if not looks:
        raise InvalidInputError(N_("The sequential test needs at least one look"))
    previous = Look(0, 0, 0, 0)
    for number, look in enumerate(looks, start=1):
        _check_counts("control_successes", look.control_successes, "control_trials", look.control_trials, 0)
        _check_counts(
            "challenger_successes", look.challenger_successes, "challenger_trials", look.challenger_trials, 0
        )
        if any(
            now < before
            for now, before in (
                (look.control_successes, previous.control_successes),
                (look.control_trials, previous.control_trials),
                (look.challenger_successes, previous.challenger_successes),
                (look.challenger_trials, previous.challenger_trials),
            )
        ):
            raise InvalidInputError(
                N_("Look {look} has smaller counts than the look before it: counts must be cumulative"),
                look=number,
            )
        previous = look


# -- power and sample size ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProportionSampleSize:
    """Accounts per arm to detect ``challenger_rate`` against ``control_rate`` with a two-sided
    test at level ``alpha`` and the given power; ``ratio`` challenger accounts per control one."""

    control_rate: Decimal
    challenger_rate: Decimal
    alpha: Decimal
    power: Decimal
    ratio: Decimal
    control: int
    challenger: int
    control_exact: Decimal
    challenger_exact: Decimal

    @property
    def minimum_effect(self) -> Decimal:
        """The difference of rates the plan is powered for, as a positive number."""
        return abs(self.challenger_rate - self.control_rate)


@dataclass(frozen=True)
class MeanSampleSize:
    """Accounts per arm to detect a difference of ``difference`` minor units in the mean amount
    per account, whose standard deviation is ``standard_deviation`` minor units."""

    difference: int
    standard_deviation: int
    alpha: Decimal
    power: Decimal
    ratio: Decimal
    control: int
    challenger: int
    control_exact: Decimal
    challenger_exact: Decimal


def sample_size_proportions(
    control_rate: Decimal,
    challenger_rate: Decimal,
    alpha: Decimal = Decimal("0.05"),
    power: Decimal = Decimal("0.80"),
    ratio: Decimal | int = 1,
) -> ProportionSampleSize:
    """Accounts per arm for the two-sided z-test of two rates (normal approximation; Fleiss,
    Levin & Paik, Statistical Methods for Rates and Proportions, 3rd ed., 2003, §4.2), with
    ``k = ratio`` challenger accounts per control account::

        p̄ = (p1 + k·p2) / (1 + k)
        n_control = (z_(1-α/2)·√(p̄(1-p̄)(1 + 1/k)) + z_(1-β)·√(p1(1-p1) + p2(1-p2)/k))² / (p2 - p1)²
        n_challenger = k · n_control

    The first term is the test's spread under no difference (pooled rate), the second under the
    planned difference. With k = 1 this is R's ``power.prop.test``.
    """
    rate_1, rate_2 = _rate("control_rate", control_rate), _rate("challenger_rate", challenger_rate)
    if rate_1 == rate_2:
        raise InvalidInputError(N_("The two rates must differ to size an experiment"))
    k = _positive_decimal("ratio", ratio)
    z_alpha, z_power = _z(_level("alpha", alpha, complement=True)), _quantile(_level("power", power))
    pooled = (rate_1 + k * rate_2) / (1 + k)
    root = z_alpha * math.sqrt(pooled * (1 - pooled) * (1 + 1 / k)) + z_power * math.sqrt(
        rate_1 * (1 - rate_1) + rate_2 * (1 - rate_2) / k
    )
    control = root**2 / (rate_2 - rate_1) ** 2
    return ProportionSampleSize(
        control_rate=Decimal(control_rate),
        challenger_rate=Decimal(challenger_rate),
        alpha=alpha,
        power=power,
        ratio=Decimal(ratio),
        control=_whole_up(control),
        challenger=_whole_up(k * control),
        control_exact=size_up(control),
        challenger_exact=size_up(k * control),
    )


def power_proportions(
    control_rate: Decimal,
    challenger_rate: Decimal,
    control: int,
    challenger: int,
    alpha: Decimal = Decimal("0.05"),
) -> Decimal:
    """The power of the two-sided z-test of two rates with the given accounts per arm (the
    inverse of :func:`sample_size_proportions`; the rejection region on the far side is ignored,
    as in R's ``power.prop.test``)."""
    rate_1, rate_2 = _rate("control_rate", control_rate), _rate("challenger_rate", challenger_rate)
    _check_whole("control", control, minimum=1)
    _check_whole("challenger", challenger, minimum=1)
    z_alpha = _z(_level("alpha", alpha, complement=True))
    pooled = (control * rate_1 + challenger * rate_2) / (control + challenger)
    null_spread = math.sqrt(pooled * (1 - pooled) * (1 / control + 1 / challenger))
    spread = math.sqrt(rate_1 * (1 - rate_1) / control + rate_2 * (1 - rate_2) / challenger)
    return rate_nearest(_NORMAL.cdf((abs(rate_2 - rate_1) - z_alpha * null_spread) / spread))


def sample_size_means(
    difference: int,
    standard_deviation: int,
    alpha: Decimal = Decimal("0.05"),
    power: Decimal = Decimal("0.80"),
    ratio: Decimal | int = 1,
    small_sample_correction: bool = True,
) -> MeanSampleSize:
    """Accounts per arm for the two-sided test of two means (amount per account, minor units),
    normal approximation with a common standard deviation σ and ``k = ratio``::

        n_control = (z_(1-α/2) + z_(1-β))² · σ² · (1 + 1/k) / δ²,   n_challenger = k · n_control

    With ``small_sample_correction`` each arm gets ``z_(1-α/2)²/4`` more accounts (Guenther 1981,
    The American Statistician 35:243), which brings the normal answer to the t-test's: it matters
    below a few dozen accounts and is harmless above.
    """
    _check_difference(difference)
    _check_whole("standard_deviation", standard_deviation, minimum=1)
    k = _positive_decimal("ratio", ratio)
    z_alpha, z_power = _z(_level("alpha", alpha, complement=True)), _quantile(_level("power", power))
    control = (z_alpha + z_power) ** 2 * standard_deviation**2 * (1 + 1 / k) / difference**2
    challenger = k * control
    if small_sample_correction:
        control, challenger = control + z_alpha**2 / 4, challenger + z_alpha**2 / 4
    return MeanSampleSize(
        difference=difference,
        standard_deviation=standard_deviation,
        alpha=alpha,
        power=power,
        ratio=Decimal(ratio),
        control=_whole_up(control),
        challenger=_whole_up(challenger),
        control_exact=size_up(control),
        challenger_exact=size_up(challenger),
    )


def power_means(
    difference: int, standard_deviation: int, control: int, challenger: int, alpha: Decimal = Decimal("0.05")
) -> Decimal:
    """The power of the two-sided z-test of two means with the given accounts per arm."""
    _check_difference(difference)
    _check_whole("standard_deviation", standard_deviation, minimum=1)
    _check_whole("control", control, minimum=1)
    _check_whole("challenger", challenger, minimum=1)
    z_alpha = _z(_level("alpha", alpha, complement=True))
    spread = standard_deviation * math.sqrt(1 / control + 1 / challenger)
    return rate_nearest(_NORMAL.cdf(abs(difference) / spread - z_alpha))


def _whole_up(value: float) -> int:
    """Accounts needed: the next whole number, ignoring floating-point dust just above one."""
    return math.ceil(round(value, 9))


# -- one challenger against the control ---------------------------------------------------------


class Decision(StrEnum):
    """What the numbers say so far; the committee decides."""

    KEEP_RUNNING = "keep_running"
    CHALLENGER_BETTER = "challenger_better"
    CHALLENGER_WORSE = "challenger_worse"
    NO_DIFFERENCE = "no_difference"

    @property
    def label(self) -> str:
        """The hint as the interface shows it (a marked message: translate before showing)."""
        return DECISION_LABELS[self]


DECISION_LABELS = {
    Decision.KEEP_RUNNING: N_("keep running"),
    Decision.CHALLENGER_BETTER: N_("challenger better"),
    Decision.CHALLENGER_WORSE: N_("challenger worse"),
    Decision.NO_DIFFERENCE: N_("no difference at this power"),
}


class Reason(StrEnum):
    """Why the decision hint is what it is."""

    SEQUENTIAL_TEST_REJECTED = "sequential_test_rejected"
    """The always-valid p-value is below α."""
    EFFECT_RULED_OUT = "effect_ruled_out"
    """The always-valid interval excludes every effect as large as the plan's minimum."""
    PLANNED_SIZE_REACHED = "planned_size_reached"
    """Neither of the above, and both arms hold the accounts the fixed-horizon plan asked for."""
    COLLECTING = "collecting"
    """Neither of the above, and the arms are still short of the plan."""


@dataclass(frozen=True)
class ArmComparison:
    """One challenger against the control at the latest look.

    ``control`` and ``challenger`` are Wilson intervals and ``difference`` (challenger minus
    control) the Newcombe interval: fixed-horizon intervals, valid as read once at the planned
    end. ``sequential`` holds the always-valid p-value and interval, valid at any look; the
    decision hint rests on those alone.
    """

    control: RateInterval
    challenger: RateInterval
    difference: DifferenceInterval
    sequential: SequentialResult
    plan: ProportionSampleSize
    decision: Decision
    reason: Reason


def compare_arms(
    looks: Sequence[Look],
    plan: ProportionSampleSize,
    tau: Decimal | None = None,
    higher_is_better: bool = True,
) -> ArmComparison:
    """The challenger against the control after the latest of ``looks`` (cumulative counts, one
    per day), with the hint:

    * challenger better / worse: the always-valid p-value is below the plan's α; the sign of the
      difference (and ``higher_is_better``: a cure rate, or a lower rate such as complaints) says
      which;
    * no difference at this power: the always-valid interval lies inside ± the plan's minimum
      effect, so no effect as large as the one the plan was powered for is left;
    * keep running: otherwise, with the reason ``planned_size_reached`` once both arms hold the
      plan's accounts. Reaching the fixed-horizon plan without a rejection is not evidence of no
      effect: the mSPRT pays for its daily looks with about twice the fixed-horizon accounts for
      the same power (docs/strategy.md §5), so the committee extends or stops by choice.

    τ defaults to the plan's minimum effect (see :func:`sequential_test`).
    """
    results = sequential_test(looks, tau if tau is not None else plan.minimum_effect, plan.alpha)
    latest, last = results[-1], looks[-1]
    if last.control_trials == 0 or last.challenger_trials == 0:
        raise InvalidInputError(N_("Both arms need at least one account before they can be compared"))
    confidence = 1 - plan.alpha
    decision, reason = _decide(latest, last, plan, higher_is_better)
    return ArmComparison(
        control=wilson_interval(last.control_successes, last.control_trials, confidence),
        challenger=wilson_interval(last.challenger_successes, last.challenger_trials, confidence),
        difference=newcombe_interval(
            last.challenger_successes,
            last.challenger_trials,
            last.control_successes,
            last.control_trials,
            confidence,
        ),
        sequential=latest,
        plan=plan,
        decision=decision,
        reason=reason,
    )


def _decide(
    latest: SequentialResult, last: Look, plan: ProportionSampleSize, higher_is_better: bool
) -> tuple[Decision, Reason]:
    if latest.p_value < plan.alpha:
        better = (latest.difference > 0) == higher_is_better
        decision = Decision.CHALLENGER_BETTER if better else Decision.CHALLENGER_WORSE
        return decision, Reason.SEQUENTIAL_TEST_REJECTED
    if -plan.minimum_effect < latest.lower and latest.upper < plan.minimum_effect:
        return Decision.NO_DIFFERENCE, Reason.EFFECT_RULED_OUT
    if last.control_trials >= plan.control and last.challenger_trials >= plan.challenger:
        return Decision.KEEP_RUNNING, Reason.PLANNED_SIZE_REACHED
    return Decision.KEEP_RUNNING, Reason.COLLECTING


# -- checks and conversions ---------------------------------------------------------------------


def _decimal(value: float | Fraction) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def _z(level: float) -> float:
    """The two-sided normal quantile of a confidence level: 1.959964… for 0.95."""
    return _NORMAL.inv_cdf(0.5 + level / 2)


def _quantile(level: float) -> float:
    return _NORMAL.inv_cdf(level)


def _level(name: str, value: Decimal, complement: bool = False) -> float:
    """A probability strictly between 0 and 1, as a float (``1 - value`` with ``complement``)."""
    if isinstance(value, bool) or not isinstance(value, Decimal) or not 0 < value < 1:
        raise InvalidInputError(
            N_("{name} must be a decimal strictly between 0 and 1, not {value}"),
            name=name,
            value=repr(echo(value)),
        )
    return float(1 - value) if complement else float(value)


def _rate(name: str, value: Decimal) -> float:
    return _level(name, value)


def _positive_decimal(name: str, value: Decimal | int) -> float:
    if isinstance(value, bool) or not isinstance(value, Decimal | int) or not value > 0:
        raise InvalidInputError(
            N_("{name} must be a positive decimal or integer, not {value}"),
            name=name,
            value=repr(echo(value)),
        )
    return float(value)


def _check_whole(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(
            N_("{name} must be a whole number of at least {minimum}, not {value}"),
            name=name,
            minimum=minimum,
            value=repr(echo(value)),
        )


def _check_difference(difference: int) -> None:
    if isinstance(difference, bool) or not isinstance(difference, int) or difference == 0:
        raise InvalidInputError(
            N_("difference must be a whole number of minor units other than 0, not {value}"),
            value=repr(echo(difference)),
        )


def _check_counts(
    successes_name: str, successes: int, trials_name: str, trials: int, minimum_trials: int = 1
) -> None:
    _check_whole(trials_name, trials, minimum=minimum_trials)
    _check_whole(successes_name, successes, minimum=0)
    if successes > trials:
        raise InvalidInputError(
            N_("{successes_name} ({successes}) cannot exceed {trials_name} ({trials})"),
            successes_name=successes_name,
            successes=successes,
            trials_name=trials_name,
            trials=trials,
        )
