"""Monitoring: population stability of scores and features, realised outcome against predicted.

PSI = sum over bins of (actual share - expected share) * ln(actual share / expected share),
where the expected shares are those of the training sample (kept with the model as a
:class:`Profile`) and the bins are the training sample's deciles (or categories), plus one
bin for missing values. Empty bins count as a share of 0.0001 so the logarithm stays finite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]
EMPTY_SHARE = 1e-4


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
        return cls(edges, categorical, tuple(float(s) for s in profile.distribution(values)))

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
        return {"edges": list(self.edges), "categorical": self.categorical, "shares": list(self.shares)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        return cls(tuple(data["edges"]), bool(data["categorical"]), tuple(data["shares"]))


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


@dataclass(frozen=True)
class Drift:
    variable: str
    psi: float
    stability: Stability


def drift_report(
    profile: Mapping[str, Profile], batch: Mapping[str, Vector], warn: float = 0.1, alert: float = 0.25
) -> list[Drift]:
    """PSI of every profiled variable present in the batch, worst first."""
    report = []
    for name, reference in profile.items():
        if name not in batch:
            continue
        value = psi(np.asarray(reference.shares), reference.distribution(batch[name]))
        report.append(Drift(name, value, stability(value, warn, alert)))
    return sorted(report, key=lambda d: d.psi, reverse=True)


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
