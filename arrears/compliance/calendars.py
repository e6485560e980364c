"""Holiday calendars a bank may add to a pack's ``holidays`` (no contact on those local dates).

Public holidays come from maintained libraries, for every year they know, never from dates kept
by hand: ``chinesecalendar`` for mainland China (the State Council's schedule, with the make-up
working days, 调休), ``holidays`` for the United States and the United Kingdom. A year that
``chinesecalendar`` does not know yet (the State Council publishes the next year's schedule late
in the year) falls back to the statutory days of ``holidays``, without make-up working days.

A calendar is computed once per year and kept (:func:`calendar_year`); the libraries are pure data,
so the gate stays free of I/O. A bank's own dates and ranges, and dates it takes out of the
calendars it named, are data in its policy (:class:`HolidaySet`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
import holidays as holiday_library

from arrears.errors import InvalidInputError
from arrears.i18n import N_, Text

CALENDARS: dict[str, str] = {
    "cn-public-holidays": N_(
        "mainland China's public holidays, each whole official period (chinesecalendar)"
    ),
    "cn-rest-days": N_(
        "mainland China's days off: weekends and public holidays, less the make-up working days (调休)"
    ),
    "us-federal-holidays": N_("United States federal holidays, observed days included (holidays)"),
    "uk-bank-holidays": N_("bank holidays of England and Wales (holidays)"),
    "uk-bank-holidays-scotland": N_("bank holidays of Scotland (holidays)"),
    "uk-bank-holidays-northern-ireland": N_("bank holidays of Northern Ireland (holidays)"),
    "weekends": N_("every Saturday and Sunday"),
}
"""Calendars that hold every year, by name, with what each holds."""

CN_PERIODS: dict[str, chinese_calendar.Holiday] = {
    "new-years-day": chinese_calendar.Holiday.new_years_day,
    "spring-festival": chinese_calendar.Holiday.spring_festival,
    "tomb-sweeping-day": chinese_calendar.Holiday.tomb_sweeping_day,
    "labour-day": chinese_calendar.Holiday.labour_day,
    "dragon-boat-festival": chinese_calendar.Holiday.dragon_boat_festival,
    "mid-autumn-festival": chinese_calendar.Holiday.mid_autumn_festival,
    "national-day": chinese_calendar.Holiday.national_day,
}
"""One official period of one year: ``cn-spring-festival-2026``, ``cn-national-day-2025`` …"""

_PERIOD = re.compile(r"^cn-(?P<period>[a-z-]+)-(?P<year>\d{4})$")
_UK_SUBDIVISIONS = {
    "uk-bank-holidays": "ENG",
    "uk-bank-holidays-scotland": "SCT",
    "uk-bank-holidays-northern-ireland": "NIR",
}


class CalendarError(InvalidInputError):
    """A holiday entry that is no date, range or known calendar."""

    code = "unknown_calendar"
    default_message = N_("Not a date, a date range or a known holiday calendar")


def _days(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def _chinesecalendar_knows(year: int) -> bool:
    try:
        chinese_calendar.is_holiday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _cn_public_holidays(year: int) -> frozenset[date]:
    if _chinesecalendar_knows(year):
        return frozenset(day for day in _days(year) if all(chinese_calendar.get_holiday_detail(day)))
    return frozenset(holiday_library.country_holidays("CN", years=year))


def _cn_rest_days(year: int) -> frozenset[date]:
    if _chinesecalendar_knows(year):
        return frozenset(day for day in _days(year) if not chinese_calendar.is_workday(day))
    return _weekends(year) | _cn_public_holidays(year)


def _weekends(year: int) -> frozenset[date]:
    return frozenset(day for day in _days(year) if day.weekday() >= 5)


def _library(country: str, subdivision: str | None = None) -> Callable[[int], frozenset[date]]:
    def days(year: int) -> frozenset[date]:
        return frozenset(holiday_library.country_holidays(country, subdiv=subdivision, years=year))

    return days


_BUILDERS: dict[str, Callable[[int], frozenset[date]]] = {
    "cn-public-holidays": _cn_public_holidays,
    "cn-rest-days": _cn_rest_days,
    "us-federal-holidays": _library("US"),
    **{name: _library("GB", code) for name, code in _UK_SUBDIVISIONS.items()},
    "weekends": _weekends,
}


@lru_cache(maxsize=256)
def calendar_year(name: str, year: int) -> frozenset[date]:
    """The days of one year of a named calendar (computed once per name and year)."""
    return _BUILDERS[name](year)


def period_days(name: str) -> frozenset[date] | None:
    """The days of a named official period of one year (``cn-spring-festival-2026``), else None."""
    found = _PERIOD.match(name)
    if found is None or found["period"] not in CN_PERIODS:
        return None
    year = int(found["year"])
    if not _chinesecalendar_knows(year):
        raise CalendarError(
            N_("{name}: the official schedule of {year} is not known yet; name the dates instead"),
            name=name,
            year=year,
        )
    wanted = CN_PERIODS[found["period"]].value
    return frozenset(day for day in _days(year) if chinese_calendar.get_holiday_detail(day) == (True, wanted))


def parse_entry(entry: object) -> tuple[frozenset[str], frozenset[date]]:
    """A holiday entry: a calendar of every year (by name), or dates (a date, ``from..to``, a period)."""
    if isinstance(entry, date):
        return frozenset(), frozenset({entry})
    text = str(entry).strip()
    if text in CALENDARS:
        return frozenset({text}), frozenset()
    period = period_days(text)
    if period is not None:
        return frozenset(), period
    try:
        if ".." in text:
            first, last = (date.fromisoformat(part.strip()) for part in text.split("..", 1))
            if last < first:
                raise ValueError(text)
            return frozenset(), frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))
        return frozenset(), frozenset({date.fromisoformat(text)})
    except ValueError:
        raise CalendarError(
            N_(
                "not a date, a date range (from..to) or a known calendar: {entry}; "
                "known calendars: {calendars}, and cn-<period>-<year> for {periods}"
            ),
            entry=repr(text),
            calendars=", ".join(CALENDARS),
            periods=", ".join(CN_PERIODS),
        ) from None


@dataclass(frozen=True)
class HolidaySet:
    """One party's holidays: calendars of every year, dates added, and dates taken out of them."""

    calendars: frozenset[str] = frozenset()
    added: frozenset[date] = frozenset()
    removed: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, add: Iterable[object] = (), remove: Iterable[object] = ()) -> HolidaySet:
        calendars: set[str] = set()
        added: set[date] = set()
        for entry in add:
            names, days = parse_entry(entry)
            calendars |= names
            added |= days
        removed: set[date] = set()
        for entry in remove:
            names, days = parse_entry(entry)
            if names:
                raise CalendarError(
                    N_("remove takes dates and date ranges, not a calendar: {entry}"), entry=repr(entry)
                )
            removed |= days
        return cls(frozenset(calendars), frozenset(added), frozenset(removed))

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day in self.added:
            return True
        if day in self.removed:
            return False
        return any(day in calendar_year(name, day.year) for name in self.calendars)

    def __bool__(self) -> bool:
        return bool(self.calendars or self.added)

    def describe(self) -> Text:
        return Text.of(
            N_("calendars: {calendars}; dates added: {added}; dates taken out: {removed}"),
            calendars=", ".join(sorted(self.calendars)) or "-",
            added=_ranges(self.added) or "-",
            removed=_ranges(self.removed) or "-",
        )


@dataclass(frozen=True)
class Holidays:
    """A pack's holidays and each tightening's own on top: a day is a holiday if any layer says so.

    A layer's removals apply to that layer only, so a bank can take a day out of a calendar it
    named itself but never out of the pack's (that would loosen the pack).
    """

    layers: tuple[HolidaySet, ...] = ()

    def __contains__(self, day: object) -> bool:
        return any(day in layer for layer in self.layers)

    def __bool__(self) -> bool:
        return any(self.layers)

    def adding(self, layer: HolidaySet) -> Holidays:
        return Holidays((*self.layers, layer)) if layer else self


def _ranges(days: frozenset[date]) -> str:
    """``2026-05-01..2026-05-05, 2026-10-01`` for a set of dates."""
    spans: list[tuple[date, date]] = []
    for day in sorted(days):
        if spans and day - spans[-1][1] == timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return ", ".join(a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in spans)
