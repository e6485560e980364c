"""Discrimination and calibration measures of predicted probabilities of paying.

Strategies act on the probabilities themselves (expected collections, who to call first), so
a model is judged on calibration as well as ranking:

- Brier score: the mean of (p − outcome)²;
- expected calibration error (ECE): accounts are put in bins by predicted probability; ECE is
  the account-weighted mean of |mean predicted − share that paid| over the bins,
  Σ_b (n_b / N) · |p̄_b − ȳ_b|. The headline figure uses 10 **equal-mass** bins (deciles of
  the predicted probability, ties kept in their input order, the same bins as the reliability
  table); the equal-width variant (bins [0, 0.1), …, [0.9, 1.0]) is reported beside it;
- the ECE noise floor: ECE is never 0 on finite data, even for a perfectly calibrated model,
  because each bin's share that paid is a sample. The floor is the mean ECE of outcomes drawn
  at random with exactly the predicted probabilities, in the same bins (seeded): an ECE near it
  is as good as calibration can be shown to be on that many accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score, roc_curve

Vector = NDArray[np.float64]
Outcome = NDArray[np.int8]

ECE_BINS = 10
NOISE_DRAWS = 100


class Binning(StrEnum):
    """How accounts are put in calibration bins."""

    EQUAL_MASS = "equal-mass"
    EQUAL_WIDTH = "equal-width"


@dataclass(frozen=True)
class CalibrationRow:
    group: int
    accounts: int
    predicted: float
    realised: float


@dataclass(frozen=True)
class Metrics:
    accounts: int
    paid_rate: float
    auc: float
    ks: float
    brier: float
    ece: float
    """Expected calibration error, ``ECE_BINS`` equal-mass bins."""
    ece_equal_width: float
    ece_floor: float
    """Mean ECE of perfectly calibrated outcomes with these predictions (equal-mass bins)."""
    calibration: list[CalibrationRow]
    """The equal-mass bins, lowest predicted first: the reliability table."""
    calibration_equal_width: list[CalibrationRow]


def measure(probability: Vector, outcome: Outcome, groups: int = ECE_BINS) -> Metrics:
    false_positive, true_positive, _ = roc_curve(outcome, probability)
    by_mass = calibration_table(probability, outcome, groups)
    by_width = equal_width_table(probability, outcome, groups)
    return Metrics(
        accounts=int(outcome.size),
        paid_rate=float(outcome.mean()),
        auc=float(roc_auc_score(outcome, probability)),
        ks=float(np.max(true_positive - false_positive)),
        brier=brier_score(probability, outcome),
        ece=ece_of(by_mass),
        ece_equal_width=ece_of(by_width),
        ece_floor=ece_noise_floor(probability, groups),
        calibration=by_mass,
        calibration_equal_width=by_width,
    )


def brier_score(probability: Vector, outcome: Outcome) -> float:
    return float(np.mean((probability - outcome) ** 2))


def expected_calibration_error(
    probability: Vector,
    outcome: Outcome,
    bins: int = ECE_BINS,
    binning: Binning = Binning.EQUAL_MASS,
) -> float:
    """Σ_b (n_b / N) · |mean predicted − share that paid| over the bins."""
    if binning == Binning.EQUAL_MASS:
        return ece_of(calibration_table(probability, outcome, bins))
    return ece_of(equal_width_table(probability, outcome, bins))


def ece_of(rows: list[CalibrationRow]) -> float:
    total = sum(row.accounts for row in rows)
    return float(sum(row.accounts * abs(row.predicted - row.realised) for row in rows) / total)


def calibration_table(probability: Vector, outcome: Outcome, groups: int = ECE_BINS) -> list[CalibrationRow]:
    """Accounts in equal-sized groups by predicted probability, lowest first."""
    rows = []
    for number, members in enumerate(_equal_mass_members(probability, groups), start=1):
        if members.size:
            rows.append(
                CalibrationRow(
                    number,
                    int(members.size),
                    float(probability[members].mean()),
                    float(outcome[members].mean()),
                )
            )
    return rows


def equal_width_table(probability: Vector, outcome: Outcome, bins: int = ECE_BINS) -> list[CalibrationRow]:
    """Accounts in bins [k/bins, (k+1)/bins) of predicted probability, the last one closed.

    Empty bins are left out.
    """
    index = equal_width_bin(probability, bins)
    counts = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=probability, minlength=bins)
    realised = np.bincount(index, weights=outcome.astype(np.float64), minlength=bins)
    return [
        CalibrationRow(k + 1, int(counts[k]), float(predicted[k] / counts[k]), float(realised[k] / counts[k]))
        for k in range(bins)
        if counts[k]
    ]


def equal_width_bin(probability: Vector, bins: int = ECE_BINS) -> NDArray[np.intp]:
    """The 0-based equal-width bin of each probability."""
    return np.minimum((np.asarray(probability) * bins).astype(np.intp), bins - 1)


def ece_noise_floor(
    probability: Vector, bins: int = ECE_BINS, draws: int = NOISE_DRAWS, seed: int = 0
) -> float:
    """Mean equal-mass ECE when each outcome is drawn with exactly its predicted probability."""
    groups = [members for members in _equal_mass_members(probability, bins) if members.size]
    order = np.concatenate(groups)
    starts = np.cumsum([0] + [g.size for g in groups[:-1]])
    sizes = np.array([g.size for g in groups], dtype=np.float64)
    ordered = probability[order]
    predicted = np.add.reduceat(ordered, starts) / sizes
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(draws):
        drawn = (rng.random(ordered.size) < ordered).astype(np.float64)
        realised = np.add.reduceat(drawn, starts) / sizes
        total += float(np.sum(sizes * np.abs(predicted - realised)) / ordered.size)
    return total / draws


def _equal_mass_members(probability: Vector, groups: int) -> list[NDArray[np.intp]]:
    order = np.argsort(probability, kind="stable")
    return list(np.array_split(order, groups))
