"""The simulation runs kept (issue #15 §6): the list, and one run's report — the table
``arrears sim strategy`` printed, the experiment's size, the chart of the amounts collected,
both documents as simulated, each linked to its stored version when there is one.

Thin, like the API's routes (GET /api/v1/simulations[/{id}]): the page declares
``simulation.read`` and calls :mod:`arrears.strategy.simulations`, which checks it again. The
report is drawn again from the stored comparison in the reader's language
(:mod:`arrears.strategy.simulation.report`), the chart an SVG inline without script.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.strategy import simulations
from arrears.strategy.models import SimulationRun
from arrears.strategy.simulation import report
from arrears.web import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(page_requires(Permission.SIMULATION_READ))]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE = 50


def _headline(row: SimulationRun, language: str) -> dict[str, str]:
    """The net of cost per account: the difference, its interval and the reading, for the list."""
    line = simulations.comparison_of(row).line("net")
    return {
        "difference": report.shown(line.result.difference, line.measure.unit),
        "interval": report.interval(line),
        "better": line.better or "",
    }


@router.get("/simulations", response_class=HTMLResponse)
def simulations_page(
    request: Request,
    session: DatabaseSession,
    principal: Reader,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The runs kept, newest first, 50 a page (``?before=ID``: the older ones)."""
    language = render.language_of(request)
    rows = simulations.runs(session, principal, before=before, limit=PAGE + 1)
    context = {
        "rows": rows[:PAGE],
        "older": rows[PAGE - 1].id if len(rows) > PAGE else None,
        "headlines": {row.id: _headline(row, language) for row in rows[:PAGE]},
        "may_read_strategies": principal.may(Permission.STRATEGY_READ),
    }
    return render.render(request, "simulations.html", context)


def _chart(run: SimulationRun, language: str) -> Markup:
    svg = report.chart(simulations.comparison_of(run), language, inline=True)
    label = escape(report.chart_title(language))
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


@router.get("/simulations/{run_id}", response_class=HTMLResponse)
def simulation_page(request: Request, session: DatabaseSession, principal: Reader, run_id: RunId) -> Response:
    """One run's report (the same service as GET /api/v1/simulations/{id})."""
    language = render.language_of(request)
    run = simulations.run(session, principal, run_id)
    comparison = simulations.comparison_of(run)
    context: dict[str, Any] = {
        "run": run,
        "headers": report.headers(language),
        "rows": report.rows(comparison, language),
        "keys": [line.measure.key for line in comparison.lines],
        "sizing": report.sizing(comparison, language),
        "chart": _chart(run, language),
        "may_read_strategies": principal.may(Permission.STRATEGY_READ),
    }
    return render.render(request, "simulation.html", context)
