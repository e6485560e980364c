"""Calibration plots: predicted probability of paying against the share that paid.

``calibration_plot`` draws the deciles of each model as a line; ``reliability_diagram`` is the
fuller picture a strategy owner reads: the equal-mass bins with a 95 % interval for the share
that paid, the ECE in the legend, and below them how many accounts fall in each equal-width
bin of predicted probability (where the model puts its accounts).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_
from arrears.scoring.metrics import ECE_BINS, Metrics


def check_png(path: Path) -> None:
    """Refuse a plot file name that is not a PNG's, before any work is done."""
    if path.suffix.lower() != ".png":
        raise InvalidInputError(N_("{path}: the plot is a PNG image: name a .png file"), path=echo(path))


def beside(path: Path, suffix: str) -> Path:
    """A second plot's file beside the first: calibration.png → calibration-reliability.png."""
    return path.with_name(f"{path.stem}-{suffix}{path.suffix}")


def _pyplot() -> Any:
    import matplotlib  # only where a chart is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_plot(results: Mapping[str, Metrics], title: str, path: Path) -> Path:
    check_png(path)
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5.5, 5.0), dpi=110)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    for label, metrics in results.items():
        predicted = [row.predicted for row in metrics.calibration]
        realised = [row.realised for row in metrics.calibration]
        shown = f"{label} (AUC {metrics.auc:.3f}, ECE {metrics.ece:.3f})"
        axes.plot(predicted, realised, marker="o", label=shown)
    axes.set_xlabel("predicted probability of paying (decile mean)")
    axes.set_ylabel("share that paid")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper left", fontsize=8)
    axes.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def reliability_diagram(results: Mapping[str, Metrics], title: str, path: Path) -> Path:
    """Predicted against observed per equal-mass bin (with 95 % intervals), and bin counts below."""
    check_png(path)
    plt = _pyplot()
    figure, (upper, lower) = plt.subplots(
        2, 1, figsize=(5.5, 6.4), dpi=100, sharex=True, gridspec_kw={"height_ratios": [3, 1.2]}
    )
    upper.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfectly calibrated")
    width = 1.0 / ECE_BINS
    shift = width / (len(results) + 1)
    first = (width - shift * len(results)) / 2
    for number, (label, metrics) in enumerate(results.items()):
        predicted = np.array([row.predicted for row in metrics.calibration])
        realised = np.array([row.realised for row in metrics.calibration])
        accounts = np.array([row.accounts for row in metrics.calibration], dtype=np.float64)
        half = 1.96 * np.sqrt(np.clip(realised * (1 - realised), 1e-12, None) / accounts)
        upper.errorbar(
            predicted,
            realised,
            yerr=half,
            marker="o",
            markersize=4,
            capsize=2,
            linewidth=1,
            label=f"{label}: AUC {metrics.auc:.3f}, ECE {metrics.ece:.3f} (floor {metrics.ece_floor:.3f})",
        )
        left = np.array([(row.group - 1) * width for row in metrics.calibration_equal_width])
        counts = [row.accounts for row in metrics.calibration_equal_width]
        lower.bar(left + first + shift * number, counts, width=shift, align="edge", label=label)
    upper.set_ylabel("share that paid (95% interval)")
    upper.set_xlim(0, 1)
    upper.set_ylim(0, 1)
    upper.set_title(title, fontsize=9)
    upper.legend(loc="upper left", fontsize=7)
    upper.grid(alpha=0.3)
    lower.set_xlabel(f"predicted probability of paying (points: {ECE_BINS} equal-mass bins)")
    lower.set_yscale("log")  # the tail of low probabilities is small beside the bulk
    lower.set_ylabel("accounts per 0.1\nof probability (log)", fontsize=8)
    lower.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
