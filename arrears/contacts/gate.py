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

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import chain
from pathlib import Path

from sqlalchemy import ARRAY, String, cast, column, func, literal, or_, select
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
from arrears.db.keys import one_of
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
    return facts_for_many(session, [customer_id], at, codes)[customer_id]


def facts_for_many(
    session: Session,
    customer_ids: Collection[str],
    at: datetime,
    codes: Mapping[str, Disposition] | None = None,
) -> dict[str, Facts]:
    """:func:`facts_for` of each of ``customer_ids``, read with one query per kind of fact (a
    customer not in the portfolio has no zone, no contact points and no events)."""
    ids = sorted(set(customer_ids))
    zones: dict[str, str | None] = dict(
        session.execute(
            select(Customer.customer_id, Customer.timezone).where(
                one_of(Customer.customer_id, ids, _dialect(session))
            )
        ).all()
    )
    points: dict[str, list[GatePoint]] = defaultdict(list)
    for p in session.scalars(
        select(ContactPoint)
        .where(one_of(ContactPoint.customer_id, ids, _dialect(session)))
        .order_by(ContactPoint.id)
    ):
        points[p.customer_id].append(
            GatePoint(str(p.id), p.type, GATE_PARTIES.get(p.party, p.party), p.do_not_contact)
        )
    events: dict[str, list[Event]] = defaultdict(list)
    for customer_id, event in chain(
        _contact_events(session, ids, at, codes or dispositions()),
        _hold_events(session, ids, at),
        _preference_events(session, ids, at),
        _callback_events(session, ids, at),
    ):
        events[customer_id].append(event)
    return {
        customer_id: Facts(
            timezone=zones.get(customer_id),
            contact_points=tuple(points[customer_id]),
            events=tuple(sorted(events[customer_id], key=lambda e: e.at or at)),
        )
        for customer_id in ids
    }


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
    take_turns(session, [customer_id])


def take_turns(session: Session, customer_ids: Collection[str]) -> None:
    """:func:`take_turn` for each of ``customer_ids``, in one statement. On PostgreSQL the locks are
    taken in the order of their keys, so that two callers holding some of the same customers cannot
    each wait for the other."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        ids = (
            func.unnest(cast(sorted(set(customer_ids)), ARRAY(String)))
            .table_valued(column("id", String))
            .render_derived(name="ids")
        )
        keys = (
            select(func.hashtextextended(literal(GATE_LOCK) + ids.c.id, 0).label("key"))
            .order_by("key")
            .subquery()
        )
        # one aggregate over the ordered keys: the locks are taken row by row, in that order
        session.execute(select(func.count(func.pg_advisory_xact_lock(keys.c.key))))
    elif dialect == "sqlite":
        hold_chain(session)  # the write lock, with the audit trail's answer to a stale snapshot


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


CustomerEvents = Iterable[tuple[str, Event]]
"""Events of the gate, each with the customer it is about."""


def _contact_events(
    session: Session, customer_ids: Collection[str], at: datetime, codes: Mapping[str, Disposition]
) -> CustomerEvents:
    rows = session.scalars(
        select(Contact)
        .where(
            one_of(Contact.customer_id, customer_ids, _dialect(session)),
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
                yield (
                    row.customer_id,
                    Event("inbound_call", at=row.started_at, source=to, outcome="conversation"),
                )
        elif channel == "call":
            outcome = known.call_outcome if known is not None and known.call_outcome else "no_answer"
            yield row.customer_id, Event("call", at=row.started_at, to=to, outcome=outcome)
        elif channel in MESSAGE_EVENTS:
            yield row.customer_id, Event(channel, at=row.started_at, to=to)


def _hold_events(session: Session, customer_ids: Collection[str], at: datetime) -> CustomerEvents:
    holds = session.scalars(
        select(Hold).where(
            one_of(Hold.customer_id, customer_ids, _dialect(session)),
            Hold.placed_at <= at,
            or_(Hold.lifted_at.is_(None), Hold.lifted_at > at),
        )
    )
    for hold in holds:
        yield hold.customer_id, Event("hold_placed", at=hold.placed_at, hold=hold.kind)


def _preference_events(session: Session, customer_ids: Collection[str], at: datetime) -> CustomerEvents:
    preferences = session.scalars(
        select(ContactPreference).where(
            one_of(ContactPreference.customer_id, customer_ids, _dialect(session)),
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
            yield (
                p.customer_id,
                Event("consent", at=p.recorded_at, channel=channel, window=window, until=p.until),
            )
        elif p.kind == PreferenceKind.INCONVENIENT_TIME:
            yield (
                p.customer_id,
                Event("inconvenient_time", at=p.recorded_at, channel=channel, to=to, window=window),
            )
        elif p.kind == PreferenceKind.OPT_OUT:
            yield p.customer_id, Event("opt_out", at=p.recorded_at, channel=channel, to=to)
        elif p.kind == PreferenceKind.CONTACT_REFUSED:
            yield p.customer_id, Event("contact_refused", at=p.recorded_at, contact=to)


def _callback_events(session: Session, customer_ids: Collection[str], at: datetime) -> CustomerEvents:
    callbacks = session.execute(
        select(Case.customer_id, Callback.created_at, Callback.due_at)
        .join(Case, Case.case_id == Callback.case_id)
        .where(
            one_of(Case.customer_id, customer_ids, _dialect(session)),
            Callback.status == CallbackStatus.OPEN,
            Callback.created_at <= at,
        )
    )
    for customer_id, created_at, due_at in callbacks:
        yield customer_id, Event("callback_requested", at=created_at, callback_at=due_at)


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
