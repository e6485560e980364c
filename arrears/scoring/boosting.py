"""Gradient boosting (LightGBM) for the probability of paying; reasons from its own contributions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from arrears.scoring.frame import FeatureTable

DEFAULT_PARAMETERS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "verbose": -1,
    "num_threads": 2,
    "seed": 7,
    "deterministic": True,
}
DEFAULT_ROUNDS = 400


@dataclass(frozen=True)
class BoostingLearner:
    parameters: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMETERS))
    rounds: int = DEFAULT_ROUNDS
    kind: str = "boosting"

    def describe(self) -> dict[str, Any]:
        return {"parameters": dict(self.parameters), "rounds": self.rounds}

    def fit(self, table: FeatureTable, outcome: NDArray[np.int8]) -> BoostedModel:
        categorical = [i for i, name in enumerate(table.names) if table.is_categorical(name)]
        data = lgb.Dataset(
            table.values,
            label=outcome,
            feature_name=list(table.names),
            categorical_feature=categorical or "auto",
            free_raw_data=True,
        )
        booster = lgb.train(dict(self.parameters), data, num_boost_round=self.rounds)
        return BoostedModel(booster, table.names, dict(table.vocabularies))


class BoostedModel:
    kind = "boosting"
    margin_is_score = False

    def __init__(
        self, booster: lgb.Booster, features: tuple[str, ...], vocabularies: dict[str, tuple[str, ...]]
    ) -> None:
        self.booster = booster
        self.features = features
        self.vocabularies = vocabularies

    def margin(self, table: FeatureTable) -> NDArray[np.float64]:
        """Log-odds of paying, before calibration."""
        return np.asarray(self.booster.predict(table.values, raw_score=True), dtype=np.float64)

    def contributions(self, table: FeatureTable) -> NDArray[np.float64]:
        """Each feature's push on the log-odds of paying (SHAP values), rows x features."""
        return self.explain(table)[1]

    def explain(self, table: FeatureTable) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Margin and SHAP values; the SHAP values and the expected value add up to the margin."""
        contrib = np.asarray(self.booster.predict(table.values, pred_contrib=True), dtype=np.float64)
        return contrib.sum(axis=1), contrib[:, : len(self.features)]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "booster": self.booster.model_to_string()}

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], features: tuple[str, ...], vocabularies: dict[str, tuple[str, ...]]
    ) -> BoostedModel:
        return cls(lgb.Booster(model_str=data["booster"]), features, vocabularies)
