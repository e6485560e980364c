"""The scorecard: binned WOE logistic regression with whole points per attribute.

A risk committee reads it as a table: for each feature, its bins and the points each earns;
an account's score is the sum of its points. Features that carry little information (IV
below ``min_information_value``) are left out, and so is any feature whose coefficient comes
out negative (a sign flipped by correlation with others makes the table unreadable).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from arrears.scoring.binning import Binning, fit_categorical, fit_numeric
from arrears.scoring.frame import FeatureTable
from arrears.scoring.scale import ScoreScale


@dataclass(frozen=True)
class ScorecardLearner:
    min_share: float = 0.05
    max_bins: int = 8
    min_information_value: float = 0.02
    regularisation: float = 1.0
    scale: ScoreScale = field(default_factory=ScoreScale)
    kind: str = "scorecard"

    def describe(self) -> dict[str, Any]:
        return {
            "min_share": self.min_share,
            "max_bins": self.max_bins,
            "min_information_value": self.min_information_value,
            "regularisation": self.regularisation,
            "scale": vars(self.scale),
        }

    def fit(self, table: FeatureTable, outcome: NDArray[np.int8]) -> Scorecard:
        binnings = [self._bin(table, name, outcome) for name in table.names]
        chosen = [b for b in binnings if b.information_value() >= self.min_information_value]
        while True:
            woe = np.column_stack([b.transform(table.column(b.feature)) for b in chosen])
            logistic = LogisticRegression(C=self.regularisation, max_iter=1000)
            logistic.fit(woe, outcome)
            coefficients = logistic.coef_[0]
            if coefficients.min() > 0 or len(chosen) == 1:
                break
            chosen.pop(int(np.argmin(coefficients)))
        return Scorecard.build(
            table.names, chosen, coefficients, float(logistic.intercept_[0]), self.scale, table
        )

    def _bin(self, table: FeatureTable, name: str, outcome: NDArray[np.int8]) -> Binning:
        values = table.column(name)
        vocabulary = table.vocabularies.get(name)
        if vocabulary is not None:
            return fit_categorical(name, values, outcome, vocabulary, self.min_share, self.max_bins)
        return fit_numeric(name, values, outcome, self.min_share, self.max_bins)


class Scorecard:
    kind = "scorecard"
    margin_is_score = True

    def __init__(
        self,
        features: tuple[str, ...],
        binnings: list[Binning],
        points: list[tuple[int, ...]],
        vocabularies: dict[str, tuple[str, ...]],
    ) -> None:
        self.features = features
        self.binnings = binnings
        self.points = points
        self.vocabularies = vocabularies

    @classmethod
    def build(
        cls,
        features: tuple[str, ...],
        binnings: list[Binning],
        coefficients: NDArray[np.float64],
        intercept: float,
        scale: ScoreScale,
        table: FeatureTable,
    ) -> Scorecard:
        share = (scale.factor * intercept + scale.offset) / len(binnings)
        points = [
            tuple(round(scale.factor * c * w + share) for w in b.woe)
            for b, c in zip(binnings, coefficients, strict=True)
        ]
        return cls(features, binnings, points, dict(table.vocabularies))

    def margin(self, table: FeatureTable) -> NDArray[np.float64]:
        """The score: the sum of each feature's points."""
        total = np.zeros(table.rows)
        for _, _, earned in self._earned(table):
            total += earned
        return total

    def contributions(self, table: FeatureTable) -> NDArray[np.float64]:
        """Points each feature fell short of its best attribute (0 or negative), rows x features."""
        return self.explain(table)[1]

    def explain(self, table: FeatureTable) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        total = np.zeros(table.rows)
        shortfall = np.zeros((table.rows, len(self.features)))
        for feature, best, earned in self._earned(table):
            total += earned
            shortfall[:, self.features.index(feature)] = earned - best
        return total, shortfall

    def _earned(self, table: FeatureTable) -> Iterator[tuple[str, int, NDArray[np.float64]]]:
        """Per feature of the card: its name, its best points and the points each row earned."""
        for binning, points in zip(self.binnings, self.points, strict=True):
            earned = np.asarray(points, float)[binning.assign(table.column(binning.feature))]
            yield binning.feature, max(points), earned

    def rows(self) -> list[dict[str, Any]]:
        """The printable scorecard: one row per feature and bin."""
        table = []
        for binning, points in zip(self.binnings, self.points, strict=True):
            for label, count, payers, woe, earned in zip(
                binning.labels, binning.counts, binning.payers, binning.woe, points, strict=True
            ):
                if count == 0 and label == "missing":
                    continue
                table.append(
                    {
                        "feature": binning.feature,
                        "bin": label,
                        "count": count,
                        "pay_rate": payers / count if count else float("nan"),
                        "woe": woe,
                        "points": earned,
                    }
                )
        return table

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "binnings": [b.to_dict() for b in self.binnings],
            "points": [list(p) for p in self.points],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], features: tuple[str, ...], vocabularies: dict[str, tuple[str, ...]]
    ) -> Scorecard:
        binnings = [Binning.from_dict(b) for b in data["binnings"]]
        points = [tuple(int(p) for p in row) for row in data["points"]]
        return cls(features, binnings, points, vocabularies)
