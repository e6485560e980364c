"""Calibrators: a model's margin (log-odds or points) to a probability, fitted on held-out data.

Both keep their fitted state as plain numbers so a model version stores them as JSON.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

Vector = NDArray[np.float64]


class Calibrator(Protocol):
    method: str

    def probability(self, margin: Vector) -> Vector: ...

    def to_dict(self) -> dict[str, Any]: ...


class IsotonicCalibrator:
    """A monotone step function, interpolated between its knots; never exactly 0 or 1."""

    method = "isotonic"

    def __init__(self, knots_x: Vector, knots_y: Vector) -> None:
        self.knots_x = knots_x
        self.knots_y = np.clip(knots_y, 1e-4, 1 - 1e-4)

    @classmethod
    def fit(cls, margin: Vector, outcome: NDArray[np.int8]) -> IsotonicCalibrator:
        isotonic = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        isotonic.fit(margin, outcome)
        return cls(np.asarray(isotonic.X_thresholds_, float), np.asarray(isotonic.y_thresholds_, float))

    def probability(self, margin: Vector) -> Vector:
        return np.interp(margin, self.knots_x, self.knots_y)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "x": self.knots_x.tolist(), "y": self.knots_y.tolist()}


class PlattCalibrator:
    """A logistic curve on the margin: p = 1 / (1 + exp(-(slope * margin + intercept)))."""

    method = "platt"

    def __init__(self, slope: float, intercept: float) -> None:
        self.slope = slope
        self.intercept = intercept

    @classmethod
    def fit(cls, margin: Vector, outcome: NDArray[np.int8]) -> PlattCalibrator:
        logistic = LogisticRegression(C=1e6)
        logistic.fit(margin.reshape(-1, 1), outcome)
        return cls(float(logistic.coef_[0, 0]), float(logistic.intercept_[0]))

    def probability(self, margin: Vector) -> Vector:
        return 1.0 / (1.0 + np.exp(-(self.slope * margin + self.intercept)))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "slope": self.slope, "intercept": self.intercept}


def fit_calibrator(method: str, margin: Vector, outcome: NDArray[np.int8]) -> Calibrator:
    if method == "isotonic":
        return IsotonicCalibrator.fit(margin, outcome)
    if method == "platt":
        return PlattCalibrator.fit(margin, outcome)
    raise ValueError(f"unknown calibration {method!r}: isotonic or platt")


def calibrator_from_dict(data: dict[str, Any]) -> Calibrator:
    if data["method"] == "isotonic":
        return IsotonicCalibrator(np.asarray(data["x"], float), np.asarray(data["y"], float))
    if data["method"] == "platt":
        return PlattCalibrator(float(data["slope"]), float(data["intercept"]))
    raise ValueError(f"unknown calibration {data['method']!r}")
