"""The roll-rate matrix between two snapshot dates, by count and by balance, and its heat map."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from arrears.batch.orchestrator import run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.models import DelinquencySnapshot
from arrears.delinquency.rules import DelinquencyRules
from arrears.reports.roll_rates import RollRateError, draw_heat_map, roll_matrix
from tests.batch.book import insert_book
from tests.delinquency.portfolios import facts_of, generated_book

FIRST, LAST = date(2024, 1, 31), date(2024, 3, 31)
RULES = DelinquencyRules()


@pytest.fixture
def two_dates(engine: Engine, duck: DuckDBEngine, clock: FixedClock) -> Engine:
    insert_book(engine, *facts_of(generated_book(400, seed=21)))
    run_batch(engine, [FIRST], duck, RULES, clock)
    run_batch(engine, [LAST], duck, RULES, clock)
    return engine


def buckets_on(engine: Engine, day: date) -> dict[str, tuple[str, int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                DelinquencySnapshot.account_id,
                DelinquencySnapshot.bucket,
                DelinquencySnapshot.outstanding_amount,
                DelinquencySnapshot.currency,
            ).where(DelinquencySnapshot.as_of == day)
        )
        return {a: (b, o, c) for a, b, o, c in rows}


def test_matrix_by_count_counts_every_account_once(two_dates: Engine) -> None:
    before, after = buckets_on(two_dates, FIRST), buckets_on(two_dates, LAST)
    expected = Counter((before[a][0], after[a][0]) for a in before)
    with two_dates.connect() as connection:
        matrix = roll_matrix(connection, FIRST, LAST, RULES)
    assert {k: v for k, v in matrix.cells.items() if v} == dict(expected)
    assert sum(matrix.cells.values()) == 400
    assert len([k for k in expected if k[0] != k[1]]) > 3  # the book moves
    for source in matrix.buckets:
        if matrix.row_total(source):
            rates = [matrix.rate(source, target) or Decimal(0) for target in matrix.buckets]
            assert abs(sum(rates) - 1) <= Decimal("0.0001") * len(rates)


def test_matrix_by_balance_weights_by_outstanding_at_the_first_date(two_dates: Engine) -> None:
    before, after = buckets_on(two_dates, FIRST), buckets_on(two_dates, LAST)
    expected: Counter[tuple[str, str]] = Counter()
    for account, (bucket, outstanding, currency) in before.items():
        if currency == "CNY":
            expected[(bucket, after[account][0])] += outstanding
    with two_dates.connect() as connection:
        matrix = roll_matrix(connection, FIRST, LAST, RULES, by="balance", currency="CNY")
    assert {k: v for k, v in matrix.cells.items() if v} == {k: v for k, v in expected.items() if v}


def test_bad_requests_are_refused(two_dates: Engine) -> None:
    with two_dates.connect() as connection:
        with pytest.raises(RollRateError, match="no snapshot as of 2024-02-15"):
            roll_matrix(connection, FIRST, date(2024, 2, 15), RULES)
        with pytest.raises(RollRateError, match="after"):
            roll_matrix(connection, LAST, FIRST, RULES)
        with pytest.raises(RollRateError, match="currency"):
            roll_matrix(connection, FIRST, LAST, RULES, by="balance")


def test_heat_map_is_a_png(two_dates: Engine, tmp_path: Path) -> None:
    with two_dates.connect() as connection:
        matrix = roll_matrix(connection, FIRST, LAST, RULES)
    out = tmp_path / "roll.png"
    draw_heat_map(matrix, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
