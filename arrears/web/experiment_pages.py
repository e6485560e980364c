"""The strategy analyst's evidence pages: an experiment's report (each arm's outcomes with their
intervals, each challenger against the control, the sequential test read every day, the power)
with the committee's decisions and the form to decide; and the latest night's fairness report.

Thin, like the API's routes: the same services as GET /api/v1/experiments/{code}/report and
GET /api/v1/strategy-fairness (``arrears.strategy.service``). The charts are SVG drawn on the
server by pygal, inline and without script, as on the dashboard (:mod:`arrears.web.dashboard`),
each with its figures in a table beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import pygal
from babel.numbers import format_percent
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now, today
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.auth.service import new_secret
from arrears.charts import grouped_numbers, inline_svg, page_chart_config, short_day
from arrears.errors import ArrearsError, InvalidInputError
from arrears.i18n import N_, translate
from arrears.strategy import service, statistics
from arrears.strategy.document import CODE
from arrears.strategy.experiments import LOWER_IS_BETTER, RATES, ExperimentReport, evidence
from arrears.strategy.fairness import MEASURES
from arrears.web import once, render
from arrears.web.strategy_pages import attempt
from arrears.web.supervise import names_of

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(page_requires(Permission.STRATEGY_READ))]
Approver = Annotated[Principal, Depends(page_requires(Permission.STRATEGY_APPROVE))]
ExperimentCode = Annotated[str, Path(pattern=CODE, max_length=64)]
Horizon = Annotated[int, Query(ge=1, le=365)]
Effect = Annotated[str, Query(max_length=10)]

RATE_WORDS = {
    "cured": N_("Cured"),
    "rolled_forward": N_("Rolled forward"),
    "promise_kept": N_("Promise kept"),
    "complained": N_("Complained"),
    "opted_out": N_("Opted out"),
}
HINTS = {
    "keep_running": N_("keep running"),
    "challenger_better": N_("challenger better"),
    "challenger_worse": N_("challenger worse"),
    "no_difference": N_("no difference at this power"),
}
REASONS = {
    "sequential_test_rejected": N_("the sequential test rejected no difference"),
    "effect_ruled_out": N_("an effect as large as the minimum is ruled out"),
    "planned_size_reached": N_("both arms hold the planned accounts, without a verdict"),
    "collecting": N_("the arms are still short of the planned accounts"),
}
OUTCOMES = {
    "promote": N_("Promote an arm"),
    "keep_champion": N_("Keep the champion"),
    "extend": N_("Extend the experiment"),
}
MEASURE_WORDS = {
    "contacted": N_("Contacted"),
    "escalated": N_("Escalated"),
    "high_risk": N_("High-risk band"),
}
ATTRIBUTE_WORDS = {"age": N_("Age band"), "region": N_("Region")}
DEFAULT_EFFECT = Decimal("0.02")


def _effect(text: str | None) -> Decimal:
    """The minimum effect of the power plan from the query: a rate difference in (0, 0.5)."""
    try:
        value = Decimal(text) if text else DEFAULT_EFFECT
    except InvalidOperation:
        value = Decimal(-1)
    if not Decimal(0) < value < Decimal("0.5"):
        raise InvalidInputError(N_("The minimum effect is a rate difference between 0 and 0.5, like 0.02"))
    return value


def _percent(value: Decimal) -> float:
    return float(value * 100)


def percent_of(language: str) -> Callable[[Decimal | str | None], str]:
    """A rate (0 to 1, a Decimal or its text) as the reader's locale writes a percentage, one decimal."""
    locale = language.replace("-", "_")

    def shown(value: Decimal | str | None) -> str:
        if value is None:
            return "—"
        return format_percent(Decimal(value), format="#,##0.0%", locale=locale)

    return shown


# --- the experiment ---------------------------------------------------------------------------


def _report(
    request: Request, session: Session, principal: Principal, code: str, horizon: int, effect: Decimal
) -> ExperimentReport:
    return service.experiment_report(
        session,
        principal,
        code,
        bank=service.bank_of(request.app.state.context.settings),
        horizon_days=horizon,
        minimum_effect=effect,
        as_of=today(request),
    )


def rate_chart(found: ExperimentReport, language: str) -> Markup | None:
    """Each rate per arm as a bar, its Wilson 95% interval as the bar's whisker (in %)."""
    arms = [a for a in found.arms if a.rates]
    if not arms:
        return None
    title = translate(N_("Rates per arm, with 95% intervals (%)"), language)
    top = max(_percent(a.rates[r].upper) for a in arms for r in RATES)
    chart = pygal.Bar(
        page_chart_config(title, x_labels_major_every=1, range=(0, max(1.0, top))),
        x_labels=[translate(RATE_WORDS[r], language) for r in RATES],
        value_formatter=grouped_numbers(language),
    )
    for arm in arms:
        chart.add(
            arm.arm,
            [
                {
                    "value": _percent(arm.rates[r].rate),
                    "ci": {"low": _percent(arm.rates[r].lower), "high": _percent(arm.rates[r].upper)},
                }
                for r in RATES
            ],
        )
    return inline_svg(chart)


def difference_chart(found: ExperimentReport, language: str) -> Markup | None:
    """Each challenger's cure-rate difference from the control at every daily look, with the
    always-valid interval (points), so the reader sees the evidence grow as members mature."""
    compared = [c for c in found.comparisons if c.daily]
    if not compared:
        return None
    days = sorted({day for c in compared for day, _ in c.daily})
    title = translate(N_("Cure rate: challenger minus control, by day (points)"), language)
    chart = pygal.Line(
        page_chart_config(title, x_labels_major_every=max(1, len(days) // 10)),
        x_labels=[short_day(day, language) for day in days],
        value_formatter=grouped_numbers(language),
    )
    for c in compared:
        at = dict(c.daily)
        chart.add(c.arm, [_percent(at[d].difference) if d in at else None for d in days])
        low = translate(N_("{arm}: always-valid lower bound"), language, arm=c.arm)
        high = translate(N_("{arm}: always-valid upper bound"), language, arm=c.arm)
        chart.add(
            low, [_percent(at[d].lower) if d in at else None for d in days], stroke_style={"dasharray": "4,3"}
        )
        chart.add(
            high,
            [_percent(at[d].upper) if d in at else None for d in days],
            stroke_style={"dasharray": "4,3"},
        )
    return inline_svg(chart)


def power_of(found: ExperimentReport, effect: Decimal) -> list[dict[str, Any]]:
    """Per challenger: the accounts the plan asks for per arm, those matured, and the power now to
    find the minimum effect over the control's cure rate (a fixed-horizon figure)."""
    shown = []
    members = {a.arm: a.members for a in found.arms}
    for c in found.comparisons:
        if c.cure is None:
            continue
        plan = c.cure.plan
        control, challenger = members.get(found.control, 0), members.get(c.arm, 0)
        power = None
        if control and challenger:
            power = statistics.power_proportions(
                plan.control_rate, plan.challenger_rate, control, challenger, plan.alpha
            )
        shown.append(
            {
                "arm": c.arm,
                "needed_control": plan.control,
                "needed_challenger": plan.challenger,
                "control": control,
                "challenger": challenger,
                "power": power,
                "effect": effect,
            }
        )
    return shown


def _experiment_page(
    request: Request,
    session: Session,
    principal: Principal,
    code: str,
    horizon: int,
    effect: Decimal,
    *,
    refused: ArrearsError | None = None,
    values: dict[str, str] | None = None,
    done: bool = False,
) -> Response:
    language = render.language_of(request)
    found = _report(request, session, principal, code, horizon, effect)
    decisions = service.experiment_decisions(session, principal, code)
    context = {
        "found": found,
        "horizon": horizon,
        "effect": effect,
        "rates": RATES,
        "rate_words": RATE_WORDS,
        "lower_is_better": LOWER_IS_BETTER,
        "hints": HINTS,
        "reasons": REASONS,
        "outcomes": OUTCOMES,
        "charts": {"rates": rate_chart(found, language), "difference": difference_chart(found, language)},
        "power": power_of(found, effect),
        "decisions": decisions,
        "names": names_of(session, {d.decided_by for d in decisions}),
        "may_decide": principal.may(Permission.STRATEGY_APPROVE),
        "values": values or {},
        "problem": refused.message(language) if refused else None,
        "done": done,
        "form_key": new_secret,
        "minor": lambda value: None if value is None else int(value.to_integral_value()),
        "pct": percent_of(language),
    }
    status = refused.http_status if refused else 200
    return render.render(request, "experiment.html", context, status=status)


@router.get("/experiments/{code}", response_class=HTMLResponse)
def experiment_page(
    request: Request,
    session: DatabaseSession,
    principal: Reader,
    code: ExperimentCode,
    horizon: Horizon = 30,
    minimum_effect: Effect = "0.02",
    done: Annotated[bool, Query()] = False,
) -> Response:
    """An experiment's report (the same service as GET /api/v1/experiments/{code}/report): per
    arm the accounts, rates with Wilson intervals and amounts per account; per challenger the
    Newcombe intervals, the BCa interval of the net amounts, the sequential test's verdict and
    the power; the decisions recorded, and the form to decide for who may."""
    effect = _effect(minimum_effect)
    return _experiment_page(request, session, principal, code, horizon, effect, done=done)


@router.post("/experiments/{code}/decide")
def decide_experiment(
    request: Request,
    session: DatabaseSession,
    principal: Approver,
    code: ExperimentCode,
    outcome: Annotated[str, Form(max_length=20)] = "",
    arm: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    horizon: Annotated[int, Form(ge=1, le=365)] = 30,
    minimum_effect: Annotated[str, Form(max_length=10)] = "0.02",
    idempotency_key: once.Key = "",
) -> Response:
    """Record the committee's decision with the report it rests on, as shown (the same service
    as ``arrears strategy experiment decide``); promoting an arm is then a new version."""
    effect = _effect(minimum_effect)
    values = {"outcome": outcome, "arm": arm, "note": note}

    def work() -> str:
        if not note.strip():
            raise InvalidInputError(N_("Say why, for the record"))
        shown = _report(request, session, principal, code, horizon, effect)
        service.decide_experiment(
            session,
            principal,
            code,
            outcome=outcome,
            arm=(arm or None) if outcome == "promote" else None,
            note=note.strip(),
            evidence=evidence(shown),
            now=now(request),
        )
        return f"/experiments/{code}?horizon={horizon}&minimum_effect={effect}&done=true"

    target = attempt(request, session, principal, idempotency_key, values | {"code": code}, work)
    if isinstance(target, ArrearsError):
        return _experiment_page(
            request, session, principal, code, horizon, effect, refused=target, values=values
        )
    return RedirectResponse(target, status_code=303)


# --- fairness ---------------------------------------------------------------------------------


def fairness_charts(report: dict[str, Any], language: str) -> dict[str, Markup]:
    """Per attribute, each group's ratio to the reference group for each measure, with its 95%
    interval as the whisker (a ratio outside 0.8 to 1.25 is flagged)."""
    charts = {}
    for attribute, by_measure in report.get("measures", {}).items():
        groups = [r["group"] for r in next(iter(by_measure.values()), [])]
        words = translate(ATTRIBUTE_WORDS.get(attribute, attribute), language)
        title = translate(
            N_("{attribute}: ratio to the reference group, with 95% intervals"), language, attribute=words
        )
        bars = [_ratio_bar(r) for ratios in by_measure.values() for r in ratios]
        top = max([b["ci"]["high"] if "ci" in b else b["value"] for b in bars if b] + [1.25])
        chart = pygal.Bar(page_chart_config(title, x_labels_major_every=1, range=(0, top)), x_labels=groups)
        for measure in MEASURES:
            chart.add(
                translate(MEASURE_WORDS[measure], language),
                [_ratio_bar(r) for r in by_measure.get(measure, [])],
            )
        charts[attribute] = inline_svg(chart)
    return charts


def _ratio_bar(ratio: dict[str, Any]) -> dict[str, Any] | None:
    if ratio["ratio"] is None:
        return None
    bar: dict[str, Any] = {"value": float(Decimal(ratio["ratio"]))}
    if ratio["lower"] is not None and ratio["upper"] is not None:
        bar["ci"] = {"low": float(Decimal(ratio["lower"])), "high": float(Decimal(ratio["upper"]))}
    return bar


@router.get("/strategy-fairness", response_class=HTMLResponse)
def fairness_page(request: Request, session: DatabaseSession, principal: Reader) -> Response:
    """The latest night's fairness report (the same service as GET /api/v1/strategy-fairness):
    per protected attribute the data holds, each group's share contacted, escalated and in the
    worst score bands, its ratio to the largest group with Katz's interval, and the four-fifths
    flag; a chart of the ratios."""
    found = service.fairness_report(session, principal, today(request))
    language = render.language_of(request)
    night, report = found if found is not None else (None, {})
    context = {
        "night": night,
        "report": report,
        "measures": MEASURES,
        "measure_words": MEASURE_WORDS,
        "attribute_words": ATTRIBUTE_WORDS,
        "charts": fairness_charts(report, language) if report else {},
        "pct": percent_of(language),
        "number": Decimal,
    }
    return render.render(request, "fairness.html", context)
