"""What stands on a customer at the moment of a request: holds, opt-outs, refusals, consents.

Each is derived from the event history in order, so that a hold is lifted by its closing event and
a later event re-opens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from arrears.compliance.facts import PHONE_CHANNELS, Event, Facts, canonical_channel

HOLD_RULES = {
    "dispute": "HOLD-DISPUTE",
    "cease": "HOLD-CEASE",
    "bankruptcy": "HOLD-BANKRUPTCY",
    "deceased": "HOLD-DECEASED",
    "hardship": "HOLD-HARDSHIP",
}
OPENING_EVENTS = {
    "dispute_opened": "dispute",
    "cease_requested": "cease",
    "bankruptcy": "bankruptcy",
    "deceased": "deceased",
    "hardship": "hardship",
    "attorney_represented": "attorney",
    "incapacitated": "incapacitated",
}
CLOSING_EVENTS = {
    "dispute_resolved": "dispute",
    "dispute_withdrawn": "dispute",
    "cease_withdrawn": "cease",
    "bankruptcy_dismissed": "bankruptcy",
    "bankruptcy_closed": "bankruptcy",
    "deceased_revoked": "deceased",
    "hardship_ended": "hardship",
    "attorney_withdrawn": "attorney",
    "capacity_restored": "incapacitated",
}
CALLBACK_CONSENT_DAYS = 7
CALLBACK_EARLY = timedelta(minutes=15)
CALLBACK_LATE = timedelta(hours=1)


@dataclass(frozen=True)
class Standing:
    open_states: dict[str, Event]
    """Open holds and conditions (dispute, cease, attorney ...) and the event that opened each."""
    opt_outs: tuple[Event, ...]
    refused_contacts: frozenset[str]
    consents: tuple[Event, ...]
    inconvenient: tuple[Event, ...]
    callbacks: tuple[Event, ...]

    def is_open(self, state: str) -> bool:
        return state in self.open_states


def standing_of(facts: Facts, *, verification_ends_dispute: bool) -> Standing:
    states: dict[str, Event] = {}
    for event in facts.events:
        if event.kind in OPENING_EVENTS:
            states[OPENING_EVENTS[event.kind]] = event
        elif event.kind == "hold_placed" and event.hold:
            states[event.hold] = event
        elif event.kind == "hold_lifted" and event.hold:
            states.pop(event.hold, None)
        elif event.kind in CLOSING_EVENTS:
            states.pop(CLOSING_EVENTS[event.kind], None)
        elif event.kind == "verification_sent" and verification_ends_dispute:
            states.pop("dispute", None)
    by_kind = _by_kind(facts.events)
    return Standing(
        open_states=states,
        opt_outs=by_kind.get("opt_out", ()),
        refused_contacts=frozenset(e.contact or e.to or "" for e in by_kind.get("contact_refused", ())),
        consents=by_kind.get("consent", ()),
        inconvenient=by_kind.get("inconvenient_time", ()) + by_kind.get("inconvenient_place", ()),
        callbacks=by_kind.get("callback_requested", ()),
    )


def _by_kind(events: tuple[Event, ...]) -> dict[str, tuple[Event, ...]]:
    grouped: dict[str, list[Event]] = {}
    for event in events:
        grouped.setdefault(event.kind, []).append(event)
    return {kind: tuple(items) for kind, items in grouped.items()}


def channel_matches(event_channel: str | None, channel: str) -> bool:
    """An event about a channel covers the request's channel (a call opt-out covers voicemail)."""
    if event_channel is None or event_channel in ("all", "any"):
        return True
    wanted = canonical_channel(event_channel)
    if wanted in PHONE_CHANNELS:
        return channel in PHONE_CHANNELS
    return wanted == channel


def opted_out(standing: Standing, point_id: str | None, channel: str) -> Event | None:
    for event in standing.opt_outs:
        if (event.to is None or event.to == point_id) and channel_matches(event.channel, channel):
            return event
    return None


def callback_covers(callback: Event, instant: datetime, zone_local_time: datetime) -> bool:
    """A call at ``instant`` is the one the person asked for (Reg F: placed with direct prior consent)."""
    if callback.at is not None and not (
        callback.at <= instant <= callback.at + timedelta(days=CALLBACK_CONSENT_DAYS)
    ):
        return False
    if callback.callback_at is not None:
        return callback.callback_at - CALLBACK_EARLY <= instant <= callback.callback_at + CALLBACK_LATE
    if callback.callback_time is not None:
        asked = zone_local_time.replace(
            hour=callback.callback_time.hour, minute=callback.callback_time.minute, second=0, microsecond=0
        )
        return asked - CALLBACK_EARLY <= zone_local_time <= asked + CALLBACK_LATE
    return True
