"""Champion against challenger over the same simulated customers: each measure per account, the
difference and its 95% interval (paired: the customers and their luck are the same in both runs,
:func:`arrears.strategy.statistics.paired_mean_difference`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from arrears.charts import script_free_svg
from arrears.i18n import N_, translate
from arrears.money import format_major
from arrears.strategy.simulation.population import CURRENCY
from arrears.strategy.simulation.run import Outcome
from arrears.strategy.statistics import (
    PairedDifference,
    paired_mean_difference,
    rate_nearest,
    sample_size_proportions,
)

Values = Callable[[Outcome], npt.NDArray[np.int64]]


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    """A catalogue message (N_)."""
    unit: str
    """``money`` (minor units per account), ``rate`` (a share of accounts) or ``per_1000``."""
    values: Values
    higher_is_better: bool


def _count(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    return flags.astype(np.int64)


MEASURES = (
    Measure("collected", N_("collected per account"), "money", lambda o: o.collected, True),
    Measure("cost", N_("cost per account"), "money", lambda o: o.cost, False),
    Measure("net", N_("net of cost per account"), "money", lambda o: o.collected - o.cost, True),
    Measure("cured", N_("cure rate"), "rate", lambda o: _count(o.cured), True),
    Measure("rolled", N_("roll-forward rate"), "rate", lambda o: _count(o.rolled), False),
    Measure("promises", N_("promises per 1,000 accounts"), "per_1000", lambda o: o.promises, True),
    Measure("kept", N_("promises kept per 1,000 accounts"), "per_1000", lambda o: o.kept, True),
    Measure("complaints", N_("complaints per 1,000 accounts"), "per_1000", lambda o: o.complaints, False),
    Measure(
        "opted_out",
        N_("opt-outs per 1,000 accounts"),
        "per_1000",
        lambda o: _count(o.opted_out),
        False,
    ),
    Measure("blocked", N_("steps refused by the gate per 1,000"), "per_1000", lambda o: o.blocked, False),
)


@dataclass(frozen=True)
class Line:
    measure: Measure
    result: PairedDifference

    @property
    def better(self) -> str | None:
        """``challenger`` or ``champion`` when the interval leaves out zero, else None."""
        if self.result.lower > 0:
            return "challenger" if self.measure.higher_is_better else "champion"
        if self.result.upper < 0:
            return "champion" if self.measure.higher_is_better else "challenger"
        return None


@dataclass(frozen=True)
class Comparison:
    champion: str
    challenger: str
    customers: int
    days: int
    seed: int
    lines: tuple[Line, ...]
    champion_daily: tuple[int, ...]
    challenger_daily: tuple[int, ...]
    """Collected each day (minor units), for the chart."""
    seconds: tuple[dict[str, float], dict[str, float]] = ({}, {})
    """Where each run's time went (facts, evaluation, gate, day)."""

    def line(self, key: str) -> Line:
        return next(line for line in self.lines if line.measure.key == key)


def compare(
    champion: Outcome, challenger: Outcome, *, names: tuple[str, str], days: int, seed: int
) -> Comparison:
    lines = tuple(Line(m, paired_mean_difference(m.values(champion), m.values(challenger))) for m in MEASURES)
    return Comparison(
        names[0],
        names[1],
        champion.size,
        days,
        seed,
        lines,
        tuple(champion.daily_collected),
        tuple(challenger.daily_collected),
        (dict(champion.seconds), dict(challenger.seconds)),
    )


def shown(value: Fraction | float, unit: str, rounding: str = ROUND_HALF_EVEN) -> str:
    """A figure as people read it: money in major units, a rate in per cent, counts per 1,000."""
    if unit == "money":
        minor = int(Decimal(value).to_integral_value(rounding)) if isinstance(value, float) else round(value)
        return format_major(minor, CURRENCY)
    scale = 100 if unit == "rate" else 1000
    if isinstance(value, Fraction):
        number = Decimal(value.numerator * scale) / Decimal(value.denominator)
    else:
        number = Decimal(value * scale)
    text = str(number.quantize(Decimal("0.01"), rounding))
    return f"{text}%" if unit == "rate" else text


def bounds(line: Line) -> tuple[str, str]:
    """The interval's bounds as people read them, rounded outwards."""
    unit = line.measure.unit
    return shown(line.result.lower, unit, ROUND_FLOOR), shown(line.result.upper, unit, ROUND_CEILING)


def interval(line: Line) -> str:
    lower, upper = bounds(line)
    return f"[{lower}, {upper}]"


def rows(comparison: Comparison, language: str) -> list[list[str]]:
    """One row per measure: its name, each strategy's figure, the difference and its interval, and
    which strategy the interval favours."""
    verdict = {
        "challenger": translate(N_("challenger better"), language),
        "champion": translate(N_("champion better"), language),
        None: translate(N_("no clear difference"), language),
    }
    return [
        [
            translate(line.measure.label, language),
            shown(line.result.first_mean, line.measure.unit),
            shown(line.result.second_mean, line.measure.unit),
            shown(line.result.difference, line.measure.unit),
            interval(line),
            verdict[line.better],
        ]
        for line in comparison.lines
    ]


def headers(language: str) -> list[str]:
    return [
        translate(N_("measure"), language),
        translate(N_("champion"), language),
        translate(N_("challenger"), language),
        translate(N_("difference"), language),
        translate(N_("95% interval"), language),
        translate(N_("reading"), language),
    ]


def sizing(comparison: Comparison, language: str) -> str:
    """How many accounts an arm an experiment on real customers needs to confirm the simulated
    difference in cure rate (80% power, 5% two-sided: §5's calculator)."""
    cured = comparison.line("cured").result
    first, second = rate_nearest(cured.first_mean), rate_nearest(cured.second_mean)
    if first == second or not (0 < first < 1 and 0 < second < 1):
        return translate(
            N_("The two strategies cure the same share: no experiment can tell them apart."), language
        )
    size = sample_size_proportions(first, second)
    return translate(
        N_(
            "To confirm the difference in cure rate ({first} against {second}) on real customers, an "
            "experiment needs {accounts} accounts an arm (80% power, 5% two-sided)."
        ),
        language,
        first=f"{first:.2%}",
        second=f"{second:.2%}",
        accounts=f"{size.control:,}",
    )


def markdown(comparison: Comparison, language: str) -> str:
    head = headers(language)
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(comparison, language)]
    return "\n".join(lines) + "\n"


def chart_title(language: str) -> str:
    return translate(N_("collected per account to date ({currency})"), language, currency=CURRENCY)


def chart(comparison: Comparison, language: str, *, inline: bool = False) -> str:
    """Collected per account to date, day by day, under each strategy: an SVG (pygal; its text
    is drawn by the browser or viewer, so Chinese needs no font here), with no script; ``inline``:
    without the XML declaration, to put in a page."""
    import pygal

    line = pygal.Line(
        js=[],
        disable_xml_declaration=inline,
        title=chart_title(language),
        x_title=translate(N_("day"), language),
        show_dots=False,
        show_minor_x_labels=False,
        width=800,
        height=400,
        legend_at_bottom=True,
    )
    line.x_labels = [str(day) for day in range(1, comparison.days + 1)]
    line.x_labels_major = [str(day) for day in range(30, comparison.days + 1, 30)]
    for name, daily in (
        (comparison.champion, comparison.champion_daily),
        (comparison.challenger, comparison.challenger_daily),
    ):
        to_date = np.cumsum(np.asarray(daily, dtype=np.int64))
        line.add(name, [round(int(total) / 100 / comparison.customers, 2) for total in to_date])
    return script_free_svg(line)
