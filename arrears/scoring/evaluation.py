"""Stratified k-fold cross-validation of the whole pipeline, training and calibration included.

Every figure (AUC, Brier, expected calibration error) is measured on held-out rows only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from arrears.scoring.frame import FeatureTable
from arrears.scoring.metrics import Metrics, measure
from arrears.scoring.trained_model import Learner, train


@dataclass(frozen=True)
class Evaluation:
    kind: str
    overall: Metrics
    fold_auc: list[float]
    segments: dict[str, Metrics]
    """The same held-out predictions measured on named subsets (e.g. accounts already late)."""
    held_out: NDArray[np.float64]


Segment = Callable[[FeatureTable], NDArray[np.bool_]]


def cross_validate(
    learner: Learner,
    table: FeatureTable,
    outcome: NDArray[np.int8],
    folds: int = 5,
    calibration: str = "platt",
    seed: int = 7,
    segments: Mapping[str, Segment] | None = None,
) -> Evaluation:
    """Each row's probability comes from a model that never saw it, in training or calibration."""
    held_out = np.zeros(table.rows)
    fold_auc = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(table.values, outcome):
        model = train(learner, table.take(train_rows), outcome[train_rows], calibration, seed=seed)
        held_out[test_rows] = model.score(table.take(test_rows)).probability
        fold_auc.append(float(roc_auc_score(outcome[test_rows], held_out[test_rows])))
    measured_segments = {}
    for name, segment in (segments or {}).items():
        members = segment(table)
        if members.any() and 0 < outcome[members].mean() < 1:
            measured_segments[name] = measure(held_out[members], outcome[members])
    return Evaluation(learner.kind, measure(held_out, outcome), fold_auc, measured_segments, held_out)


def already_late(table: FeatureTable) -> NDArray[np.bool_]:
    """Accounts at least one month late at the as-of date (PAY_0 ≥ 1 in the UCI data)."""
    return np.asarray(table.column("bucket_now") >= 1)
