"""Local wall-clock dates and times of many instants in one zone, from ``zoneinfo`` as the gate reads them.

The gate over a batch (:mod:`arrears.compliance.batch`) must see the same local date and time as the
gate over one request, which asks ``zoneinfo``. Asking it once per instant would be one Python call
per row; instead the zone's UTC offset is asked once per UTC hour that holds any of the instants (every
hour between the first and the last when they are dense; a zone changes its offset at most once
within an hour), and where it changes within an hour the
instant of the change is found by bisection. Everything else is numpy arithmetic on microseconds
since the epoch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

Micros = npt.NDArray[np.int64]

SECOND_US = 1_000_000
HOUR_US = 3600 * SECOND_US
DAY_US = 24 * HOUR_US
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def instant(micros: int) -> datetime:
    """The UTC instant ``micros`` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=micros)


def micros_of(moment: datetime) -> int:
    """Microseconds since the epoch of an aware instant."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND_US + delta.microseconds


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the local dates of this module are such numbers)."""
    return day.toordinal() - EPOCH_ORDINAL


def date_of(number: int) -> date:
    return date.fromordinal(number + EPOCH_ORDINAL)


def micros_of_day(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * SECOND_US + moment.microsecond


def _offset(info: ZoneInfo, micros: int) -> int:
    offset = instant(micros).astimezone(info).utcoffset()
    assert offset is not None  # an aware datetime's offset
    return offset // timedelta(microseconds=1)


def utc_offsets(info: ZoneInfo, instants: Micros) -> Micros:
    """The zone's UTC offset (microseconds) at each instant."""
    if len(instants) == 0:
        return np.zeros(0, np.int64)
    hours = instants // HOUR_US
    first, last = int(hours.min()), int(hours.max())
    if last - first < len(instants):  # dense: every hour from the first to the last, no sort
        asked, inverse = np.arange(first, last + 1, dtype=np.int64), hours - first
    else:
        asked, inverse = np.unique(hours, return_inverse=True)
    per_hour = np.empty(len(asked), np.int64)
    changing: list[tuple[int, int, int, int]] = []
    for index, hour in enumerate(asked.tolist()):
        start = hour * HOUR_US
        before, after = _offset(info, start), _offset(info, start + HOUR_US - 1)
        per_hour[index] = before
        if before != after:
            changing.append((index, _change_within(info, start, before), before, after))
    offsets = per_hour[inverse]
    for index, change, before, after in changing:
        in_hour = inverse == index
        offsets[in_hour] = np.where(instants[in_hour] < change, before, after)
    return offsets


def _change_within(info: ZoneInfo, start: int, first: int) -> int:
    """The first instant of the hour from ``start`` whose offset is no longer ``first``."""
    low, high = start, start + HOUR_US - 1
    while low < high:
        middle = (low + high) // 2
        if _offset(info, middle) == first:
            low = middle + 1
        else:
            high = middle
    return low


def local_days_and_times(info: ZoneInfo, instants: Micros) -> tuple[Micros, Micros]:
    """Each instant's local date (days since the epoch) and local time of day (microseconds)."""
    wall = instants + utc_offsets(info, instants)
    return wall // DAY_US, wall % DAY_US


def wall_instant(info: ZoneInfo, day: int, wall: time) -> int:
    """The instant of a local date and wall-clock time, as the scalar gate makes it
    (``datetime.combine(day, wall, tzinfo=zone)``: the earlier reading of an ambiguous time)."""
    return micros_of(datetime.combine(date_of(day), wall, tzinfo=info).astimezone(UTC))
