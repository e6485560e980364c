"""The fairness report (公平性报告): does the strategy treat groups of customers the bank protects
differently? PIPL art. 24 forbids unreasonable differences in treatment by automated decisions;
the GDPR's art. 22 gives the same people a right to question them.

For each protected attribute the bank's data holds (age, in bands; the country, for ``region``),
over the open cases of the night and the actions of the last ``days`` nights, per group:

- contacted: the share of cases with at least one contact action (SMS, e-mail, letter, call);
- escalated: the share with a serious step (field visit, agency placement, legal referral);
- high risk: the share scored in the two worst bands (the score the strategy acts on).

Each group's rate is set against the reference group (the largest) as a ratio of rates with a 95%
interval (Katz's log method: ``ln(r1/r2) ± z·√(1/x1 − 1/n1 + 1/x2 − 1/n2)``). The four-fifths rule
(US EEOC, 29 CFR 1607.4(D), the usual screen for adverse impact) is the flag, read both ways
because these are burdens, not benefits: a ratio outside [0.8, 1.25] is flagged, and the interval
says whether the difference could be chance. A flag is a question for a person, not a verdict:
older customers may be contacted more because more of them are later in arrears.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Select, select

from arrears.db.arrow import read_arrow
from arrears.strategy.document import MESSAGE_ACTIONS, SERIOUS_ACTIONS
from arrears.strategy.models import StrategyAction

AGE_BANDS = ((0, 29, "18-29"), (30, 44, "30-44"), (45, 59, "45-59"), (60, 200, "60+"))
FOUR_FIFTHS = Decimal("0.8")
Z_95 = 1.959963984540054
CONTACTS = MESSAGE_ACTIONS | {"call"}
MEASURES = ("contacted", "escalated", "high_risk")


@dataclass(frozen=True)
class Ratio:
    group: str
    cases: int
    rate: Decimal
    ratio: Decimal | None
    lower: Decimal | None
    upper: Decimal | None
    flagged: bool


@dataclass
class FairnessReport:
    as_of: date
    days: int
    reference: dict[str, str] = field(default_factory=dict)
    """Per attribute, the reference group (the largest)."""
    measures: dict[str, dict[str, list[Ratio]]] = field(default_factory=dict)
    """attribute → measure → one ratio per group."""

    @property
    def flags(self) -> list[tuple[str, str, str]]:
        return [
            (attribute, measure, r.group)
            for attribute, by_measure in self.measures.items()
            for measure, ratios in by_measure.items()
            for r in ratios
            if r.flagged
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "days": self.days,
            "reference": self.reference,
            "measures": {
                attribute: {
                    measure: [
                        {
                            "group": r.group,
                            "cases": r.cases,
                            "rate": str(r.rate),
                            "ratio": None if r.ratio is None else str(r.ratio),
                            "lower": None if r.lower is None else str(r.lower),
                            "upper": None if r.upper is None else str(r.upper),
                            "flagged": r.flagged,
                        }
                        for r in ratios
                    ]
                    for measure, ratios in by_measure.items()
                }
                for attribute, by_measure in self.measures.items()
            },
        }


def fairness(
    connection: Connection,
    facts: pa.Table,
    as_of: date,
    *,
    days: int = 30,
    worst_bands: tuple[str, ...] = ("D", "E"),
) -> FairnessReport:
    """The report over ``facts`` (the night's case facts, :data:`arrears.strategy.facts.FACTS_SCHEMA`)
    and the actions of the ``days`` nights up to ``as_of``. Counted set-based (a group's cases and
    hits per measure, in Arrow), never case by case in Python."""
    cases = _outcomes(facts, _touched(connection, as_of, days), worst_bands)
    groups = {
        "age": _age_bands(facts.column("birth_date"), as_of),
        "region": _regions(facts.column("country")),
    }
    found = FairnessReport(as_of, days)
    for attribute, group in groups.items():
        counts = _counts(cases.append_column("group", group))
        if not counts:
            continue
        reference = max(sorted(counts), key=lambda g: counts[g]["cases"])
        found.reference[attribute] = reference
        found.measures[attribute] = {measure: _ratios(counts, reference, measure) for measure in MEASURES}
    return found


TOUCHED_SCHEMA = pa.schema([("case_id", pa.string()), ("contacted", pa.bool_()), ("escalated", pa.bool_())])
"""One row per action of the window (a case may have several): its case, whether it contacted and
whether it escalated."""
WINDOW_SCHEMA = pa.schema([("case_id", pa.string()), ("action", pa.string())])


def _touched(connection: Connection, as_of: date, days: int) -> pa.Table:
    """Per action of the window, its case and whether it contacted or escalated the case."""
    window = read_arrow(connection, window_query(as_of, days), WINDOW_SCHEMA)
    actions = window.column("action")
    return pa.table(
        {
            "case_id": window.column("case_id"),
            "contacted": pc.is_in(actions, pa.array(sorted(CONTACTS), pa.string())),
            "escalated": pc.is_in(actions, pa.array(sorted(SERIOUS_ACTIONS), pa.string())),
        },
        schema=TOUCHED_SCHEMA,
    )


def window_query(as_of: date, days: int) -> Select[str, str]:
    """The window's actions, read from the index on (as_of, action, case_id) alone: the actions'
    rows are wide (details, reasons, why), and grouping them per case in SQLite cost a sort of
    every row; the cases are told apart in Arrow instead (at 10M: 11 s, now 4, docs/strategy.md,
    "Session 25")."""
    return select(StrategyAction.case_id, StrategyAction.action).where(
        StrategyAction.as_of > as_of - timedelta(days=days), StrategyAction.as_of <= as_of
    )


def _outcomes(facts: pa.Table, touched: pa.Table, worst_bands: tuple[str, ...]) -> pa.Table:
    """One row per case of ``facts`` (in its order) with its three outcomes as booleans."""
    case_ids = facts.column("case_id")

    def hit(measure: str) -> pa.ChunkedArray:
        return pc.is_in(case_ids, touched.filter(touched.column(measure)).column("case_id"))

    return pa.table(
        {
            "contacted": hit("contacted"),
            "escalated": hit("escalated"),
            "high_risk": pc.is_in(facts.column("score_band"), pa.array(worst_bands, pa.string())),
        }
    )


def _age_bands(birth: pa.ChunkedArray, as_of: date) -> pa.ChunkedArray:
    """Each case's age band on ``as_of`` (null: no birth date, or an age in no band)."""
    birthday_ahead = pc.greater(
        pc.add(pc.multiply(pc.month(birth), 100), pc.day(birth)), as_of.month * 100 + as_of.day
    )
    age = pc.subtract(pc.subtract(as_of.year, pc.year(birth)), pc.cast(birthday_ahead, pa.int64()))
    band = pa.nulls(len(birth), pa.string())
    for low, high, name in AGE_BANDS:
        inside = pc.and_(pc.greater_equal(age, low), pc.less_equal(age, high))
        band = pc.if_else(pc.fill_null(inside, False), name, band)
    return pa.chunked_array([band]) if isinstance(band, pa.Array) else band


def _regions(country: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each case's region: its country, ``?`` when unknown."""
    known = pc.and_(pc.is_valid(country), pc.not_equal(pc.fill_null(country, ""), ""))
    return pc.if_else(pc.fill_null(known, False), country, "?")


def _counts(cases: pa.Table) -> dict[str, dict[str, int]]:
    """Per group (null: none), its cases and the cases of each measure."""
    summed = (
        cases.filter(pc.is_valid(cases.column("group")))
        .group_by("group")
        .aggregate([("group", "count"), *[(m, "sum") for m in MEASURES]])
        .to_pylist()
    )
    return {
        row["group"]: {"cases": row["group_count"]} | {m: int(row[f"{m}_sum"] or 0) for m in MEASURES}
        for row in summed
    }


def _ratios(counts: dict[str, dict[str, int]], reference: str, measure: str) -> list[Ratio]:
    base = counts[reference]
    return [
        _ratio(group, counts[group][measure], counts[group]["cases"], base[measure], base["cases"])
        for group in sorted(counts)
    ]


def _ratio(group: str, x: int, n: int, base_x: int, base_n: int) -> Ratio:
    rate = Decimal(x) / Decimal(n) if n else Decimal(0)
    if base_x == 0:  # no ratio to take: flagged when the group has what the reference never has
        return Ratio(group, n, _six(rate), None, None, None, x > 0)
    if x == 0:
        return Ratio(group, n, _six(rate), Decimal(0), None, None, True)
    ratio = (x / n) / (base_x / base_n)
    spread = Z_95 * math.sqrt(1 / x - 1 / n + 1 / base_x - 1 / base_n)
    lower, upper = ratio * math.exp(-spread), ratio * math.exp(spread)
    flagged = not (float(FOUR_FIFTHS) <= ratio <= 1 / float(FOUR_FIFTHS))
    return Ratio(
        group, n, _six(rate), _six(Decimal(ratio)), _six(Decimal(lower)), _six(Decimal(upper)), flagged
    )


def _six(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"))
