"""Time: UTC-aware instants, business dates, and local time from IANA zones.

Nothing in Arrears reads the wall clock directly: a :class:`Clock` is passed in, so the batch
and the tests can run as of any day. Conversions between an instant and a customer's local
time live here and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, UTC-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told; tests and backfills use it."""

    def __init__(self, instant: datetime) -> None:
        self._instant = ensure_aware(instant)

    def now(self) -> datetime:
        return self._instant

    def advance(self, delta: timedelta) -> None:
        self._instant += delta


class NaiveDatetimeError(InvalidInputError):
    """A datetime without a time zone reached a place that stores instants."""

    code = "naive_datetime"
    default_message = N_("A date and time without a time zone cannot be stored as an instant")


def ensure_aware(instant: datetime) -> datetime:
    """Return the instant in UTC; refuse a naive datetime instead of guessing its zone."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise NaiveDatetimeError(N_("naive datetime {instant} has no time zone"), instant=instant.isoformat())
    return instant.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(N_("{name} is not an IANA time zone"), name=repr(echo(name))) from None


def is_time_zone(name: str) -> bool:
    return name in _zone_names()


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES  # noqa: PLW0603 - computed once, the zone list does not change in a process
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def time_zone_names() -> frozenset[str]:
    return _zone_names()


def local(instant: datetime, zone_name: str) -> datetime:
    """The instant as wall-clock time in an IANA zone."""
    return ensure_aware(instant).astimezone(zone(zone_name))


def local_date(instant: datetime, zone_name: str) -> date:
    return local(instant, zone_name).date()


def day_start(day: date, zone_name: str) -> datetime:
    """The instant (UTC) a date begins in an IANA zone: its first wall-clock instant there."""
    return datetime.combine(day, time(0), tzinfo=zone(zone_name)).astimezone(UTC)


def business_today(clock: Clock, bank_zone: str) -> date:
    """Today's business date in the bank's zone."""
    return local_date(clock.now(), bank_zone)


def yesterday(clock: Clock, bank_zone: str) -> date:
    return business_today(clock, bank_zone) - timedelta(days=1)
