"""Instants are UTC-aware on every database; naive values are refused, not guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError

from arrears.clock import FixedClock, NaiveDatetimeError, ensure_aware, local_date, yesterday
from arrears.db import UTCDateTime


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        ensure_aware(datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001 - the point of the test


def test_local_dates_come_from_iana_zones_across_dst() -> None:
    instant = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # 01:30 EST, the night clocks spring forward
    assert local_date(instant, "America/New_York") == date(2026, 3, 8)
    assert local_date(instant, "Asia/Shanghai") == date(2026, 3, 8)
    assert local_date(datetime(2026, 3, 8, 16, 30, tzinfo=UTC), "Asia/Shanghai") == date(2026, 3, 9)


def test_yesterday_is_the_bank_zone_s_yesterday() -> None:
    clock = FixedClock(datetime(2026, 11, 21, 17, 0, tzinfo=UTC))  # 01:00 on the 22nd in Shanghai
    assert yesterday(clock, "Asia/Shanghai") == date(2026, 11, 21)
    assert yesterday(clock, "America/New_York") == date(2026, 11, 20)


def test_instants_round_trip_utc_aware_and_naive_ones_are_refused(engine: Engine) -> None:
    table = Table(
        "instants", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime())
    )
    table.create(engine)
    east = timezone(timedelta(hours=8))
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": 1, "at": datetime(2026, 3, 10, 8, 0, tzinfo=east)}])
        with pytest.raises(StatementError, match="naive"):
            connection.execute(insert(table), [{"id": 2, "at": datetime(2026, 3, 10, 8, 0)}])  # noqa: DTZ001
    with engine.connect() as connection:
        stored = connection.execute(select(table.c.at)).scalar_one()
    assert stored == datetime(2026, 3, 10, 0, 0, tzinfo=UTC) and stored.tzinfo is not None
