"""The calibration plot: predicted probability of paying against the share that paid."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_
from arrears.scoring.metrics import Metrics


def check_png(path: Path) -> None:
    """Refuse a plot file name that is not a PNG's, before any work is done."""
    if path.suffix.lower() != ".png":
        raise InvalidInputError(N_("{path}: the plot is a PNG image: name a .png file"), path=echo(path))


def calibration_plot(results: Mapping[str, Metrics], title: str, path: Path) -> Path:
    check_png(path)
    import matplotlib  # only where a chart is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5.5, 5.0), dpi=110)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    for label, metrics in results.items():
        predicted = [row.predicted for row in metrics.calibration]
        realised = [row.realised for row in metrics.calibration]
        axes.plot(predicted, realised, marker="o", label=f"{label} (AUC {metrics.auc:.3f})")
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
