"""The calibration plot: predicted probability of paying against the share that paid."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from arrears.scoring.metrics import Metrics


def calibration_plot(results: Mapping[str, Metrics], title: str, path: Path) -> Path:
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
