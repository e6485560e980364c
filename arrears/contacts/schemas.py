"""API shapes of contacts, callbacks, contact preferences and contact metrics."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from arrears.auth.masking import scrub
from arrears.auth.permissions import PersonalField
from arrears.auth.principal import Principal
from arrears.contacts.dispositions import Disposition
from arrears.contacts.metrics import GroupBy, MetricsRow
from arrears.contacts.models import (
    Callback,
    Channel,
    Contact,
    ContactPreference,
    Direction,
    Party,
    PreferenceKind,
    ReviewOutcome,
)
from arrears.portfolio.models import ContactPoint
from arrears.portfolio.views import contact_card

MAX_ID = 2**31 - 1
SHA256 = r"^[0-9a-fA-F]{64}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallbackIn(_In):
    due_at: AwareDatetime = Field(description="When to call back, with its UTC offset; in an allowed window")
    contact_point_id: int = Field(ge=1, le=MAX_ID, description="The number to call")
    note: str | None = Field(default=None, max_length=500)


class ContactIn(_In):
    """One attempt or conversation. Outbound: asked of the gate at ``started_at`` (now when left
    out); blocked, it is refused (409 contact_blocked) and the refusal recorded. With
    ``gate_decision_id`` (from POST …/contacts/attempts) it is logged under that clearance; with
    ``after_the_fact`` it is checked at ``started_at`` and stored with its violations flagged."""

    channel: Channel
    direction: Direction = Direction.OUTBOUND
    contact_point_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="One of the customer's contact points; required outbound"
    )
    party: Party = Party.DEBTOR
    started_at: AwareDatetime | None = Field(default=None, description="None: now")
    ended_at: AwareDatetime | None = None
    disposition: str = Field(min_length=1, max_length=32, description="A code of the disposition list")
    note: str | None = Field(default=None, max_length=4000)
    recording_uri: str | None = Field(default=None, min_length=1, max_length=1000, description="Calls only")
    recording_sha256: str | None = Field(default=None, pattern=SHA256, description="64 hex digits")
    after_the_fact: bool = Field(default=False, description="A contact made earlier (a desk phone's call)")
    gate_decision_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The clearance POST …/contacts/attempts gave"
    )
    callback: CallbackIn | None = Field(default=None, description="Required with callback_requested")


class AttemptIn(_In):
    """A contact about to be made now: asked of the gate."""

    channel: Channel
    contact_point_id: int = Field(ge=1, le=MAX_ID)
    party: Party = Party.DEBTOR


class ClearanceOut(BaseModel):
    gate_decision_id: int
    case_id: str
    channel: str
    contact_point_id: int
    decided_at: datetime
    expires_at: datetime = Field(description="Log the contact (gate_decision_id) before this instant")


class ContactPointOut(BaseModel):
    id: int
    type: str
    value: str = Field(description="Masked unless the caller's role sees it")
    masked: bool
    party: str


class FlagOut(BaseModel):
    rule_id: str
    message: str


class CallbackOut(BaseModel):
    id: int
    case_id: str
    contact_point_id: int | None
    due_at: datetime
    status: str
    contact_id: int | None
    note: str | None
    created_at: datetime
    created_by: int | None
    closed_at: datetime | None
    version: int

    @classmethod
    def of(cls, row: Callback) -> CallbackOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            contact_point_id=row.contact_point_id,
            due_at=row.due_at,
            status=row.status,
            contact_id=row.contact_id,
            note=row.note,
            created_at=row.created_at,
            created_by=row.created_by,
            closed_at=row.closed_at,
            version=row.version,
        )


class CallbacksOut(BaseModel):
    case_id: str
    callbacks: list[CallbackOut]


class ContactOut(BaseModel):
    id: int
    case_id: str
    customer_id: str
    channel: str
    direction: str
    contact_point: ContactPointOut | None
    party: str
    started_at: datetime
    ended_at: datetime | None
    disposition: str
    disposition_label: str = Field(description="In the caller's language")
    counts_as: list[str]
    note: str | None = Field(description="Anything shaped like a phone, e-mail or id masked")
    note_flags: list[FlagOut]
    recording_uri: str | None
    recording_sha256: str | None
    gate_decision_id: int | None
    gate_verdict: str | None
    violations: list[str]
    after_the_fact: bool
    review_status: str
    review_outcome: str | None
    reviewed_at: datetime | None
    reviewed_by: int | None
    source: str
    recorded_at: datetime
    recorded_by: int | None
    callback: CallbackOut | None = None

    @classmethod
    def of(
        cls,
        row: Contact,
        principal: Principal,
        language: str,
        codes: Mapping[str, Disposition],
        points: dict[int, ContactPoint],
        callback: Callback | None = None,
    ) -> ContactOut:
        known: Disposition | None = codes.get(row.disposition)
        point = points.get(row.contact_point_id) if row.contact_point_id is not None else None
        card = contact_card(principal, point) if point is not None else None
        sees_all = principal.sees(PersonalField.PHONE) and principal.sees(PersonalField.EMAIL)
        return cls(
            id=row.id,
            case_id=row.case_id,
            customer_id=row.customer_id,
            channel=row.channel,
            direction=row.direction,
            contact_point=None
            if card is None
            else ContactPointOut(
                id=card.id, type=card.type, value=card.value, masked=card.masked, party=card.party
            ),
            party=row.party,
            started_at=row.started_at,
            ended_at=row.ended_at,
            disposition=row.disposition,
            disposition_label=known.label(language) if known is not None else row.disposition,
            counts_as=list(known.counts_as) if known is not None else [],
            note=row.note if row.note is None or sees_all else scrub(row.note),
            note_flags=[
                FlagOut(rule_id=f["rule_id"], message=str(f.get(language) or f.get("en") or ""))
                for f in row.note_flags
            ],
            recording_uri=row.recording_uri,
            recording_sha256=row.recording_sha256,
            gate_decision_id=row.gate_decision_id,
            gate_verdict=row.gate_verdict,
            violations=list(row.violations),
            after_the_fact=row.after_the_fact,
            review_status=row.review_status,
            review_outcome=row.review_outcome,
            reviewed_at=row.reviewed_at,
            reviewed_by=row.reviewed_by,
            source=row.source,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            callback=None if callback is None else CallbackOut.of(callback),
        )


class ContactsOut(BaseModel):
    contacts: list[ContactOut]
    next_cursor: str | None


class ReviewIn(_In):
    outcome: ReviewOutcome = Field(description="cleared: no breach; confirmed: a breach, kept on the record")
    note: str | None = Field(default=None, max_length=1000)


class CallbackCloseIn(_In):
    note: str | None = Field(default=None, max_length=500, description="Not kept; reserved")


class WindowIn(_In):
    start: time = Field(alias="from", description="Local time in the customer's zone, HH:MM")
    end: time = Field(alias="to", description="Local time; may cross midnight")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PreferenceIn(_In):
    kind: PreferenceKind
    channel: Channel | None = Field(default=None, description="None: every channel")
    contact_point_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="None: every point")
    window: WindowIn | None = Field(default=None, description="consent and inconvenient_time")
    until: AwareDatetime | None = Field(default=None, description="consent: until when it holds")
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="The contact it was said on")


class PreferenceOut(BaseModel):
    id: int
    customer_id: str
    kind: str
    channel: str | None
    contact_point_id: int | None
    window: dict[str, str] | None
    until: datetime | None
    recorded_at: datetime
    recorded_by: int | None
    contact_id: int | None
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, row: ContactPreference) -> PreferenceOut:
        window = (
            None
            if row.window_start is None or row.window_end is None
            else {"from": row.window_start.strftime("%H:%M"), "to": row.window_end.strftime("%H:%M")}
        )
        return cls(
            id=row.id,
            customer_id=row.customer_id,
            kind=row.kind,
            channel=row.channel,
            contact_point_id=row.contact_point_id,
            window=window,
            until=row.until,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            contact_id=row.contact_id,
            withdrawn_at=row.withdrawn_at,
        )


class PreferencesOut(BaseModel):
    customer_id: str
    preferences: list[PreferenceOut]


class MetricsRowOut(BaseModel):
    day: date | None
    team_id: int | None
    collector_id: int | None
    attempts: int
    connected: int
    third_party: int
    right_party: int
    promises: int
    contact_rate: str | None = Field(description="connected / attempts, 4 places")
    right_party_rate: str | None = Field(description="right_party / attempts, 4 places")
    promise_rate: str | None = Field(description="promises / right_party, 4 places")

    @classmethod
    def of(cls, row: MetricsRow) -> MetricsRowOut:
        def text(value: object) -> str | None:
            return None if value is None else str(value)

        return cls(
            day=row.day,
            team_id=row.team_id,
            collector_id=row.collector_id,
            attempts=row.attempts,
            connected=row.connected,
            third_party=row.third_party,
            right_party=row.right_party,
            promises=row.promises,
            contact_rate=text(row.contact_rate),
            right_party_rate=text(row.right_party_rate),
            promise_rate=text(row.promise_rate),
        )


class MetricsOut(BaseModel):
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    group_by: GroupBy
    rows: list[MetricsRowOut]
    total: MetricsRowOut
