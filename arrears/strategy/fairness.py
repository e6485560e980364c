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
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, select

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
    and the actions of the ``days`` nights up to ``as_of``."""
    touched = _touched(connection, as_of, days)
    rows = facts.select(["case_id", "birth_date", "country", "score_band"]).to_pylist()
    groups = {
        "age": {r["case_id"]: _age_band(r["birth_date"], as_of) for r in rows},
        "region": {r["case_id"]: r["country"] or "?" for r in rows},
    }
    outcomes = {
        "contacted": {c for c, kinds in touched.items() if kinds & CONTACTS},
        "escalated": {c for c, kinds in touched.items() if kinds & SERIOUS_ACTIONS},
        "high_risk": {r["case_id"] for r in rows if r["score_band"] in worst_bands},
    }
    found = FairnessReport(as_of, days)
    for attribute, of_case in groups.items():
        members: dict[str, list[str]] = defaultdict(list)
        for case_id, group in of_case.items():
            if group is not None:
                members[group].append(case_id)
        if not members:
            continue
        reference = max(sorted(members), key=lambda g: len(members[g]))
        found.reference[attribute] = reference
        found.measures[attribute] = {
            measure: _ratios(members, reference, outcomes[measure]) for measure in MEASURES
        }
    return found


def _touched(connection: Connection, as_of: date, days: int) -> dict[str, set[str]]:
    """Per case, the kinds of action chosen for it in the window."""
    found: dict[str, set[str]] = defaultdict(set)
    rows = connection.execute(
        select(StrategyAction.case_id, StrategyAction.action)
        .where(StrategyAction.as_of > as_of - timedelta(days=days), StrategyAction.as_of <= as_of)
        .distinct()
    )
    for case_id, action in rows:
        found[case_id].add(action)
    return found


def _age_band(birth: date | None, as_of: date) -> str | None:
    if birth is None:
        return None
    age = as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
    return next((name for low, high, name in AGE_BANDS if low <= age <= high), None)


def _ratios(members: dict[str, list[str]], reference: str, hit: set[str]) -> list[Ratio]:
    base_n = len(members[reference])
    base_x = sum(1 for c in members[reference] if c in hit)
    result = []
    for group in sorted(members):
        n = len(members[group])
        x = sum(1 for c in members[group] if c in hit)
        result.append(_ratio(group, x, n, base_x, base_n))
    return result


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
