"""Monitoring: population stability of scores and features, realised outcome against predicted.

PSI = sum over bins of (actual share - expected share) * ln(actual share / expected share),
where the expected shares are those of the training sample (kept with the model as a
:class:`Profile`) and the bins are the training sample's deciles (or categories), plus one
bin for missing values. Empty bins count as a share of 0.0001 so the logarithm stays finite.

A small batch moves PSI by chance alone: 96 accounts against a training sample of 759 pass
0.1 in about half of the samples drawn from the very same distribution. So a variable is
flagged only when its PSI also passes the noise floor of the two sample sizes: with no
drift, PSI · nN/(n+N) is approximately chi-square with (bins − 1) degrees of freedom (PSI is,
to second order, the chi-square statistic of the shares), and the floor is its 99th
percentile. The approximation needs about 5 accounts per bin, so a batch with fewer is not
judged at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2

Vector = NDArray[np.float64]
EMPTY_SHARE = 1e-4
NOISE_CONFIDENCE = 0.99
MIN_PER_BIN = 5


class Stability(StrEnum):
    STABLE = "stable"
    WARN = "warn"
    ALERT = "alert"


@dataclass(frozen=True)
class Profile:
    """How a variable was distributed in the training sample."""

    edges: tuple[float, ...]
    categorical: bool
    shares: tuple[float, ...]
    """Share of rows per bin, the last one for missing values."""
    rows: int = 0
    """Rows of the training sample; 0 when not known (profiles stored before it was kept)."""

    @classmethod
    def fit(cls, values: Vector, categorical: bool, bins: int = 10) -> Profile:
        present = values[~np.isnan(values)]
        if categorical:
            edges = tuple(float(v) for v in np.unique(present))
        else:
            levels = np.linspace(0, 1, bins + 1)[1:-1]
            quantiles = np.quantile(present, levels) if present.size else np.empty(0)
            edges = tuple(float(e) for e in np.unique(quantiles))
        profile = cls(edges, categorical, ())
        shares = tuple(float(s) for s in profile.distribution(values))
        return cls(edges, categorical, shares, int(values.size))

    def distribution(self, values: Vector) -> Vector:
        """Share of the values in each of this profile's bins (missing last)."""
        bins = len(self.edges) + (0 if self.categorical else 1)
        missing = np.isnan(values)
        present = values[~missing]
        if self.categorical:
            index = np.searchsorted(np.asarray(self.edges), present)
            known = (index < len(self.edges)) & (np.asarray((*self.edges, np.nan))[index] == present)
            # unseen categories land in the missing bin: they are as new as a missing value
            counts = np.bincount(index[known], minlength=bins).astype(float)
            missing_count = float(missing.sum() + (~known).sum())
        else:
            index = np.searchsorted(np.asarray(self.edges), present, side="right")
            counts = np.bincount(index, minlength=bins).astype(float)
            missing_count = float(missing.sum())
        total = max(values.size, 1)
        return np.append(counts, missing_count) / total

    def to_dict(self) -> dict[str, Any]:
        return {
            "edges": list(self.edges),
            "categorical": self.categorical,
            "shares": list(self.shares),
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        shares = tuple(data["shares"])
        return cls(tuple(data["edges"]), bool(data["categorical"]), shares, int(data.get("rows", 0)))


def psi(expected: Vector, actual: Vector) -> float:
    """Population stability index of two distributions over the same bins."""
    e = np.maximum(np.asarray(expected, float), EMPTY_SHARE)
    a = np.maximum(np.asarray(actual, float), EMPTY_SHARE)
    return float(np.sum((a - e) * np.log(a / e)))


def stability(value: float, warn: float = 0.1, alert: float = 0.25) -> Stability:
    if value > alert:
        return Stability.ALERT
    if value > warn:
        return Stability.WARN
    return Stability.STABLE


def noise_floor(
    bins: int, batch_rows: int, training_rows: int, confidence: float = NOISE_CONFIDENCE
) -> float:
    """The PSI that samples of these sizes reach by chance alone, at this confidence.

    ``training_rows`` 0 (unknown) counts only the batch's own sampling noise.
    """
    if bins < 2:
        return 0.0
    if batch_rows == 0:
        return math.inf
    spread = 1 / batch_rows + (1 / training_rows if training_rows else 0.0)
    return float(chi2.ppf(confidence, bins - 1)) * spread


@dataclass(frozen=True)
class Drift:
    variable: str
    psi: float
    stability: Stability
    noise: float = 0.0
    """The PSI chance alone reaches with these sample sizes; at or below it, stable."""


def drift_report(
    profile: Mapping[str, Profile], batch: Mapping[str, Vector], warn: float = 0.1, alert: float = 0.25
) -> list[Drift]:
    """PSI of every profiled variable present in the batch, worst first.

    Empty when the batch has fewer than ``MIN_PER_BIN`` rows per bin of the profile
    (see :func:`judgeable`); a PSI within the noise floor of the sample sizes is stable.
    """
    report = []
    for name, reference in profile.items():
        if name not in batch or not judgeable(reference, batch[name].size):
            continue
        value = psi(np.asarray(reference.shares), reference.distribution(batch[name]))
        noise = noise_floor(len(reference.shares), batch[name].size, reference.rows)
        judged = stability(value, warn, alert) if value > noise else Stability.STABLE
        report.append(Drift(name, value, judged, noise))
    return sorted(report, key=lambda d: d.psi, reverse=True)


def judgeable(profile: Profile, batch_rows: int) -> bool:
    """Enough rows for the noise floor's approximation: ``MIN_PER_BIN`` per bin on average."""
    return batch_rows >= MIN_PER_BIN * len(profile.shares)


@dataclass(frozen=True)
class BandOutcome:
    band: str
    accounts: int
    predicted: float
    realised: float


def outcome_by_band(
    bands: NDArray[np.str_], probability: Vector, outcome: NDArray[np.int8], order: list[str]
) -> list[BandOutcome]:
    """Per band: accounts, mean predicted probability of paying, and the share that paid."""
    rows = []
    for band in order:
        members = bands == band
        count = int(members.sum())
        if count:
            rows.append(
                BandOutcome(band, count, float(probability[members].mean()), float(outcome[members].mean()))
            )
    return rows
