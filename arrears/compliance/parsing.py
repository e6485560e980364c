"""Facts and requests from plain mappings (scenario files, API bodies), checked on the way in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from arrears.clock import is_time_zone, zone
from arrears.compliance.facts import (
    CALL_OUTCOMES,
    CHANNELS,
    PARTIES,
    TEXT_PURPOSES,
    ContactPoint,
    ContactRequest,
    Event,
    Facts,
    Request,
    TextRequest,
    TimeWindow,
    canonical_channel,
)
from arrears.compliance.packs import parse_clock
from arrears.compliance.standing import CLOSING_EVENTS, OPENING_EVENTS

EVENT_KINDS = frozenset(
    {"call", "inbound_call", "sms", "email", "letter", "wechat", "visit", "verification_sent"}
    | {"consent", "callback_requested", "inconvenient_time", "inconvenient_place"}
    | {"opt_out", "contact_refused", "hold_placed", "hold_lifted"}
    | set(OPENING_EVENTS)
    | set(CLOSING_EVENTS)
)
"""Every kind the gate reads: an unknown one (a typo) would otherwise be silently ignored."""


class ScenarioError(ValueError):
    """A scenario or request that cannot be read; the message says where and why."""


def parse_instant(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        instant = value
    else:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            raise ScenarioError(f"{where}: not an ISO 8601 instant: {value!r}") from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ScenarioError(f"{where}: {value!r} has no UTC offset")
    return instant


def facts_from_mapping(data: Mapping[str, Any]) -> Facts:
    debtor = data.get("debtor") or {}
    timezone = debtor.get("timezone")
    candidates = tuple(debtor.get("candidate_timezones") or ())
    for name in (timezone, *candidates):
        if name is not None and not is_time_zone(name):
            raise ScenarioError(f"debtor: {name!r} is not an IANA time zone")
    points = tuple(_contact_point(p) for p in data.get("contact_points") or ())
    first_zone = timezone or (candidates[0] if candidates else None)
    events = tuple(_event(e, i, first_zone) for i, e in enumerate(data.get("events") or ()))
    return Facts(timezone, candidates, points, events)


def request_from_mapping(data: Mapping[str, Any]) -> Request:
    kind = data.get("kind", "contact")
    if kind == "text":
        purpose = str(data.get("purpose", "note"))
        if purpose not in TEXT_PURPOSES:
            raise ScenarioError(f"request: purpose {purpose!r} is not one of {sorted(TEXT_PURPOSES)}")
        return TextRequest(
            purpose=purpose,
            text=str(data.get("text", "")),
            channel=canonical_channel(str(data["channel"])) if data.get("channel") else None,
            party=str(data.get("party", "debtor")),
            template_kind=data.get("template_kind"),
        )
    if kind != "contact":
        raise ScenarioError(f"request: kind {kind!r} is not contact or text")
    channel = canonical_channel(str(data.get("channel", "call")))
    if channel not in CHANNELS:
        raise ScenarioError(f"request: channel {channel!r} is not one of {sorted(CHANNELS)}")
    return ContactRequest(
        at=parse_instant(data.get("at"), "request.at"),
        channel=channel,
        to=data.get("to"),
        debts=_debts(data),
        purpose=data.get("purpose"),
        registered_channel=bool(data.get("registered_channel", data.get("registered", True))),
    )


def _debts(data: Mapping[str, Any]) -> tuple[str, ...]:
    debts = data.get("debts", data.get("debt"))
    if debts is None:
        return ()
    if isinstance(debts, str):
        return (debts,)
    return tuple(str(d) for d in debts)


def _contact_point(data: Mapping[str, Any]) -> ContactPoint:
    party = str(data.get("party", "debtor"))
    if party not in PARTIES:
        raise ScenarioError(
            f"contact point {data.get('id')!r}: party {party!r} is not one of {sorted(PARTIES)}"
        )
    return ContactPoint(
        id=str(data["id"]),
        type=str(data.get("type", "mobile")),
        party=party,
        do_not_contact=bool(data.get("do_not_contact", False)),
    )


def _event(data: Mapping[str, Any], index: int, first_zone: str | None) -> Event:
    where = f"events[{index}]"
    if "kind" not in data:
        raise ScenarioError(f"{where}: an event has a kind")
    kind = str(data["kind"])
    if kind not in EVENT_KINDS:
        raise ScenarioError(f"{where}: kind {kind!r} is not one of {sorted(EVENT_KINDS)}")
    outcome = data.get("outcome")
    if kind in ("call", "inbound_call") and outcome is not None and outcome not in CALL_OUTCOMES:
        raise ScenarioError(f"{where}: outcome {outcome!r} is not one of {sorted(CALL_OUTCOMES)}")
    at_time = data.get("at_time")
    callback_at = None
    callback_time = None
    if at_time is not None:
        if isinstance(at_time, int) or (isinstance(at_time, str) and len(at_time) <= 8):
            callback_time = parse_clock(at_time)
        else:
            callback_at = parse_instant(at_time, f"{where}.at_time")
    return Event(
        kind=kind,
        at=parse_instant(data["at"], f"{where}.at") if data.get("at") is not None else None,
        to=data.get("to"),
        source=data.get("from"),
        outcome=outcome,
        debts=_debts(data),
        channel=canonical_channel(str(data["channel"])) if data.get("channel") else None,
        window=_window(data.get("window"), where),
        until=_until(data.get("until"), first_zone, where),
        callback_at=callback_at,
        callback_time=callback_time,
        written=data.get("written"),
        contact=data.get("contact"),
        place=data.get("place"),
        hold=data.get("hold"),
    )


def _window(data: Mapping[str, Any] | Sequence[Any] | None, where: str) -> TimeWindow | None:
    if data is None:
        return None
    if isinstance(data, Mapping):
        start, end = data.get("from"), data.get("to")
    else:
        start, end = data
    if start is None or end is None:
        raise ScenarioError(f"{where}.window: give from and to (HH:MM)")
    return TimeWindow(parse_clock(start), parse_clock(end))


def _until(value: Any, first_zone: str | None, where: str) -> datetime | None:
    """An instant, or a date meaning the end of that day in the debtor's zone."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and len(value) == 10:
        day = date.fromisoformat(value)
    else:
        return parse_instant(value, f"{where}.until")
    tz = zone(first_zone) if first_zone else UTC
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz) - timedelta(microseconds=1)
