"""Evaluation and scorecard reports as Rich tables (terminal) and Markdown (docs)."""

from __future__ import annotations

from collections.abc import Mapping
from statistics import mean, pstdev
from typing import Any

from rich.table import Table

from arrears.scoring.evaluation import Evaluation
from arrears.scoring.metrics import ECE_BINS, Binning, CalibrationRow, Metrics

FIGURE_COLUMNS = ("KS", "Brier", "ECE", "ECE width", "ECE floor")
ECE_NOTE = (
    f"ECE: expected calibration error, {ECE_BINS} equal-mass bins of predicted probability; "
    f"ECE width: {ECE_BINS} equal-width bins; ECE floor: the mean ECE of a perfectly calibrated "
    "model with these predictions (sampling noise alone)"
)


def metrics_record(evaluation: Evaluation) -> dict[str, Any]:
    """The figures kept with a model version (JSON-friendly), all on held-out rows."""
    return {
        "cv_folds": len(evaluation.fold_auc),
        "overall": figures_record(evaluation.overall, reliability=True),
        "fold_auc": evaluation.fold_auc,
        "segments": {name: figures_record(m) for name, m in evaluation.segments.items()},
    }


def figures_record(m: Metrics, *, reliability: bool = False) -> dict[str, Any]:
    record: dict[str, Any] = {
        "accounts": m.accounts,
        "paid_rate": m.paid_rate,
        "auc": m.auc,
        "ks": m.ks,
        "brier": m.brier,
        "ece": m.ece,
        "ece_equal_width": m.ece_equal_width,
        "ece_floor": m.ece_floor,
        "ece_bins": {"count": ECE_BINS, "binning": str(Binning.EQUAL_MASS)},
    }
    if reliability:
        record["reliability"] = [
            {"accounts": r.accounts, "predicted": r.predicted, "realised": r.realised} for r in m.calibration
        ]
        record["reliability_equal_width"] = [
            {"bin": r.group, "accounts": r.accounts, "predicted": r.predicted, "realised": r.realised}
            for r in m.calibration_equal_width
        ]
    return record


def metrics_of_record(record: Mapping[str, Any]) -> Metrics:
    """The figures of :func:`figures_record` (with the reliability tables) read back, as a
    reliability diagram of a stored model draws them."""
    by_mass = [
        CalibrationRow(number, int(r["accounts"]), float(r["predicted"]), float(r["realised"]))
        for number, r in enumerate(record["reliability"], start=1)
    ]
    by_width = [
        CalibrationRow(int(r["bin"]), int(r["accounts"]), float(r["predicted"]), float(r["realised"]))
        for r in record.get("reliability_equal_width", [])
    ]
    return Metrics(
        accounts=int(record["accounts"]),
        paid_rate=float(record["paid_rate"]),
        auc=float(record["auc"]),
        ks=float(record["ks"]),
        brier=float(record["brier"]),
        ece=float(record["ece"]),
        ece_equal_width=float(record["ece_equal_width"]),
        ece_floor=float(record["ece_floor"]),
        calibration=by_mass,
        calibration_equal_width=by_width,
    )


def held_out_line(metrics: dict[str, Any]) -> str:
    """A stored version's held-out figures in one line ("" when it was trained without CV)."""
    overall = metrics.get("overall") or {}
    if "auc" not in overall:
        return ""
    parts = [f"{metrics.get('cv_folds', '?')}-fold CV: AUC {overall['auc']:.4f}"]
    if "brier" in overall:
        parts.append(f"Brier {overall['brier']:.4f}")
    if "ece" in overall:
        parts.append(
            f"ECE {overall['ece']:.4f} ({ECE_BINS} equal-mass bins; noise floor {overall['ece_floor']:.4f})"
        )
    return ", ".join(parts)


def summary_table(evaluations: Mapping[str, Evaluation]) -> Table:
    table = Table(title="cross-validated (held-out) results", caption=ECE_NOTE)
    for column in ("model", "subset", "accounts", "paid", "ROC AUC", "fold AUC", *FIGURE_COLUMNS):
        table.add_column(column, justify="left" if column in ("model", "subset") else "right")
    for name, evaluation in evaluations.items():
        spread = f"{mean(evaluation.fold_auc):.4f} ± {pstdev(evaluation.fold_auc):.4f}"
        overall = _figures(evaluation.overall)
        table.add_row(name, "all", *overall[:3], spread, *overall[3:])
        for segment, metrics in evaluation.segments.items():
            figures = _figures(metrics)
            table.add_row(name, segment, *figures[:3], "", *figures[3:])
    return table


def _figures(m: Metrics) -> list[str]:
    return [
        f"{m.accounts:,}",
        f"{m.paid_rate:.1%}",
        f"{m.auc:.4f}",
        f"{m.ks:.4f}",
        f"{m.brier:.4f}",
        f"{m.ece:.4f}",
        f"{m.ece_equal_width:.4f}",
        f"{m.ece_floor:.4f}",
    ]


def calibration_table(name: str, metrics: Metrics) -> Table:
    table = Table(
        title=f"calibration, {name}: deciles of predicted probability of paying (ECE {metrics.ece:.4f})"
    )
    for column in ("decile", "accounts", "predicted", "paid", "gap"):
        table.add_column(column, justify="right")
    for row in metrics.calibration:
        table.add_row(
            str(row.group),
            f"{row.accounts:,}",
            f"{row.predicted:.3f}",
            f"{row.realised:.3f}",
            f"{row.realised - row.predicted:+.3f}",
        )
    return table


def scorecard_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="scorecard: points per attribute (score = sum of points)")
    for column in ("feature", "bin", "accounts", "paid", "WOE", "points"):
        table.add_column(column, justify="left" if column in ("feature", "bin") else "right")
    previous = None
    for row in rows:
        shown = row["feature"] if row["feature"] != previous else ""
        previous = row["feature"]
        table.add_row(
            shown,
            row["bin"],
            f"{row['count']:,}",
            f"{row['pay_rate']:.1%}",
            f"{row['woe']:+.3f}",
            str(row["points"]),
        )
    return table


def markdown_summary(evaluations: Mapping[str, Evaluation]) -> str:
    lines = [
        "| model | subset | accounts | paid | ROC AUC | fold AUC (mean ± sd) | "
        + " | ".join(FIGURE_COLUMNS)
        + " |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, evaluation in evaluations.items():
        spread = f"{mean(evaluation.fold_auc):.4f} ± {pstdev(evaluation.fold_auc):.4f}"
        lines.append(
            f"| {name} | all | "
            + " | ".join(_figures(evaluation.overall)[:3])
            + f" | {spread} | "
            + " | ".join(_figures(evaluation.overall)[3:])
            + " |"
        )
        for segment, m in evaluation.segments.items():
            lines.append(
                f"| {name} | {segment} | "
                + " | ".join(_figures(m)[:3])
                + " | | "
                + " | ".join(_figures(m)[3:])
                + " |"
            )
    return "\n".join(lines)


def markdown_calibration(evaluations: Mapping[str, Evaluation]) -> str:
    names = list(evaluations)
    header = "| decile | " + " | ".join(f"{n} predicted | {n} paid" for n in names) + " |"
    lines = [header, "| ---: |" + " ---: | ---: |" * len(names)]
    rows = zip(*(evaluations[n].overall.calibration for n in names), strict=True)
    for group in rows:
        cells = " | ".join(f"{r.predicted:.3f} | {r.realised:.3f}" for r in group)
        lines.append(f"| {group[0].group} | {cells} |")
    return "\n".join(lines)


def markdown_scorecard(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| feature | bin | accounts | paid | WOE | points |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['feature']} | {row['bin']} | {row['count']:,} | {row['pay_rate']:.1%} "
            f"| {row['woe']:+.3f} | {row['points']} |"
        )
    return "\n".join(lines)
