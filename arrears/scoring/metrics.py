"""Discrimination and calibration measures of predicted probabilities of paying."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score, roc_curve

Vector = NDArray[np.float64]


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
    calibration: list[CalibrationRow]


def measure(probability: Vector, outcome: NDArray[np.int8], groups: int = 10) -> Metrics:
    false_positive, true_positive, _ = roc_curve(outcome, probability)
    return Metrics(
        accounts=int(outcome.size),
        paid_rate=float(outcome.mean()),
        auc=float(roc_auc_score(outcome, probability)),
        ks=float(np.max(true_positive - false_positive)),
        brier=float(np.mean((probability - outcome) ** 2)),
        calibration=calibration_table(probability, outcome, groups),
    )


def calibration_table(
    probability: Vector, outcome: NDArray[np.int8], groups: int = 10
) -> list[CalibrationRow]:
    """Accounts in equal-sized groups by predicted probability, lowest first."""
    order = np.argsort(probability, kind="stable")
    rows = []
    for number, members in enumerate(np.array_split(order, groups), start=1):
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
