"""The fairness report: groups of a protected attribute against the largest, the ratio of rates
with Katz's interval, the four-fifths rule as the flag; kept with the night, shown by the CLI."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import sqlite
from typer.testing import CliRunner

from arrears.cli import app
from arrears.portfolio.models import Customer
from arrears.strategy.fairness import (
    TOUCHED_SCHEMA,
    _age_bands,
    _counts,
    _outcomes,
    _ratio,
    _regions,
    window_query,
)
from arrears.strategy.models import StrategyRun
from tests.api.book import Book
from tests.strategy.test_nightly import AS_OF, approve, night
from tests.strategy.test_service import CALLS_ONLY


def test_the_ratio_and_its_interval_by_hand() -> None:
    # 30 of 50 in the group, 20 of 100 in the reference: ratio 0.6 / 0.2 = 3
    found = _ratio("60+", 30, 50, 20, 100)
    spread = 1.959963984540054 * math.sqrt(1 / 30 - 1 / 50 + 1 / 20 - 1 / 100)
    assert found.ratio == Decimal("3.000000") and found.flagged
    assert abs(float(found.lower) - 3 * math.exp(-spread)) < 1e-6  # type: ignore[arg-type]
    assert abs(float(found.upper) - 3 * math.exp(spread)) < 1e-6  # type: ignore[arg-type]
    assert not _ratio("30-44", 19, 100, 20, 100).flagged  # 0.95: within four-fifths
    assert _ratio("30-44", 15, 100, 20, 100).flagged  # 0.75
    assert _ratio("45-59", 0, 10, 20, 100).flagged and not _ratio("45-59", 0, 10, 0, 100).flagged


def test_a_strategy_that_escalates_one_age_group_is_flagged(
    engine: Engine, command_line_database: Engine
) -> None:
    del engine  # the command line's database is the one the test uses
    database = command_line_database
    book = Book(database)
    for n in range(12):
        book.case(f"young{n}", dpd=5, bucket="M1")  # calls: contact, no escalation
    for n in range(6):
        book.case(f"old{n}", dpd=45, bucket="M2")  # a legal referral proposed: escalated
    with database.begin() as connection:
        connection.execute(
            update(Customer).where(Customer.customer_id.like("young%")).values(birth_date=date(1995, 1, 1))
        )
        connection.execute(
            update(Customer).where(Customer.customer_id.like("old%")).values(birth_date=date(1950, 1, 1))
        )
    approve(database, CALLS_ONLY)
    night(database)
    night(database, AS_OF + timedelta(days=1))
    with database.connect() as connection:
        stored = connection.execute(
            select(StrategyRun.counts).where(StrategyRun.as_of == AS_OF + timedelta(days=1))
        ).scalar_one()
    report = stored["fairness"]
    assert report["reference"]["age"] == "30-44"
    escalated = {r["group"]: r for r in report["measures"]["age"]["escalated"]}
    assert escalated["60+"]["rate"] == "1.000000" and escalated["30-44"]["rate"] == "0.000000"
    assert escalated["60+"]["ratio"] is None and escalated["60+"]["flagged"]  # the reference: never
    assert not escalated["30-44"]["flagged"]
    contacted = {r["group"]: r for r in report["measures"]["age"]["contacted"]}
    assert contacted["30-44"]["rate"] == "1.000000"
    shown = CliRunner().invoke(
        app, ["strategy", "fairness"], env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"}
    )
    assert shown.exit_code == 0, shown.output
    assert "Group (age; reference 30-44)" in shown.output and "60+" in shown.output and "⚑" in shown.output


def test_age_bands_and_regions_counted_set_based_are_each_cases_own() -> None:
    as_of = date(2026, 11, 23)
    births = [
        date(1996, 11, 23),  # 30 today
        date(1996, 11, 24),  # 29 until tomorrow
        date(1982, 11, 22),  # 44
        date(1981, 11, 23),  # 45
        date(1966, 11, 24),  # 59
        date(1966, 11, 23),  # 60
        date(2000, 2, 29),  # 26 (a leap day)
        date(2030, 1, 1),  # not born yet: in no band
        None,
    ]
    bands = _age_bands(pa.chunked_array([pa.array(births, pa.date32())]), as_of).to_pylist()
    assert bands == ["30-44", "18-29", "30-44", "45-59", "45-59", "60+", "18-29", None, None]
    regions = _regions(pa.chunked_array([pa.array(["CN", "", None, "HK"], pa.string())])).to_pylist()
    assert regions == ["CN", "?", "?", "HK"]
    outcomes = _outcomes(
        pa.table(
            {
                "case_id": ["a", "b", "c", "d"],
                "score_band": ["E", "A", "none", "D"],
            }
        ),
        pa.table(
            {
                "case_id": ["b", "c", "z", "b"],  # one row per action: b twice
                "contacted": [True, False, True, False],
                "escalated": [False, True, True, True],
            },
            schema=TOUCHED_SCHEMA,
        ),
        ("D", "E"),
    )
    assert outcomes.to_pydict() == {
        "contacted": [False, True, False, False],
        "escalated": [False, True, True, False],
        "high_risk": [True, False, False, True],
    }
    counts = _counts(outcomes.append_column("group", pa.array(["x", "x", None, "y"], pa.string())))
    assert counts == {
        "x": {"cases": 2, "contacted": 1, "escalated": 1, "high_risk": 1},
        "y": {"cases": 1, "contacted": 0, "escalated": 0, "high_risk": 1},
    }


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)  # SQLite's plan, by name
def test_the_windows_cases_are_read_from_the_index_alone(engine: Engine) -> None:
    """The actions' rows are wide (details, reasons, why): the report must not read them."""
    statement = window_query(AS_OF, 30).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    with engine.connect() as connection:
        plan = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}"))
    assert "COVERING INDEX ix_strategy_actions_as_of_action_case_id" in plan, plan
