"""The outbox's worker: takes due messages, puts each to the compliance gate again, hands it to
its provider and records the outcome (docs/channels.md, "The worker").

The rules:

- **Reconcile first.** A message left ``sending`` past its lease (a worker died with it; the
  lease is ``next_attempt_at`` while a message is ``sending``) is asked about at its provider
  (:meth:`Provider.find`): found, it is ``sent`` with the provider's id; not found, it goes back to
  ``queued``, due now, and is sent again like any other (through the gate again). A worker does
  this when it starts and before every batch. A late acceptance (a worker slower than its lease)
  of a message waiting in the queue again still marks it ``sent``.
- **Claim and gate, a batch at a time.** Due messages (``queued``, ``next_attempt_at`` at or
  before now), at most one per customer, are taken in one transaction: on PostgreSQL ``SELECT …
  FOR UPDATE SKIP LOCKED``, so workers side by side never take the same message; on SQLite under
  the database's write lock (one writer at a time). A customer's second message waits for a later
  batch: the gate must decide it on facts holding the first. In the same transaction the batch is
  put to the gate, and the messages are marked ``sending`` with a lease and COMMITTED before any
  provider is called: a crash leaves them ``sending``, for the reconciliation above, never lost and
  never taken twice. (A message a dead worker had in hand, unsent, keeps its recorded contact: the
  gate counts it, the stricter for it, never the laxer; sent again, it is gated again.)
- **The gate at send time**: past its ``not_after`` a message is ``expired``; else the contact is
  put to the compliance gate through the contacts context
  (:func:`arrears.contacts.service.record_outbound_many`, the batch form of the one path that
  records an outbound contact made now: the customers' turns taken together, their facts read with
  one query per kind): allowed, the contact is recorded (it counts at once in the gate's counts, so
  two workers cannot both pass a cap only one may) and the attempt committed; refused, the refusal is
  a contact record too and the message goes back to ``queued`` at the next allowed time (late
  policy ``wait``, before ``not_after``), is ``expired`` (late policy ``expire``, or the next
  allowed time past ``not_after``), or is ``stopped`` with the rule ids (a refusal without a next
  time: a hold, an opt-out). A case closed, a contact point gone, or one marked invalid (a
  permanent e-mail bounce, :mod:`arrears.channels.bounces`) stops it too, before the gate.
- **The send.** At most ``rate`` messages a second per provider; a stop asked meanwhile lets the
  batch in hand finish. Accepted: ``sent`` with the provider's id. The outcome of each send is
  committed on its own for a provider that cannot be asked whether it has a message (an SMTP
  relay: a crash then sends again at most the one in hand); for one that can
  (:attr:`Provider.finds`: SMS, files, letters) a batch's outcomes are committed together.
  :class:`TransientError`: ``queued`` again after ``outbox_backoff_seconds`` doubling with each
  attempt, half of it random (jitter), or the provider's own retry-after if
  longer; ``dead`` after ``outbox_max_attempts`` sends. A transient error after which the message
  may have reached the provider (its answer lost: ``maybe_sent``) leaves it ``sending`` until that
  time instead, so that the reconciliation asks the provider before anything is sent again.
  :class:`PermanentError`: ``dead``, with the provider's code and text in ``last_error``; a
  recipient the provider says does not exist (an SMS number that is not one) also marks the
  contact point invalid (:func:`arrears.channels.delivery.invalidate_point`).

Every change of state writes a ``message_events`` row (:func:`arrears.channels.outbox.transition`).
Nothing here logs a message's text or its recipient.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from arrears.audit.trail import Actor
from arrears.channels.delivery import invalidate_point
from arrears.channels.models import LatePolicy, MessageEvent, MessageState, MessageTemplate, OutboxMessage
from arrears.channels.outbox import add_event, transition
from arrears.channels.portal_codes import SERVICE_PURPOSES
from arrears.channels.providers.base import (
    Accepted,
    Outgoing,
    PermanentError,
    Provider,
    ProviderError,
    TransientError,
)
from arrears.clock import Clock
from arrears.config import Settings, get_settings
from arrears.contacts.common import Gatekeeping
from arrears.contacts.dispositions import dispositions
from arrears.contacts.gate import pack_of
from arrears.contacts.service import ContactBlockedError, Draft, Outbound, record_outbound_many
from arrears.db import transaction
from arrears.errors import ArrearsError
from arrears.i18n import N_
from arrears.portfolio.models import ContactPoint, Customer

LEASE = timedelta(minutes=5)
"""How long a worker may hold a message ``sending`` before another takes it for dead."""
BATCH = 50
IDLE_POLL_SECONDS = 1.0
SOURCE = "outbox"
WORKER = Actor(user_id=None, name="outbox", role="system")
SENT_DISPOSITION = "message_sent"
T = TypeVar("T")


@dataclass
class Tally:
    """What a worker did (one batch, or its whole run)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    expired: int = 0
    stopped: int = 0
    reconciled: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def line(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


class RateLimit:
    """At most ``per_second`` calls a second, evenly spaced (None: no limit)."""

    def __init__(
        self,
        per_second: float | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 0.0 if not per_second else 1.0 / per_second
        self._sleep, self._monotonic = sleep, monotonic
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self._monotonic()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


@dataclass(frozen=True)
class Policy:
    """The worker's settings."""

    max_attempts: int
    backoff_seconds: float
    lease: timedelta = LEASE

    def backoff(self, attempts: int, error: TransientError, rng: random.Random) -> timedelta:
        """The delay before the next try after ``attempts`` sends: doubling, the upper half random."""
        delay = self.backoff_seconds * 2 ** max(attempts - 1, 0)
        delay = delay / 2 + rng.uniform(0, delay / 2)
        if error.retry_after_seconds is not None:
            delay = max(delay, error.retry_after_seconds)
        return timedelta(seconds=delay)


def gatekeeping(settings: Settings, clock: Clock) -> Gatekeeping:
    return Gatekeeping(
        pack=pack_of(settings.compliance_pack, settings.compliance_policy),
        codes=dispositions(settings.dispositions),
        clock=clock,
        bank_timezone=settings.bank_timezone,
    )


def work(
    engine: Engine,
    providers: Mapping[str, Provider],
    clock: Clock,
    *,
    channel: str | None = None,
    once: bool = False,
    batch: int = BATCH,
    settings: Settings | None = None,
    lease: timedelta = LEASE,
    rate: float | None = None,
    stop: threading.Event | None = None,
    on_batch: Callable[[Tally], None] | None = None,
    rng: random.Random | None = None,
) -> Tally:
    """Send due messages of ``channel`` (every channel with a provider when None) until ``stop``
    is set, or, ``once``, until none is due. Answers what was done."""
    settings = settings or get_settings()
    worker = Worker(
        engine,
        {c: p for c, p in providers.items() if channel is None or c == channel},
        gatekeeping(settings, clock),
        Policy(settings.outbox_max_attempts, settings.outbox_backoff_seconds, lease),
        rate=rate,
        rng=rng,
    )
    stop = stop or threading.Event()
    total = Tally()
    while not stop.is_set():
        done = worker.reconcile()
        done.add(worker.batch(batch))
        total.add(done)
        if on_batch is not None:
            on_batch(done)
        if done.claimed == 0:
            if once:
                break
            stop.wait(IDLE_POLL_SECONDS)
    return total


class Worker:
    def __init__(
        self,
        engine: Engine,
        providers: Mapping[str, Provider],
        ctx: Gatekeeping,
        policy: Policy,
        *,
        rate: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.providers = dict(providers)
        self.ctx = ctx
        self.policy = policy
        self.limits = {name: RateLimit(rate) for name in {p.name for p in providers.values()}}
        self.rng = rng or random.Random()

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    # --- reconciliation ----------------------------------------------------------------------

    def reconcile(self) -> Tally:
        """Messages left ``sending`` past their lease: sent if the provider has them, else queued."""
        tally = Tally()
        with transaction(self.engine) as session:
            now = self.clock.now()
            for message in _locked(session, MessageState.SENDING, now, self.providers, None):
                found = self.providers[message.channel].find(outgoing(session, message))
                tally.reconciled += 1
                if found is not None:
                    _mark_sent(session, message, found, now, "reconciled: the provider has it")
                    tally.sent += 1
                else:
                    message.next_attempt_at = now
                    transition(session, message, MessageState.QUEUED, now, "reconciled: not at the provider")
        return tally

    # --- one batch ---------------------------------------------------------------------------

    def batch(self, size: int) -> Tally:
        """Claim and gate up to ``size`` messages, then hand each allowed one to its provider. A
        stop asked meanwhile waits for the batch in hand: its contacts are recorded as made."""
        tally = Tally()
        held: list[tuple[int, Accepted | ProviderError]] = []
        for passed in self.claim(size, tally):
            outcome = self.send(passed)
            if self.providers[passed.channel].finds:
                held.append((passed.message_id, outcome))
            else:
                self.settle(passed.message_id, outcome, tally)
        self.settle_many(held, tally)
        return tally

    def claim(self, size: int, tally: Tally) -> list[Outgoing]:
        """Take due messages, at most one per customer (the gate decides a customer's next message
        on facts holding this one: a later batch takes it), and put them to the gate, in one
        transaction committed before any is sent. Answers those to hand over."""
        with transaction(self.engine) as session:
            now = self.clock.now()
            taken = _one_per_customer(_locked(session, MessageState.QUEUED, now, self.providers, size))
            tally.claimed = len(taken)
            passed = self.gate(session, taken, now, tally)
            return outgoings(session, passed)

    def _take(self, session: Session, message: OutboxMessage, now: datetime) -> None:
        """Mark a claimed message ``sending``, its lease running (done as late as the gate allows:
        each message is then written once, when the batch is)."""
        message.next_attempt_at = now + self.policy.lease
        transition(session, message, MessageState.SENDING, now)

    def send(self, passed: Outgoing) -> Accepted | ProviderError:
        provider = self.providers[passed.channel]
        self.limits[provider.name].wait()
        try:
            return provider.send(passed)
        except ProviderError as error:
            return error
        except Exception as error:  # a provider's bug: retried like a transient error, then dead
            return TransientError("provider_error", type(error).__name__)

    def gate(
        self, session: Session, messages: list[OutboxMessage], now: datetime, tally: Tally
    ) -> list[OutboxMessage]:
        """Put the batch to the gate (one question per message, asked together); answers the
        messages allowed, each with its contact recorded and its attempt counted."""
        points = _points_of(session, messages)
        asked: list[OutboxMessage] = []
        service: list[OutboxMessage] = []
        for message in messages:
            if message.not_after is not None and now > message.not_after:
                self._take(session, message, now)
                transition(session, message, MessageState.EXPIRED, now, "not sent before not_after")
                tally.expired += 1
                continue
            if message.purpose in SERVICE_PURPOSES:  # asked for by the customer now: see portal_codes
                self._take(session, message, now)
                service.extend(self._service_message(session, message, points, now, tally))
                continue
            try:
                _sendable(message, points.get(message.contact_point_id or 0))
            except ArrearsError as error:
                self._take(session, message, now)
                self._stopped(session, message, error, now, tally)
                continue
            asked.append(message)
        drafts = [Outbound(str(m.case_id), _draft(m, points.get(m.contact_point_id or 0))) for m in asked]
        answers = record_outbound_many(session, drafts, ctx=self.ctx, source=SOURCE, actor=WORKER)
        passed = []
        for message, answer in zip(asked, answers, strict=True):
            self._take(session, message, now)
            if isinstance(answer, ContactBlockedError):
                self._refused(session, message, answer, now, tally)
            elif isinstance(answer, ArrearsError):  # the case closed, the contact point gone …
                self._stopped(session, message, answer, now, tally)
            else:
                message.contact_id = answer.id
                message.attempts += 1
                message.provider = self.providers[message.channel].name
                add_event(
                    session, message, "attempt", now, f"attempt {message.attempts}, contact {answer.id}"
                )
                passed.append(message)
        return service + passed

    def _service_message(
        self,
        session: Session,
        message: OutboxMessage,
        points: dict[int, ContactPoint],
        now: datetime,
        tally: Tally,
    ) -> list[OutboxMessage]:
        """A service message (a one-time code), taken: not a collection contact, so not put to
        the gate and not recorded as a contact; a contact point missing or marked invalid stops it
        all the same. Answers it in a list when it is to be sent."""
        point = points.get(message.contact_point_id or 0)
        if point is None or point.invalid_at is not None:
            message.stop_reason = "contact point missing or invalid"
            transition(session, message, MessageState.STOPPED, now, message.stop_reason)
            tally.stopped += 1
            return []
        message.attempts += 1
        message.provider = self.providers[message.channel].name
        add_event(session, message, "attempt", now, f"attempt {message.attempts}, service message")
        return [message]

    def _stopped(
        self, session: Session, message: OutboxMessage, error: ArrearsError, now: datetime, tally: Tally
    ) -> None:
        message.stop_reason = f"{error.code}: {error.message('en')}"[:500]
        transition(session, message, MessageState.STOPPED, now, message.stop_reason)
        tally.stopped += 1

    def _refused(
        self,
        session: Session,
        message: OutboxMessage,
        refusal: ContactBlockedError,
        now: datetime,
        tally: Tally,
    ) -> None:
        rules = ",".join(refusal.extensions.get("rules", []))
        raw = refusal.extensions.get("next_allowed_at")
        next_at = None if raw is None else datetime.fromisoformat(str(raw))
        message.contact_id = refusal.extensions.get("contact_id")
        if next_at is None:
            message.stop_reason = f"gate: {rules}"[:500]
            transition(session, message, MessageState.STOPPED, now, message.stop_reason)
            tally.stopped += 1
        elif message.late_policy == LatePolicy.EXPIRE or (
            message.not_after is not None and next_at > message.not_after
        ):
            transition(session, message, MessageState.EXPIRED, now, f"gate: {rules}, allowed from {raw}")
            tally.expired += 1
        else:
            message.next_attempt_at = next_at
            transition(session, message, MessageState.QUEUED, now, f"gate: {rules}, waits until {raw}")
            tally.deferred += 1

    def settle(self, message_id: int, outcome: Accepted | ProviderError, tally: Tally) -> None:
        """Record the outcome of one send, at once (see :attr:`Provider.finds`)."""
        if isinstance(outcome, Accepted) and self._sent(message_id, outcome):
            tally.sent += 1
            return
        self.settle_many([(message_id, outcome)], tally)

    def settle_many(self, outcomes: list[tuple[int, Accepted | ProviderError]], tally: Tally) -> None:
        """Record the outcomes of sends, in one transaction."""
        if not outcomes:
            return
        with transaction(self.engine) as session:
            _commit_lazily(session)
            now = self.clock.now()
            ids = [message_id for message_id, _ in outcomes]
            messages = {
                m.id: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
            }
            for message_id, outcome in outcomes:
                if message_id in messages:
                    self._settle(session, messages[message_id], outcome, now, tally)

    def _settle(
        self,
        session: Session,
        message: OutboxMessage,
        outcome: Accepted | ProviderError,
        now: datetime,
        tally: Tally,
    ) -> None:
        if message.state == MessageState.QUEUED and isinstance(outcome, Accepted):
            # its lease ran out and a worker put it back in the queue: not sent twice
            _mark_sent(session, message, outcome, now, "accepted after its lease ran out")
            tally.sent += 1
            return
        if message.state != MessageState.SENDING:  # reconciled and settled meanwhile
            add_event(session, message, "late_outcome", now, _said(outcome))
            return
        if isinstance(outcome, Accepted):
            _mark_sent(session, message, outcome, now)
            tally.sent += 1
        elif isinstance(outcome, PermanentError) or message.attempts >= self.policy.max_attempts:
            message.last_error = _said(outcome)
            transition(session, message, MessageState.DEAD, now, message.last_error)
            if isinstance(outcome, PermanentError) and outcome.recipient_invalid:
                invalidate_point(session, message, f"{message.provider}: {outcome.code}", now, WORKER)
            tally.dead += 1
        else:
            assert isinstance(outcome, TransientError)
            message.last_error = _said(outcome)
            message.next_attempt_at = now + self.policy.backoff(message.attempts, outcome, self.rng)
            if outcome.maybe_sent:  # left ``sending``: reconciled (asked at the provider) when due
                add_event(session, message, "unsure", now, f"ask the provider: {message.last_error}")
            else:
                transition(session, message, MessageState.QUEUED, now, f"retry: {message.last_error}")
            tally.retried += 1

    def _sent(self, message_id: int, accepted: Accepted) -> bool:
        """The common end, in two statements: a message still ``sending`` marked ``sent``. False
        when it is no longer ``sending`` (reconciled meanwhile): :meth:`settle` sorts that out."""
        with transaction(self.engine) as session:
            _commit_lazily(session)
            now = self.clock.now()
            done = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.state == MessageState.SENDING)
                .values(
                    state=MessageState.SENT,
                    provider_message_id=accepted.provider_message_id[:200],
                    sent_at=now,
                    settled_at=now,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            session.execute(
                insert(MessageEvent).values(message_id=message_id, at=now, kind=MessageState.SENT)
            )
            return True


class NoCaseError(ArrearsError):
    code = "no_case"
    default_message = N_("Message {message_id} has no case: no contact can be recorded for it")


class ContactPointInvalidError(ArrearsError):
    code = "contact_point_invalid"
    default_message = N_("Contact point {contact_point_id} does not work ({reason}): nothing is sent to it")


def _commit_lazily(session: Session) -> None:
    """PostgreSQL: this transaction's commit returns before its WAL reaches the disk.

    For outcomes only. A worker killed after the commit loses nothing (the server has it); the
    database server itself crashing within a moment of the commit (at most three times
    ``wal_writer_delay``, 0.6 s by default) loses the outcome, and the message is left ``sending``
    as if the worker had died holding it: reconciled, found (SMS, files) or sent again under the
    same Message-ID (e-mail). The claim, which records the gate's contact, keeps a durable commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _locked(
    session: Session, state: MessageState, now: datetime, providers: Mapping[str, Provider], size: int | None
) -> list[OutboxMessage]:
    """Messages in ``state`` due by ``now`` of the channels served, locked for this transaction
    (PostgreSQL: rows another worker holds are skipped; SQLite: the write lock, taken first)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE outbox_messages SET id = id WHERE 1 = 0"))
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.state == state,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(sorted(providers)),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .with_for_update(skip_locked=True)
    )
    if size is not None:
        query = query.limit(size)
    return list(session.scalars(query))


def _mark_sent(
    session: Session, message: OutboxMessage, accepted: Accepted, now: datetime, detail: str = ""
) -> None:
    message.provider_message_id = accepted.provider_message_id[:200]
    message.sent_at = now
    message.last_error = None
    transition(session, message, MessageState.SENT, now, detail or None)


def _said(outcome: Accepted | ProviderError) -> str:
    if isinstance(outcome, Accepted):
        return f"accepted {outcome.provider_message_id}"
    return str(outcome)[:1000]


def _one_per_customer(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """The first message of each customer (the rest stay queued, locked until the claim commits)."""
    seen: set[str] = set()
    first = []
    for message in messages:
        if message.customer_id not in seen:
            seen.add(message.customer_id)
            first.append(message)
    return first


def _points_of(session: Session, messages: list[OutboxMessage]) -> dict[int, ContactPoint]:
    ids = {m.contact_point_id for m in messages if m.contact_point_id is not None}
    return {p.id: p for p in session.scalars(select(ContactPoint).where(ContactPoint.id.in_(ids)))}


def _sendable(message: OutboxMessage, point: ContactPoint | None) -> None:
    """What stops a message before the gate: no case, or a contact point that does not work."""
    if message.case_id is None:
        raise NoCaseError(message_id=message.id)
    if point is not None and point.invalid_at is not None:
        raise ContactPointInvalidError(contact_point_id=point.id, reason=point.invalid_reason or "")


def _draft(message: OutboxMessage, point: ContactPoint | None) -> Draft:
    return Draft(
        channel=message.channel,
        direction="outbound",
        party="debtor" if point is None else point.party,
        disposition=SENT_DISPOSITION,
        contact_point_id=message.contact_point_id,
    )


def outgoing(session: Session, message: OutboxMessage) -> Outgoing:
    """The message as a provider needs it (its recipient read from the contact point)."""
    return outgoings(session, [message])[0]


def outgoings(session: Session, messages: list[OutboxMessage]) -> list[Outgoing]:
    """:func:`outgoing` of each of ``messages``, their contact points, customers and templates read
    together."""
    points = _points_of(session, messages)
    customers = _by_key(session, Customer, Customer.customer_id, {m.customer_id for m in messages})
    templates = _by_key(
        session, MessageTemplate, MessageTemplate.id, {m.template_id for m in messages if m.template_id}
    )
    return [
        _outgoing(
            message,
            points.get(message.contact_point_id or 0),
            customers.get(message.customer_id),
            None if message.template_id is None else templates.get(message.template_id),
        )
        for message in messages
    ]


def _by_key(
    session: Session, model: type[T], key: InstrumentedAttribute[Any], values: set[Any]
) -> dict[Any, T]:
    return {getattr(row, key.key): row for row in session.scalars(select(model).where(key.in_(values)))}


def _outgoing(
    message: OutboxMessage,
    point: ContactPoint | None,
    customer: Customer | None,
    template: MessageTemplate | None,
) -> Outgoing:
    return Outgoing(
        message_id=message.id,
        idempotency_key=message.idempotency_key,
        channel=message.channel,
        to="" if point is None else point.value,
        body=message.body,
        language=message.language,
        subject=message.subject,
        recipient_name=None if customer is None else customer.name,
        queued_at=message.created_at,
        case_id=message.case_id,
        settings={} if template is None else {k: str(v) for k, v in (template.settings or {}).items()},
        params=dict(message.provider_params or {}),
        purpose=message.purpose,
    )
