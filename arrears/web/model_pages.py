"""The model registry's pages (模型登记, issue #15 §5): every version by purpose with its headline
figures, and one version's figures — its calibration error beside its AUC, and its reliability
diagram (predicted against paid per equal-mass bin, with each bin's 95% interval) drawn from the
reliability table kept when it was trained; an uplift model's Qini, bands and both arms, how
its persuadable threshold was set, and its drift on the latest night that scored with it (PSI per
variable against its training sample, :mod:`arrears.strategy.uplift_drift`).

Thin, like the API's routes (GET /api/v1/models[/{purpose}/{version}]): the page declares
``model.read`` and calls :mod:`arrears.scoring.model_registry`, which checks it again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import pygal
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.charts import PALETTE, inline_svg, page_chart_config, page_style, short_day
from arrears.i18n import N_, translate
from arrears.scoring import model_registry
from arrears.scoring.models import ModelVersion
from arrears.scoring.uplift import KIND as UPLIFT_KIND
from arrears.strategy import uplift_drift
from arrears.strategy.uplift_thresholds import sentence
from arrears.web import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(page_requires(Permission.MODEL_READ))]
PURPOSE = r"^[a-z][a-z0-9_]{0,63}$"
PurposePath = Annotated[str, Path(pattern=PURPOSE)]
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
ARMS = {"treated": N_("contacted (treated)"), "control": N_("not contacted (control)")}
HELD_OUT = N_("held out")
DRIFT_NIGHTS = 60
"""The nights the drift chart draws at most (the API gives up to a year)."""
SERIES_COLOURS = (PALETTE[0], PALETTE[3])
"""A series' dots and its intervals in one colour (the diagonal grey)."""


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, session: DatabaseSession, principal: Reader) -> Response:
    """Every version by purpose, newest first (the same service as GET /api/v1/models)."""
    rows = model_registry.versions(session, principal)
    context = {"rows": rows, "headlines": {row.id: model_registry.headline(row) for row in rows}}
    return render.render(request, "models.html", context)


@router.get("/models/{purpose}/{version}", response_class=HTMLResponse)
def model_page(
    request: Request, session: DatabaseSession, principal: Reader, purpose: PurposePath, version: VersionPath
) -> Response:
    """One version's figures and reliability diagram (GET /api/v1/models/{purpose}/{version})."""
    language = render.language_of(request)
    row = model_registry.version(session, principal, purpose, version)
    series = _reliability_series(row, language)
    uplift = row.kind == UPLIFT_KIND
    metrics = row.metrics or {}
    context: dict[str, Any] = {
        "row": row,
        "uplift": uplift,
        "metrics": metrics,
        "series": series,
        "chart": _chart(series, language) if series else None,
        "arm_names": {arm: translate(name, language) for arm, name in ARMS.items()},
    }
    if uplift:
        nights = uplift_drift.nights(session, principal, row.version, DRIFT_NIGHTS)
        context |= {
            "threshold_basis": sentence(metrics.get("threshold_basis"), language),
            "drift": nights[0] if nights else None,
            "drift_chart": drift_chart(nights, language),
            "watched": bool(metrics.get("profile")),
            "stability_names": {k: translate(v, language) for k, v in uplift_drift.STABILITY.items()},
            "variable_names": {k: translate(v, language) for k, v in uplift_drift.VARIABLES.items()},
        }
    return render.render(request, "model.html", context)


def _reliability_series(row: ModelVersion, language: str) -> dict[str, list[Mapping[str, Any]]]:
    """Each series' equal-mass bins, by its name in the reader's language: the held-out rows of a
    scoring model, or each arm of an uplift model (out of fold)."""
    metrics = row.metrics or {}
    if row.kind == UPLIFT_KIND:
        arms = metrics.get("calibration") or {}
        return {
            translate(ARMS.get(arm, arm), language): found["reliability"]
            for arm, found in arms.items()
            if found.get("reliability")
        }
    overall = metrics.get("overall") or {}
    return {translate(HELD_OUT, language): overall["reliability"]} if overall.get("reliability") else {}


def chart_title(language: str) -> str:
    return translate(N_("Reliability: predicted chance of paying against the share that paid"), language)


def _chart(series: Mapping[str, list[Mapping[str, Any]]], language: str) -> Markup:
    """Predicted against paid per bin (a dot per bin, its 95% interval as a bar), the diagonal of
    perfect calibration beside: an SVG with no script, drawn in the reader's language."""
    chart = pygal.XY(
        js=[],
        disable_xml_declaration=True,
        title=chart_title(language),
        x_title=translate(N_("predicted chance of paying"), language),
        y_title=translate(N_("share that paid"), language),
        range=(0, 1),
        xrange=(0, 1),
        width=640,
        height=400 + 24 * (1 + 2 * len(series)),  # the legend: a line per series
        legend_at_bottom=True,
        legend_at_bottom_columns=1,  # pygal clips the last row of several columns
        stroke=False,
        dots_size=4,
        truncate_legend=-1,
        style=page_style(("#9aa5b1", *(c for c in SERIES_COLOURS for _dots_then_interval in range(2)))),
    )
    chart.add(translate(N_("perfectly calibrated"), language), [(0, 0), (1, 1)], stroke=True, show_dots=False)
    for name, bins in series.items():
        points, bars = [], []
        for found in bins:
            predicted, paid, accounts = (
                float(found["predicted"]),
                float(found["realised"]),
                int(found["accounts"]),
            )
            half = 1.96 * math.sqrt(max(paid * (1 - paid), 1e-12) / max(accounts, 1))
            points.append((predicted, paid))
            bars += [(predicted, max(paid - half, 0.0)), (predicted, min(paid + half, 1.0)), None]
        chart.add(name, points)
        interval = translate(N_("{name}: 95% interval"), language, name=name)
        chart.add(interval, bars, stroke=True, show_dots=False, allow_interruptions=True)
    return inline_svg(chart)


def drift_title(language: str) -> str:
    return translate(N_("PSI of each variable, night by night"), language)


def drift_chart(nights: Sequence[uplift_drift.NightDrift], language: str) -> Markup | None:
    """Each variable's PSI on the nights that judged it (the latest ``DRIFT_NIGHTS``), oldest first,
    with the warning and alert levels as dashed lines; None with fewer than two judged nights."""
    judged = [night for night in reversed(nights) if night.drift.get("variables")]
    if len(judged) < 2:
        return None
    by_night = [{v["name"]: v["psi"] for v in night.drift["variables"]} for night in judged]
    psi = {name: [found.get(name) for found in by_night] for name in sorted(set().union(*by_night))}
    latest = judged[-1].drift
    chart = pygal.Line(
        page_chart_config(
            drift_title(language),
            x_labels_major_every=max(1, len(judged) // 10),
            show_y_guides=False,  # the warning and alert levels are the lines to read against
            legend_at_bottom_columns=2,
        ),
        x_labels=[short_day(night.as_of, language) for night in judged],
    )
    for name, values in psi.items():
        words = translate(uplift_drift.VARIABLES[name], language) if name in uplift_drift.VARIABLES else name
        chart.add(f"{words} {name}", values)
    for level, label in ((latest["warn"], N_("warning")), (latest["alert"], N_("alert"))):
        chart.add(
            translate(label, language),
            [level] * len(judged),
            stroke_style={"dasharray": "4,3"},
            show_dots=False,
        )
    return inline_svg(chart)
