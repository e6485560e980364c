"""A trained, calibrated model: what a model version stores and the batch scores with.

Calibration is cross-fitted: the training rows are split into folds, the learner is fitted on
all folds but one and its margins on the held-out fold are kept; the calibrator is fitted on
those held-out margins only, then the learner is refitted on all the training rows. No row's
calibration sees a model that was trained on it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold

from arrears.scoring.boosting import BoostedModel, BoostingLearner
from arrears.scoring.calibration import Calibrator, calibrator_from_dict, fit_calibrator
from arrears.scoring.frame import FeatureTable
from arrears.scoring.monitoring import Profile
from arrears.scoring.scale import ScoreScale
from arrears.scoring.scorecard import Scorecard, ScorecardLearner

ARTIFACT_FORMAT = 1


class ModelKind(StrEnum):
    """How a model is made (``model_versions.kind``, the ``kind`` of a learner and a fitted model)."""

    BOOSTING = "boosting"
    SCORECARD = "scorecard"


class Fitted(Protocol):
    kind: str
    margin_is_score: bool
    features: tuple[str, ...]

    def margin(self, table: FeatureTable) -> NDArray[np.float64]: ...

    def contributions(self, table: FeatureTable) -> NDArray[np.float64]: ...

    def explain(self, table: FeatureTable) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The margin and the contributions together, for the price of the contributions."""
        ...

    def to_dict(self) -> dict[str, Any]: ...


class Learner(Protocol):
    @property
    def kind(self) -> str: ...

    def fit(self, table: FeatureTable, outcome: NDArray[np.int8]) -> Fitted: ...

    def describe(self) -> dict[str, Any]: ...


def learner_for(kind: str, rounds: int | None = None) -> Learner:
    if kind == ModelKind.BOOSTING:
        return BoostingLearner() if rounds is None else BoostingLearner(rounds=rounds)
    if kind == ModelKind.SCORECARD:
        return ScorecardLearner()
    raise ValueError(f"unknown model kind {kind!r}: boosting or scorecard")


@dataclass(frozen=True)
class Scored:
    probability: NDArray[np.float64]
    score: NDArray[np.int64]


@dataclass
class TrainedModel:
    fitted: Fitted
    calibrator: Calibrator
    scale: ScoreScale
    vocabularies: dict[str, tuple[str, ...]]
    profile: dict[str, Profile]
    """Training distribution of every feature and of the score, for PSI."""

    @property
    def kind(self) -> str:
        return self.fitted.kind

    @property
    def features(self) -> tuple[str, ...]:
        return self.fitted.features

    def score(self, table: FeatureTable) -> Scored:
        return self._scored(self.fitted.margin(table.select(self.features)))

    def contributions(self, table: FeatureTable) -> NDArray[np.float64]:
        return self.fitted.contributions(table.select(self.features))

    def explain(self, table: FeatureTable) -> tuple[Scored, NDArray[np.float64]]:
        """Scores and per-feature contributions (rows x features) in one pass of the model."""
        margin, contributions = self.fitted.explain(table.select(self.features))
        return self._scored(margin), contributions

    def _scored(self, margin: NDArray[np.float64]) -> Scored:
        probability = self.calibrator.probability(margin)
        if self.fitted.margin_is_score:
            return Scored(probability, np.rint(margin).astype(np.int64))
        return Scored(probability, self.scale.score(probability))

    def to_bytes(self) -> bytes:
        document = {
            "format": ARTIFACT_FORMAT,
            "features": list(self.features),
            "vocabularies": {k: list(v) for k, v in self.vocabularies.items()},
            "model": self.fitted.to_dict(),
            "calibrator": self.calibrator.to_dict(),
            "scale": vars(self.scale),
            "profile": {k: p.to_dict() for k, p in self.profile.items()},
        }
        return gzip.compress(json.dumps(document).encode(), mtime=0)

    @classmethod
    def from_bytes(cls, artifact: bytes) -> TrainedModel:
        document = json.loads(gzip.decompress(artifact))
        if document.get("format") != ARTIFACT_FORMAT:
            raise ValueError(f"model artifact format {document.get('format')!r} is not supported")
        features = tuple(document["features"])
        vocabularies = {k: tuple(v) for k, v in document["vocabularies"].items()}
        model = document["model"]
        fitted: Fitted
        if model["kind"] == ModelKind.BOOSTING:
            fitted = BoostedModel.from_dict(model, features, vocabularies)
        else:
            fitted = Scorecard.from_dict(model, features, vocabularies)
        return cls(
            fitted=fitted,
            calibrator=calibrator_from_dict(document["calibrator"]),
            scale=ScoreScale(**document["scale"]),
            vocabularies=vocabularies,
            profile={k: Profile.from_dict(p) for k, p in document["profile"].items()},
        )


def train(
    learner: Learner,
    table: FeatureTable,
    outcome: NDArray[np.int8],
    calibration: str = "platt",
    folds: int = 3,
    seed: int = 7,
    scale: ScoreScale | None = None,
) -> TrainedModel:
    """Fit the learner on every row, with a calibrator fitted on held-out margins."""
    held_out = np.zeros(table.rows)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, calibration_rows in splitter.split(table.values, outcome):
        partial = learner.fit(table.take(fit_rows), outcome[fit_rows])
        held_out[calibration_rows] = partial.margin(table.take(calibration_rows))
    calibrator = fit_calibrator(calibration, held_out, outcome)
    fitted = learner.fit(table, outcome)
    model = TrainedModel(fitted, calibrator, scale or ScoreScale(), dict(table.vocabularies), {})
    model.profile = build_profile(model, table)
    return model


def build_profile(model: TrainedModel, table: FeatureTable) -> dict[str, Profile]:
    profile = {name: Profile.fit(table.column(name), name in table.vocabularies) for name in model.features}
    profile["score"] = Profile.fit(model.score(table).score.astype(np.float64), categorical=False)
    return profile
