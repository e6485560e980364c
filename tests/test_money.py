"""Money parsing, formatting and rounding: exact, per currency, never through a float."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.money import (
    Money,
    MoneyError,
    allocate,
    exponent,
    format_major,
    parse_major,
    round_half_even,
    round_half_up,
)
from arrears.portfolio.validation import register_code_lists

CURRENCIES = st.sampled_from(["CNY", "JPY", "USD", "BHD", "KWD", "EUR", "KRW", "CLF"])
MINOR = st.integers(min_value=-(10**15), max_value=10**15)


def test_exponents_follow_iso_4217() -> None:
    assert [exponent(c) for c in ("CNY", "JPY", "USD", "BHD", "KRW")] == [2, 0, 2, 3, 0]
    with pytest.raises(MoneyError, match="ISO 4217"):
        exponent("RMB")


@given(MINOR, CURRENCIES)
def test_format_then_parse_gives_the_same_minor_units(minor: int, currency: str) -> None:
    assert parse_major(format_major(minor, currency), currency) == minor


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=6), CURRENCIES)
def test_more_decimals_than_the_currency_allows_are_refused(whole: int, extra: int, currency: str) -> None:
    text = f"{whole}." + "5" * (exponent(currency) + extra)
    with pytest.raises(MoneyError, match="decimals"):
        parse_major(text, currency)


@pytest.mark.parametrize("text", ["1,234.56", "12.", ".5", "1e3", "NaN", "", "¥100", "1 000"])
def test_text_that_is_not_a_plain_decimal_is_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_major(text, "CNY")


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False), CURRENCIES)
def test_rounding_stays_within_half_a_minor_unit(amount: Decimal, currency: str) -> None:
    unit = Decimal(1).scaleb(-exponent(currency))
    for rounded in (round_half_even(amount, currency), round_half_up(amount, currency)):
        assert abs(Decimal(rounded) * unit - amount) <= unit / 2


def test_ties_round_as_their_names_say() -> None:
    assert round_half_even(Decimal("0.125"), "CNY") == 12
    assert round_half_up(Decimal("0.125"), "CNY") == 13
    assert round_half_even(Decimal("0.135"), "CNY") == 14


@given(st.integers(min_value=0, max_value=10**12), st.lists(st.integers(0, 1000), min_size=1, max_size=12))
def test_allocation_neither_loses_nor_creates_a_minor_unit(minor: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        return
    shares = allocate(minor, weights)
    assert sum(shares) == minor
    assert all(
        abs(share * sum(weights) - minor * w) < sum(weights) for share, w in zip(shares, weights, strict=True)
    )


def test_money_refuses_to_mix_currencies() -> None:
    assert str(Money.parse("10.50", "CNY") + Money(25, "CNY")) == "10.75 CNY"
    with pytest.raises(MoneyError, match="CNY and USD"):
        _ = Money(1, "CNY") + Money(1, "USD")


@pytest.fixture(scope="module")
def importer_sql() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    register_code_lists(db)
    return db


@given(MINOR, CURRENCIES)
def test_the_importer_converts_amounts_exactly_as_parse_major(
    importer_sql: duckdb.DuckDBPyConnection, minor: int, currency: str
) -> None:
    text = format_major(minor, currency)
    converted = importer_sql.execute(
        "SELECT to_minor(?, ?), major_text(?, ?)", [text, exponent(currency), minor, exponent(currency)]
    ).fetchone()
    assert converted == (parse_major(text, currency), text)
