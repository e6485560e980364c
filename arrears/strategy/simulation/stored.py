"""A comparison kept (:class:`~arrears.strategy.simulation.report.Comparison` as JSON and back),
exactly: each mean is the fraction it is (of minor units, or of accounts), each bound of an
interval the shortest decimal text of its float, which reads back as the same float, and the
amounts collected each day integers of minor units. No money is written as a JSON number with a
fraction. A kept run is therefore drawn again to the cent, in the reader's language: the table,
the sizing sentence and the chart of :mod:`arrears.strategy.simulation.report`."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from arrears.strategy.simulation.population import CURRENCY
from arrears.strategy.simulation.report import MEASURES, Comparison, Line
from arrears.strategy.statistics import PairedDifference

FORMAT = 1
"""The version of the JSON's shape."""

_MEASURES = {measure.key: measure for measure in MEASURES}


def to_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "currency": CURRENCY,
        "lines": [_line(line) for line in comparison.lines],
        "champion_daily": [int(minor) for minor in comparison.champion_daily],
        "challenger_daily": [int(minor) for minor in comparison.challenger_daily],
    }


def _line(line: Line) -> dict[str, Any]:
    result = line.result
    return {
        "measure": line.measure.key,
        "unit": line.measure.unit,
        "pairs": result.pairs,
        "champion": str(result.first_mean),
        "challenger": str(result.second_mean),
        "difference": str(result.difference),
        "lower": repr(result.lower),
        "upper": repr(result.upper),
        "confidence": str(result.confidence),
    }


def from_json(
    data: dict[str, Any], *, names: tuple[str, str], customers: int, days: int, seed: int
) -> Comparison:
    """The comparison again; a measure this version no longer knows is left out."""
    known = [item for item in data["lines"] if item["measure"] in _MEASURES]
    lines = tuple(Line(_MEASURES[item["measure"]], _result(item)) for item in known)
    return Comparison(
        names[0],
        names[1],
        customers,
        days,
        seed,
        lines,
        tuple(int(minor) for minor in data["champion_daily"]),
        tuple(int(minor) for minor in data["challenger_daily"]),
    )


def _result(item: dict[str, Any]) -> PairedDifference:
    return PairedDifference(
        pairs=int(item["pairs"]),
        first_mean=Fraction(item["champion"]),
        second_mean=Fraction(item["challenger"]),
        difference=Fraction(item["difference"]),
        lower=float(item["lower"]),
        upper=float(item["upper"]),
        confidence=Decimal(item["confidence"]),
    )
