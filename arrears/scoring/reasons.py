"""Reason codes: the factors that pushed an account's score most, as phrases in zh-CN and en.

They come from the model's own per-feature contributions: SHAP values for the boosted model
(up or down from the portfolio average), the points short of the feature's best attribute for
the scorecard (always down). Codes are stored as data (feature, value, effect); the words
come from the feature registry when shown, in the reader's language.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from arrears.i18n import N_
from arrears.scoring.frame import FeatureTable
from arrears.scoring.registry import Feature, FeatureRegistry, Kind, Unit, default_registry

UP, DOWN = "▲", "▼"


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float | str | None
    effect: float
    """Push on the score: log-odds of paying (boosting) or points (scorecard); negative lowers it."""

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "value": self.value, "effect": round(self.effect, 4)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(data["feature"], data["value"], float(data["effect"]))


def top_indexes(contributions: NDArray[np.float64], count: int) -> NDArray[np.intp]:
    """Per row, the columns of the largest effects (by size), largest first; ties by column.

    ``count`` passes of argmax over the rows, not a sort of every row: the same order as a
    stable sort's first ``count`` columns at a fraction of its cost.
    """
    count = min(count, contributions.shape[1])
    size = np.abs(contributions)
    chosen = np.empty((contributions.shape[0], count), dtype=np.intp)
    rows = np.arange(contributions.shape[0])
    for rank in range(count):
        chosen[:, rank] = np.argmax(size, axis=1)
        size[rows, chosen[:, rank]] = -1.0
    return chosen


def reasons_for(
    table: FeatureTable, contributions: NDArray[np.float64], features: Sequence[str], count: int = 3
) -> list[list[Reason]]:
    """The top reasons of every row; features without effect are left out."""
    chosen = top_indexes(contributions, count)
    effects = np.take_along_axis(contributions, chosen, axis=1).tolist()
    columns = [table.names.index(name) for name in features]
    values = np.take_along_axis(table.values[:, columns], chosen, axis=1).tolist()
    vocabularies = [table.vocabularies.get(name) for name in features]
    return [
        [
            Reason(features[c], _readable(v, vocabularies[c]), e)
            for c, v, e in zip(picked, row_values, row_effects, strict=True)
            if e != 0.0
        ]
        for picked, row_values, row_effects in zip(chosen.tolist(), values, effects, strict=True)
    ]


def _readable(value: float, vocabulary: tuple[str, ...] | None) -> float | str | None:
    if math.isnan(value):
        return None
    return vocabulary[int(value)] if vocabulary is not None else value


def describe(name: str, registry: FeatureRegistry | None = None) -> Feature:
    """The registry's feature, or a plain one for a column of a bank's own data set.

    Such a column reads by its own name, never translated (a column called ``currency`` stays so).
    """
    known = (registry or default_registry()).get(name)
    if known is not None:
        return known
    return Feature(
        name=name,
        kind=Kind.NUMERIC,
        unit=Unit.NUMBER,
        group="dataset",
        description=name,
        phrase=N_("{name} = {value}"),
        missing_phrase=N_("{name}: none"),
    )


def phrase(reason: Reason, language: str, registry: FeatureRegistry | None = None) -> str:
    feature = describe(reason.feature, registry)
    arrow = UP if reason.effect > 0 else DOWN
    return f"{arrow} {feature.say(reason.value, language)}"


def phrases(reasons: Sequence[Reason], language: str, registry: FeatureRegistry | None = None) -> list[str]:
    return [phrase(r, language, registry) for r in reasons]
