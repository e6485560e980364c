"""The facts the contact gate decides on, and the questions put to it.

Everything here is a plain immutable value: the services gather facts from the database, the
scenario loader builds them from YAML, and the gate reads them without any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

PARTIES = frozenset(
    {"debtor", "spouse", "guarantor", "emergency_contact", "employer", "third_party", "attorney"}
    | {"guardian", "executor", "parent"}
)
CONTACT_TYPES = frozenset({"mobile", "landline", "work_phone", "email", "address", "wechat"})
CHANNELS = frozenset({"call", "sms", "email", "letter", "visit", "wechat", "voicemail"})
CALL_OUTCOMES = frozenset(
    {"no_answer", "voicemail", "not_connected", "conversation", "wrong_party", "invalid_number"}
)
TEXT_PURPOSES = frozenset({"template", "note", "script"})

PHONE_CHANNELS = frozenset({"call", "voicemail"})
"""Channels that place a telephone call (a voicemail is left by a call)."""

CHANNEL_ALIASES = {
    "text": "sms",
    "phone": "call",
    "e-mail": "email",
    "mail": "letter",
    "field_visit": "visit",
}


def canonical_channel(name: str) -> str:
    lowered = name.strip().lower()
    return CHANNEL_ALIASES.get(lowered, lowered)


@dataclass(frozen=True)
class TimeWindow:
    """A span of local wall-clock time, [start, end); it may cross midnight."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def to_json(self) -> dict[str, str]:
        return {"from": self.start.strftime("%H:%M"), "to": self.end.strftime("%H:%M")}


@dataclass(frozen=True)
class ContactPoint:
    id: str
    type: str
    party: str
    do_not_contact: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "party": self.party, "do_not_contact": self.do_not_contact}


@dataclass(frozen=True)
class Event:
    """One thing that happened before the question: a call, a hold, a consent, an opt-out.

    Only the fields its kind uses are set (see the scenario README for the kinds).
    """

    kind: str
    at: datetime | None = None
    to: str | None = None
    source: str | None = None
    outcome: str | None = None
    debts: tuple[str, ...] = ()
    channel: str | None = None
    window: TimeWindow | None = None
    until: datetime | None = None
    callback_at: datetime | None = None
    callback_time: time | None = None
    written: bool | None = None
    contact: str | None = None
    place: str | None = None
    hold: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name, value in (
            ("at", self.at),
            ("to", self.to),
            ("from", self.source),
            ("outcome", self.outcome),
            ("channel", self.channel),
            ("until", self.until),
            ("callback_at", self.callback_at),
            ("written", self.written),
            ("contact", self.contact),
            ("place", self.place),
            ("hold", self.hold),
        ):
            if value is not None:
                data[name] = value.isoformat() if isinstance(value, datetime) else value
        if self.debts:
            data["debts"] = list(self.debts)
        if self.window is not None:
            data["window"] = self.window.to_json()
        if self.callback_time is not None:
            data["at_time"] = self.callback_time.strftime("%H:%M")
        return data


@dataclass(frozen=True)
class Facts:
    """What is known about the customer when the question is asked."""

    timezone: str | None = None
    candidate_timezones: tuple[str, ...] = ()
    contact_points: tuple[ContactPoint, ...] = ()
    events: tuple[Event, ...] = ()

    def point(self, point_id: str | None) -> ContactPoint | None:
        return next((p for p in self.contact_points if p.id == point_id), None)

    def known_before(self, instant: datetime) -> Facts:
        """The facts as they stood at an instant: later events are not yet known."""
        earlier = tuple(e for e in self.events if e.at is None or e.at <= instant)
        return Facts(self.timezone, self.candidate_timezones, self.contact_points, earlier)

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "candidate_timezones": list(self.candidate_timezones),
            "contact_points": [p.to_json() for p in self.contact_points],
            "events": [e.to_json() for e in self.events],
        }


@dataclass(frozen=True)
class ContactRequest:
    """May we contact this point, by this channel, at this instant?"""

    at: datetime
    channel: str
    to: str | None = None
    debts: tuple[str, ...] = ()
    purpose: str | None = None
    registered_channel: bool = True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": "contact", "at": self.at.isoformat(), "channel": self.channel}
        if self.to is not None:
            data["to"] = self.to
        if self.debts:
            data["debts"] = list(self.debts)
        if self.purpose is not None:
            data["purpose"] = self.purpose
        if not self.registered_channel:
            data["registered_channel"] = False
        return data


@dataclass(frozen=True)
class TextRequest:
    """May this text be published (template, script) or stored (note)?"""

    purpose: str
    text: str
    channel: str | None = None
    party: str = "debtor"
    template_kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "text",
            "purpose": self.purpose,
            "party": self.party,
            "text": self.text,
        }
        if self.channel is not None:
            data["channel"] = self.channel
        if self.template_kind is not None:
            data["template_kind"] = self.template_kind
        return data


Request = ContactRequest | TextRequest
