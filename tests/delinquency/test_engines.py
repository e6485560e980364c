"""Both engines against the plain Python reference, and against each other on a generated book."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.delinquency.engines import DuckDBEngine, SnapshotEngine, SparkEngine
from arrears.delinquency.reference import AccountFact, InstallmentFact, PaymentFact, reference_snapshot
from arrears.delinquency.rules import DelinquencyRules
from tests.delinquency.portfolios import START, frames_of, generated_book, portfolios, previous_frame

Book = tuple[list[AccountFact], list[InstallmentFact], list[PaymentFact]]

RULE_SETS = st.sampled_from(
    [DelinquencyRules(), DelinquencyRules(materiality={"JPY": 100, "CNY": 250}, default_materiality=10)]
)
AS_OF = st.integers(0, 140).map(lambda days: START + timedelta(days=days))


def rows_by_account(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["account_id"]: row for row in table.to_pylist()}


def check_against_reference(engine: SnapshotEngine, book: Book, as_of: date, rules: DelinquencyRules) -> None:
    accounts, installments, payments = book
    previous_day = as_of - timedelta(days=17)
    expected_previous = reference_snapshot(accounts, installments, payments, previous_day, rules)
    previous = pa.table(
        {
            "account_id": [a for a in expected_previous if int(a[1:]) % 5],  # some accounts are new
            "bucket": [r.bucket for a, r in expected_previous.items() if int(a[1:]) % 5],
        }
    )
    expected = reference_snapshot(
        accounts, installments, payments, as_of, rules, dict(zip(*previous.to_pydict().values(), strict=True))
    )
    engine.load(frames_of(accounts, installments, payments))
    actual = rows_by_account(engine.snapshot(as_of, rules, previous))
    assert set(actual) == set(expected)
    for account_id, row in expected.items():
        got = actual[account_id]
        assert got["as_of"] == as_of
        for field in row.__dataclass_fields__:
            assert got[field] == getattr(row, field), (account_id, field)
        assert got["bucket_rank"] == rules.rank(row.bucket)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=portfolios(), as_of=AS_OF, rules=RULE_SETS)
def test_duckdb_matches_the_reference(book: Book, as_of: date, rules: DelinquencyRules) -> None:
    engine = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        check_against_reference(engine, book, as_of, rules)
    finally:
        engine.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    book=portfolios(max_accounts=20),
    days=st.lists(st.integers(0, 140), min_size=2, max_size=6, unique=True).map(sorted),
    rules=RULE_SETS,
)
def test_carried_state_night_after_night_matches_the_reference(
    book: Book, days: list[int], rules: DelinquencyRules
) -> None:
    """Only accounts with a payment or a due date since the last date are recomputed; nothing drifts."""
    accounts, installments, payments = book
    engine = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        engine.load(frames_of(accounts, installments, payments))
        previous: dict[str, str] = {}
        for day in (START + timedelta(days=d) for d in days):
            expected = reference_snapshot(accounts, installments, payments, day, rules, previous)
            previous_table = previous_frame(previous)
            actual = rows_by_account(engine.snapshot(day, rules, previous_table))
            assert set(actual) == set(expected), day  # none opened after the day
            for account_id, row in expected.items():
                assert {f: actual[account_id][f] for f in row.__dataclass_fields__} == asdict(row), day
            previous = {a: r.bucket for a, r in expected.items()}
    finally:
        engine.close()


def test_an_account_opened_after_the_date_is_left_out_until_it_opens() -> None:
    opened = START + timedelta(days=40)
    accounts = [
        AccountFact("A0001", "C1", "CNY", "active"),
        AccountFact("A0002", "C2", "CNY", "active", opened),
    ]
    installments = [InstallmentFact("A0002", 1, opened + timedelta(days=30), 1_000)]
    engine = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        engine.load(frames_of(accounts, installments, []))
        before = rows_by_account(engine.snapshot(opened - timedelta(days=1), DelinquencyRules()))
        assert set(before) == {"A0001"}
        previous = previous_frame({a: r["bucket"] for a, r in before.items()})
        on_the_day = rows_by_account(engine.snapshot(opened, DelinquencyRules(), previous))  # carried
        assert set(on_the_day) == {"A0001", "A0002"} and on_the_day["A0002"]["roll"] == "new"
        later = opened + timedelta(days=45)
        expected = reference_snapshot(accounts, installments, [], later, DelinquencyRules())
        assert rows_by_account(engine.snapshot(later, DelinquencyRules()))["A0002"]["dpd"] == 15
        assert expected["A0002"].dpd == 15
        assert set(
            reference_snapshot(accounts, installments, [], opened - timedelta(days=1), DelinquencyRules())
        ) == {"A0001"}
    finally:
        engine.close()


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=portfolios(max_accounts=80, min_accounts=40), as_of=AS_OF, rules=RULE_SETS)
def test_spark_matches_the_reference(spark: Any, book: Book, as_of: date, rules: DelinquencyRules) -> None:
    engine = SparkEngine(session=spark)
    try:
        check_against_reference(engine, book, as_of, rules)
    finally:
        engine.close()


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_both_engines_give_identical_snapshots_of_a_generated_book(spark: Any) -> None:
    book = generated_book(2_000, seed=7)
    rules = DelinquencyRules(materiality={"JPY": 100})
    duck, sparkly, full = DuckDBEngine(), SparkEngine(session=spark), DuckDBEngine(incremental=False)
    duck.load(book)
    sparkly.load(book)
    full.load(book)
    previous_duck = previous_spark = None
    try:
        for as_of in (date(2024, 1, 31), date(2024, 3, 1)):
            by_duck = duck.snapshot(
                as_of, DelinquencyRules(materiality={"JPY": 100}), previous_duck
            )  # equal rules
            by_spark = sparkly.snapshot(as_of, rules, previous_spark)
            assert by_duck.num_rows == 2_000
            assert by_duck.equals(by_spark)
            assert by_duck.equals(full.snapshot(as_of, rules, previous_duck))
            previous_duck = by_duck.select(["account_id", "bucket"])
            previous_spark = by_spark.select(["account_id", "bucket"])
        rolls = set(by_duck.column("roll").to_pylist())
        buckets = set(by_duck.column("bucket").to_pylist())
        assert {"same", "forward"} <= rolls  # the book really moves between dates
        assert {"M0", "M1"} <= buckets and len(buckets) >= 4
    finally:
        duck.close()
        sparkly.close()
        full.close()
