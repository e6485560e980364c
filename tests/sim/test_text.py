"""The vectorised text and date helpers agree with plain Python, for any input (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from arrears.money import format_major
from arrears.sim.accounts import dues_before, month_starts
from arrears.sim.text import major_text, numbered

CURRENCY_OF_SCALE = {0: "JPY", 2: "CNY", 3: "BHD"}

amounts = st.lists(
    st.tuples(st.integers(0, 10**15), st.sampled_from(sorted(CURRENCY_OF_SCALE))), min_size=1, max_size=60
)


@given(amounts, st.lists(st.booleans(), min_size=60, max_size=60))
def test_major_text_is_format_major_row_by_row(rows: list[tuple[int, int]], missing: list[bool]) -> None:
    minor = np.array([m for m, _ in rows], dtype=np.int64)
    scale = np.array([s for _, s in rows], dtype=np.int64)
    blank = np.array(missing[: len(rows)])
    text = major_text(minor, scale, missing=blank).to_pylist()
    expected = [
        None if gone else format_major(m, CURRENCY_OF_SCALE[s])
        for (m, s), gone in zip(rows, blank, strict=True)
    ]
    assert text == expected


@given(st.lists(st.integers(0, 10**15), min_size=1, max_size=40))
def test_mostly_zero_amounts_too(values: list[int]) -> None:
    minor = np.array(values + [0] * (2 * len(values) + 1), dtype=np.int64)
    scale = np.array([2, 0] * len(minor), dtype=np.int64)[: len(minor)]
    text = major_text(minor, scale).to_pylist()
    assert text == [
        format_major(int(m), CURRENCY_OF_SCALE[int(s)]) for m, s in zip(minor, scale, strict=True)
    ]


@given(st.lists(st.integers(0, 10**10 - 1), min_size=1, max_size=30))
def test_numbered_ids_are_zero_padded(numbers: list[int]) -> None:
    assert numbered("A", np.array(numbers), 10).to_pylist() == [f"A{n:010d}" for n in numbers]


@given(
    st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    st.integers(0, 400),
    st.integers(1, 28),
)
def test_dues_before_counts_monthly_dues_strictly_before_a_day(
    day: date, months_back: int, due_day: int
) -> None:
    open_month = (day.year - 1970) * 12 + day.month - 1 - months_back
    dues = []
    for k in range(1, months_back + 3):
        month = open_month + k
        dues.append(date(1970 + month // 12, month % 12 + 1, due_day))
    expected = sum(1 for due in dues if due < day)
    counted = dues_before(np.datetime64(day, "D"), np.array([open_month]), np.array([due_day]))
    assert int(counted[0]) == expected
    first = month_starts(np.array([open_month + 1]))[0].astype(date)
    assert first == dues[0] - timedelta(days=due_day - 1)
