"""The scenario format as pydantic models, and the facts and requests built from them.

Every key of a scenario is known and in its place: an unknown key, a key that does not belong to
its event's kind, a value of the wrong type or outside its list is refused with the file, the line
and the key (:mod:`arrears.yamlfile`); a typo such as ``dispute_open`` would otherwise drop a hold.
The format is documented in ``docs/compliance-scenarios.md``.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from arrears.clock import zone
from arrears.compliance.facts import (
    CALL_OUTCOMES,
    CHANNELS,
    CONTACT_TYPES,
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
from arrears.compliance.packfile import Clock, Tightening, TimeZoneName, parse_clock
from arrears.compliance.standing import CLOSING_EVENTS, OPENING_EVENTS
from arrears.i18n import N_
from arrears.yamlfile import FileModel, YamlFileError

PackId = Literal["cn", "us-regf", "uk-fca"]
Party = Literal[
    "debtor",
    "spouse",
    "guarantor",
    "emergency_contact",
    "employer",
    "third_party",
    "attorney",
    "guardian",
    "executor",
    "parent",
]
ContactType = Literal["mobile", "landline", "work_phone", "email", "address", "wechat"]
Outcome = Literal["no_answer", "voicemail", "not_connected", "conversation", "wrong_party", "invalid_number"]
Purpose = Literal["template", "note", "script"]
EventKind = Literal[
    "call",
    "inbound_call",
    "sms",
    "email",
    "letter",
    "wechat",
    "visit",
    "verification_sent",
    "consent",
    "callback_requested",
    "inconvenient_time",
    "inconvenient_place",
    "opt_out",
    "contact_refused",
    "hold_placed",
    "hold_lifted",
    "dispute_opened",
    "cease_requested",
    "bankruptcy",
    "deceased",
    "hardship",
    "attorney_represented",
    "incapacitated",
    "dispute_resolved",
    "dispute_withdrawn",
    "cease_withdrawn",
    "bankruptcy_dismissed",
    "bankruptcy_closed",
    "deceased_revoked",
    "hardship_ended",
    "attorney_withdrawn",
    "capacity_restored",
]
EVENT_KINDS = frozenset(typing.get_args(EventKind))
"""Every kind the gate reads: an unknown one (a typo) would otherwise be silently ignored."""

assert set(typing.get_args(Party)) == PARTIES
assert set(typing.get_args(ContactType)) == CONTACT_TYPES
assert set(typing.get_args(Outcome)) == CALL_OUTCOMES
assert set(typing.get_args(Purpose)) == TEXT_PURPOSES
assert set(OPENING_EVENTS) | set(CLOSING_EVENTS) <= EVENT_KINDS

_DEBTS = frozenset({"debts", "debt"})
_WRITTEN = frozenset({"written"})
EVENT_FIELDS: dict[str, frozenset[str]] = {
    "call": frozenset({"to", "outcome"}) | _DEBTS,
    "inbound_call": frozenset({"from", "outcome"}) | _DEBTS,
    "sms": frozenset({"to"}) | _DEBTS,
    "email": frozenset({"to"}) | _DEBTS,
    "letter": frozenset({"to"}) | _DEBTS,
    "wechat": frozenset({"to"}) | _DEBTS,
    "visit": frozenset({"to", "outcome"}) | _DEBTS,
    "consent": frozenset({"channel", "window", "until", "to"}),
    "callback_requested": frozenset({"at_time", "channel", "to"}),
    "inconvenient_time": frozenset({"window", "channel", "to"}),
    "inconvenient_place": frozenset({"place", "to"}),
    "opt_out": frozenset({"channel", "to"}),
    "contact_refused": frozenset({"contact", "to"}),
    "hold_placed": frozenset({"hold"}),
    "hold_lifted": frozenset({"hold"}),
    "dispute_opened": _WRITTEN,
    "dispute_resolved": _WRITTEN,
    "dispute_withdrawn": _WRITTEN,
    "cease_requested": _WRITTEN,
    "cease_withdrawn": _WRITTEN,
}
"""The keys an event of each kind may carry beside ``kind`` and ``at`` (others carry none)."""


class ScenarioError(YamlFileError):
    """A scenario file or a scenario in it that cannot be read; the message says where and why."""

    code = "invalid_scenario"
    default_message = N_("The scenario cannot be read")


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 instant with its UTC offset."""
    if isinstance(value, datetime):
        instant = value
    else:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            raise ScenarioError(N_("{value} is not an ISO 8601 instant"), value=repr(value)) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ScenarioError(N_("{value} has no UTC offset"), value=repr(str(value)))
    return instant


def _until(value: Any) -> Any:
    """A date (the end of that day, debtor-local) or an instant."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ScenarioError(N_("{value} is not a date (YYYY-MM-DD)"), value=repr(value)) from None
    return parse_instant(value)


def _at_time(value: Any) -> Any:
    """A time of day ("19:30") or an instant."""
    if isinstance(value, int) or (isinstance(value, str) and len(value) <= 8):
        return parse_clock(value)
    return parse_instant(value)


def _window(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2:
        return {"from": value[0], "to": value[1]}
    return value


def _channel(value: Any) -> Any:
    return canonical_channel(value) if isinstance(value, str) else value


Instant = Annotated[datetime, BeforeValidator(parse_instant)]
Channel = Annotated[
    Literal["call", "sms", "email", "letter", "visit", "wechat", "voicemail"], BeforeValidator(_channel)
]
assert set(typing.get_args(typing.get_args(Channel)[0])) == CHANNELS
Debts = list[str] | str


class WindowModel(FileModel):
    start: Clock = Field(alias="from")
    end: Clock = Field(alias="to")


Window = Annotated[WindowModel, BeforeValidator(_window)]


class DebtorModel(FileModel):
    timezone: TimeZoneName | None = None
    candidate_timezones: list[TimeZoneName] = Field(default_factory=list)


class ContactPointModel(FileModel):
    id: str
    type: ContactType = "mobile"
    party: Party = "debtor"
    do_not_contact: bool = False


class EventModel(FileModel):
    kind: EventKind
    at: Instant | None = None
    to: str | None = None
    source: str | None = Field(default=None, alias="from")
    outcome: Outcome | None = None
    debts: Debts | None = None
    debt: Debts | None = None
    channel: Channel | None = None
    window: Window | None = None
    until: Annotated[date | datetime, BeforeValidator(_until)] | None = None
    at_time: Annotated[time | datetime, BeforeValidator(_at_time)] | None = None
    written: bool | None = None
    contact: str | None = None
    place: str | None = None
    hold: str | None = None

    @model_validator(mode="after")
    def _keys_of_its_kind(self) -> EventModel:
        allowed = EVENT_FIELDS.get(self.kind, frozenset())
        fields = type(self).model_fields
        given = {fields[name].alias or name for name in self.model_fields_set}
        misplaced = sorted(given - allowed - {"kind", "at"})
        if misplaced:
            raise ScenarioError(
                N_("{keys} is not a key of a {kind} event; its keys: {known}"),
                keys=", ".join(misplaced),
                kind=self.kind,
                known=", ".join(["at", *sorted(allowed)]),
            )
        return self


class ContactRequestModel(FileModel):
    kind: Literal["contact"] = "contact"
    at: Instant
    channel: Channel = "call"
    to: str | None = None
    debts: Debts | None = None
    debt: Debts | None = None
    purpose: str | None = None
    registered_channel: bool | None = None
    registered: bool | None = None


class TextRequestModel(FileModel):
    kind: Literal["text"]
    purpose: Purpose = "note"
    text: str = ""
    channel: Channel | None = None
    party: Party = "debtor"
    template_kind: str | None = None


def _request_kind(value: Any) -> str:
    kind = value.get("kind", "contact") if isinstance(value, Mapping) else "contact"
    return kind if isinstance(kind, str) else repr(kind)


RequestModel = Annotated[
    Annotated[ContactRequestModel, Tag("contact")] | Annotated[TextRequestModel, Tag("text")],
    Discriminator(_request_kind),
]


class ExpectModel(FileModel):
    decision: Literal["allow", "block", "review", "error", "refused"]
    rules: list[str] | str | None = None
    next_allowed_at: Instant | None = None


class ScenarioModel(FileModel):
    id: str
    pack: PackId = "cn"
    tighten: Tightening | None = None
    debtor: DebtorModel = DebtorModel()
    contact_points: list[ContactPointModel] = Field(default_factory=list)
    events: list[EventModel] = Field(default_factory=list)
    request: RequestModel
    expect: ExpectModel


class ScenarioFileModel(FileModel):
    """The file: a list under ``scenarios:``; each item is validated on its own (:class:`ScenarioModel`)."""

    scenarios: list[dict[str, Any]]


def debts_of(*values: Debts | None) -> tuple[str, ...]:
    for value in values:
        if value is not None:
            return (value,) if isinstance(value, str) else tuple(value)
    return ()


def facts_of(model: ScenarioModel) -> Facts:
    return facts_from(model.debtor, model.contact_points, model.events)


def facts_from(
    debtor: DebtorModel,
    contact_points: Sequence[ContactPointModel],
    events: Sequence[EventModel],
    *,
    known_points: Sequence[ContactPoint] = (),
) -> Facts:
    """Facts from the scenario format's parts (a scenario, or the API's compliance check, which
    adds the customer's stored contact points as ``known_points``)."""
    candidates = tuple(debtor.candidate_timezones)
    first_zone = debtor.timezone or (candidates[0] if candidates else None)
    points = (
        *known_points,
        *(ContactPoint(p.id, p.type, p.party, p.do_not_contact) for p in contact_points),
    )
    return Facts(debtor.timezone, candidates, points, tuple(_event(e, first_zone) for e in events))


def request_of(model: ContactRequestModel | TextRequestModel) -> Request:
    if isinstance(model, TextRequestModel):
        return TextRequest(
            purpose=model.purpose,
            text=model.text,
            channel=model.channel,
            party=model.party,
            template_kind=model.template_kind,
        )
    registered = model.registered_channel if model.registered_channel is not None else model.registered
    return ContactRequest(
        at=model.at,
        channel=model.channel,
        to=model.to,
        debts=debts_of(model.debts, model.debt),
        purpose=model.purpose,
        registered_channel=True if registered is None else registered,
    )


def _event(model: EventModel, first_zone: str | None) -> Event:
    at_time = model.at_time
    return Event(
        kind=model.kind,
        at=model.at,
        to=model.to,
        source=model.source,
        outcome=model.outcome,
        debts=debts_of(model.debts, model.debt),
        channel=model.channel,
        window=None if model.window is None else TimeWindow(model.window.start, model.window.end),
        until=_end_of(model.until, first_zone),
        callback_at=at_time if isinstance(at_time, datetime) else None,
        callback_time=at_time if isinstance(at_time, time) else None,
        written=model.written,
        contact=model.contact,
        place=model.place,
        hold=model.hold,
    )


def _end_of(value: date | datetime | None, first_zone: str | None) -> datetime | None:
    """An instant, or a date meaning the end of that day in the debtor's zone."""
    if value is None or isinstance(value, datetime):
        return value
    tz = zone(first_zone) if first_zone else UTC
    return datetime.combine(value + timedelta(days=1), time(0, 0), tzinfo=tz) - timedelta(microseconds=1)
