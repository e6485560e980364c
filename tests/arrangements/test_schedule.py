"""The schedule maths: installments sum exactly, are positive, and fall on increasing dates."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.arrangements.schedule import (
    Frequency,
    Method,
    Rounding,
    ScheduleError,
    add_months,
    due_dates,
    months_spanned,
    schedule,
    split_equal,
    split_step,
    split_weights,
)

FIRST = date(2027, 1, 31)

totals = st.integers(min_value=1, max_value=10**15)
counts = st.integers(min_value=1, max_value=120)
roundings = st.sampled_from(list(Rounding))
frequencies = st.sampled_from(list(Frequency))
firsts = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def test_equal_puts_the_remainder_on_the_last_by_default() -> None:
    plan = schedule(100_00 + 1, Method.EQUAL, first_due_on=FIRST, count=3)
    assert [i.amount for i in plan] == [3333, 3333, 3335]
    assert [i.seq for i in plan] == [1, 2, 3]


def test_remainder_first_puts_it_on_the_first() -> None:
    assert split_equal(10_001, 3, Rounding.REMAINDER_FIRST) == [3335, 3333, 3333]


def test_month_end_dates_stay_at_month_end() -> None:
    assert due_dates(FIRST, 4, Frequency.MONTHLY) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert due_dates(date(2027, 1, 1), 3, Frequency.BIWEEKLY)[-1] == date(2027, 1, 29)
    assert due_dates(date(2027, 1, 1), 2, Frequency.WEEKLY)[-1] == date(2027, 1, 8)


def test_graduated_by_step_rises_by_the_step() -> None:
    assert split_step(10_000, 4, 500, Rounding.REMAINDER_LAST) == [1750, 2250, 2750, 3250]
    with pytest.raises(ScheduleError):
        split_step(1_000, 4, 500, Rounding.REMAINDER_LAST)


def test_graduated_by_weights_in_proportion() -> None:
    assert split_weights(10_000, [Decimal(1), Decimal(1), Decimal(2)], Rounding.REMAINDER_LAST) == [
        2500,
        2500,
        5000,
    ]
    assert split_weights(100, [Decimal("1"), Decimal("2")], Rounding.REMAINDER_LAST) == [33, 67]


def test_custom_must_sum_to_the_total() -> None:
    plan = schedule(300, Method.CUSTOM, first_due_on=FIRST, amounts=[100, 200], frequency=Frequency.WEEKLY)
    assert [(i.due_on, i.amount) for i in plan] == [(FIRST, 100), (date(2027, 2, 7), 200)]
    with pytest.raises(ScheduleError, match="sum"):
        schedule(301, Method.CUSTOM, first_due_on=FIRST, amounts=[100, 200])
    with pytest.raises(ScheduleError):
        schedule(300, Method.CUSTOM, first_due_on=FIRST, amounts=[400, -100])


def test_too_small_a_total_is_refused() -> None:
    with pytest.raises(ScheduleError):
        split_equal(2, 3, Rounding.REMAINDER_LAST)


def test_months_spanned_counts_a_started_month() -> None:
    assert months_spanned(date(2026, 11, 21), date(2026, 11, 21)) == 0
    assert months_spanned(date(2026, 11, 21), date(2026, 12, 21)) == 1
    assert months_spanned(date(2026, 11, 21), date(2026, 12, 22)) == 2
    assert months_spanned(date(2026, 11, 21), date(2027, 11, 1)) == 12


@given(totals, counts, roundings, frequencies, firsts)
def test_equal_sums_exactly(
    total: int, count: int, rounding: Rounding, frequency: Frequency, first: date
) -> None:
    if total < count:
        with pytest.raises(ScheduleError):
            schedule(total, Method.EQUAL, first_due_on=first, count=count, rounding=rounding)
        return
    plan = schedule(
        total, Method.EQUAL, first_due_on=first, count=count, frequency=frequency, rounding=rounding
    )
    _check(plan, total, count, first)
    assert max(i.amount for i in plan) - min(i.amount for i in plan) < count


@given(totals, counts, st.integers(min_value=-(10**6), max_value=10**6), roundings, firsts)
def test_step_sums_exactly(total: int, count: int, step: int, rounding: Rounding, first: date) -> None:
    try:
        plan = schedule(
            total, Method.GRADUATED, first_due_on=first, count=count, step=step, rounding=rounding
        )
    except ScheduleError:
        return
    _check(plan, total, count, first)


@given(
    totals,
    st.lists(st.decimals(min_value="0.01", max_value="1000", places=2), min_size=1, max_size=60),
    roundings,
    firsts,
)
def test_weights_sum_exactly(total: int, weights: list[Decimal], rounding: Rounding, first: date) -> None:
    try:
        plan = schedule(total, Method.GRADUATED, first_due_on=first, weights=weights, rounding=rounding)
    except ScheduleError:
        assert total < len(weights) or min(weights) * total < sum(weights)
        return
    _check(plan, total, len(weights), first)


def _check(plan: list, total: int, count: int, first: date) -> None:  # type: ignore[type-arg]
    assert len(plan) == count
    assert sum(i.amount for i in plan) == total
    assert all(i.amount > 0 for i in plan)
    assert plan[0].due_on == first
    assert all(a.due_on < b.due_on for a, b in itertools.pairwise(plan))
