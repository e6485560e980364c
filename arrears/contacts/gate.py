"""The compliance gate's facts about a customer, built from what the tables hold, and the one way
every outbound contact is put to the gate before it is made.

Facts (:func:`facts_for`): the customer's zone, their contact points (and who each reaches), and
the events the gate counts and reads: the contacts of the last :data:`HISTORY_DAYS` days (a contact
the gate refused never happened and is left out), the holds standing, what the customer asked of
contact (consents, inconvenient times, opt-outs, refusals) and the callbacks they asked for.

Decisions (:func:`check_contact`) are recorded in ``compliance_decisions`` with their facts, by the
compliance context's :func:`~arrears.compliance.service.gate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from arrears.audit.trail import hold_chain
from arrears.cases.models import Case
from arrears.clock import Clock
from arrears.compliance import service as compliance
from arrears.compliance.decision import Decision
from arrears.compliance.facts import ContactPoint as GatePoint
from arrears.compliance.facts import ContactRequest, Event, Facts, TimeWindow
from arrears.compliance.gate import decide
from arrears.compliance.packs import Pack, load_pack, load_policy
from arrears.contacts.dispositions import REFUSED_BY_GATE, Disposition, dispositions
from arrears.contacts.models import Callback, CallbackStatus, Contact, ContactPreference, PreferenceKind
from arrears.disputes.models import Hold
from arrears.portfolio.models import ContactPoint, Customer

HISTORY_DAYS = 30
"""Contacts the facts carry: the gate's longest window (7 days) and the run of failed attempts
before a contact person may be tried (CN-PARTY-2), with room to spare."""

GATE_CHANNELS = {"call": "call", "ivr": "call", "sms": "sms", "email": "email", "letter": "letter"} | {
    "visit": "visit",
    "wechat": "wechat",
    "chat": "wechat",
}
"""Our channels as the gate names them (an IVR call is a call; a chat runs over WeChat)."""
MESSAGE_EVENTS = frozenset({"sms", "email", "letter", "wechat", "visit"})
GATE_PARTIES = {"other": "third_party"}
"""Our parties as the gate names them, where they differ."""


@cache
def pack_of(pack_id: str, policy: Path | None) -> Pack:
    """The pack contacts are put to: the bank's policy file (its pack, tightened), else ``pack_id``."""
    return load_policy(policy) if policy is not None else load_pack(pack_id)


def facts_for(
    session: Session, customer_id: str, at: datetime, codes: Mapping[str, Disposition] | None = None
) -> Facts:
    """What the gate knows about ``customer_id`` at the instant ``at`` (``codes``: the disposition
    list the contacts were logged with, for the outcome of each call; the shipped one when None)."""
    customer = session.get(Customer, customer_id)
    points = session.scalars(
        select(ContactPoint).where(ContactPoint.customer_id == customer_id).order_by(ContactPoint.id)
    ).all()
    events = sorted(
        [
            *_contact_events(session, customer_id, at, codes or dispositions()),
            *_hold_events(session, customer_id, at),
            *_preference_events(session, customer_id, at),
            *_callback_events(session, customer_id, at),
        ],
        key=lambda e: e.at or at,
    )
    return Facts(
        timezone=customer.timezone if customer is not None else None,
        contact_points=tuple(
            GatePoint(str(p.id), p.type, GATE_PARTIES.get(p.party, p.party), p.do_not_contact) for p in points
        ),
        events=tuple(events),
    )


@dataclass(frozen=True)
class Checked:
    decision: Decision
    decision_id: int
    facts: Facts


def check_contact(
    session: Session,
    *,
    customer_id: str,
    channel: str,
    contact_point_id: int | None,
    at: datetime,
    pack: Pack,
    clock: Clock,
    requested_by: str,
    codes: Mapping[str, Disposition] | None = None,
) -> Checked:
    """Put one contact to the gate and record the decision (allowed or not); nothing else is done.

    The customer's questions take turns (:func:`take_turn`) until the caller's transaction ends, so
    that two contacts asked at the same moment (two collectors, a collector and the outbox) cannot
    both pass a count that only one of them may: the second reads the facts the first wrote."""
    take_turn(session, customer_id)
    facts = facts_for(session, customer_id, at, codes)
    request = ContactRequest(
        at=at, channel=GATE_CHANNELS[channel], to=None if contact_point_id is None else str(contact_point_id)
    )
    decision = decide(request, facts, pack)
    row = compliance.record_decision(
        session,
        decision,
        request,
        facts,
        clock,
        customer_id=customer_id,
        requested_by=requested_by,
        tightened=dict(pack.tightened),
    )
    return Checked(decision, row.id, facts)


GATE_LOCK = "contact-gate:"
"""The prefix of the PostgreSQL advisory lock a customer's gate questions take turns on."""


def take_turn(session: Session, customer_id: str) -> None:
    """Hold the customer's gate until the transaction ends: on PostgreSQL a transaction-scoped
    advisory lock on the customer; on SQLite the database's write lock (one writer at a time), taken
    before the facts are read as the audit trail takes it."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        key = func.hashtextextended(GATE_LOCK + customer_id, 0)
        session.execute(select(func.pg_advisory_xact_lock(key)))
    elif dialect == "sqlite":
        hold_chain(session)  # the write lock, with the audit trail's answer to a stale snapshot


def _contact_events(
    session: Session, customer_id: str, at: datetime, codes: Mapping[str, Disposition]
) -> Iterable[Event]:
    rows = session.scalars(
        select(Contact)
        .where(
            Contact.customer_id == customer_id,
            Contact.started_at >= at - timedelta(days=HISTORY_DAYS),
            Contact.started_at <= at,
            # a contact the gate refused never happened; one recorded after the fact did, whatever
            # the gate says of it now
            Contact.disposition != REFUSED_BY_GATE,
            or_(Contact.gate_verdict.is_(None), Contact.gate_verdict != "block", Contact.after_the_fact),
        )
        .order_by(Contact.started_at)
    )
    for row in rows:
        to = None if row.contact_point_id is None else str(row.contact_point_id)
        channel = GATE_CHANNELS.get(row.channel, row.channel)
        known = codes.get(row.disposition)
        if row.direction == "inbound":
            if channel == "call":
                yield Event("inbound_call", at=row.started_at, source=to, outcome="conversation")
        elif channel == "call":
            outcome = known.call_outcome if known is not None and known.call_outcome else "no_answer"
            yield Event("call", at=row.started_at, to=to, outcome=outcome)
        elif channel in MESSAGE_EVENTS:
            yield Event(channel, at=row.started_at, to=to)


def _hold_events(session: Session, customer_id: str, at: datetime) -> Iterable[Event]:
    holds = session.scalars(
        select(Hold).where(
            Hold.customer_id == customer_id,
            Hold.placed_at <= at,
            or_(Hold.lifted_at.is_(None), Hold.lifted_at > at),
        )
    )
    for hold in holds:
        yield Event("hold_placed", at=hold.placed_at, hold=hold.kind)


def _preference_events(session: Session, customer_id: str, at: datetime) -> Iterable[Event]:
    preferences = session.scalars(
        select(ContactPreference).where(
            ContactPreference.customer_id == customer_id,
            ContactPreference.recorded_at <= at,
            or_(ContactPreference.withdrawn_at.is_(None), ContactPreference.withdrawn_at > at),
        )
    )
    for p in preferences:
        to = None if p.contact_point_id is None else str(p.contact_point_id)
        channel = None if p.channel is None else GATE_CHANNELS.get(p.channel, p.channel)
        window = (
            TimeWindow(p.window_start, p.window_end)
            if p.window_start is not None and p.window_end is not None
            else None
        )
        if p.kind == PreferenceKind.CONSENT:
            yield Event("consent", at=p.recorded_at, channel=channel, window=window, until=p.until)
        elif p.kind == PreferenceKind.INCONVENIENT_TIME:
            yield Event("inconvenient_time", at=p.recorded_at, channel=channel, to=to, window=window)
        elif p.kind == PreferenceKind.OPT_OUT:
            yield Event("opt_out", at=p.recorded_at, channel=channel, to=to)
        elif p.kind == PreferenceKind.CONTACT_REFUSED:
            yield Event("contact_refused", at=p.recorded_at, contact=to)


def _callback_events(session: Session, customer_id: str, at: datetime) -> Iterable[Event]:
    callbacks = session.scalars(
        select(Callback)
        .join(Case, Case.case_id == Callback.case_id)
        .where(
            Case.customer_id == customer_id, Callback.status == CallbackStatus.OPEN, Callback.created_at <= at
        )
    )
    for callback in callbacks:
        yield Event("callback_requested", at=callback.created_at, callback_at=callback.due_at)


POINT_CHANNELS = {"email": "email", "address": "letter", "wechat": "wechat"}
"""The channel a contact point is reached by when asked about it (any other type: a call)."""


@dataclass(frozen=True)
class PointAnswer:
    point: ContactPoint
    channel: str
    decision: Decision


def answers_now(
    session: Session,
    customer_id: str,
    *,
    at: datetime,
    pack: Pack,
    codes: Mapping[str, Disposition] | None = None,
) -> list[PointAnswer]:
    """The gate's answer at ``at`` for each of the customer's contact points, reached by its usual
    channel, decided on the same facts as :func:`check_contact` but not recorded: a look for the
    case page, not a contact (the contact itself is put to the gate when it is made)."""
    facts = facts_for(session, customer_id, at, codes)
    points = session.scalars(
        select(ContactPoint).where(ContactPoint.customer_id == customer_id).order_by(ContactPoint.id)
    ).all()
    answers = []
    for point in points:
        channel = POINT_CHANNELS.get(point.type, "call")
        request = ContactRequest(at=at, channel=GATE_CHANNELS[channel], to=str(point.id))
        answers.append(PointAnswer(point, channel, decide(request, facts, pack)))
    return answers
