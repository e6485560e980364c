"""The outbox's worker: takes due messages, puts each to the compliance gate again, hands it to
its provider and records the outcome (docs/channels.md, "The worker").

The rules:

- **Reconcile first.** A message left ``sending`` past its lease (a worker died with it; the
  lease is ``next_attempt_at`` while a message is ``sending``) is asked about at its provider
  (:meth:`Provider.find`): found, it is ``sent`` with the provider's id; not found, it goes back to
  ``queued``, due now, and is sent again like any other (through the gate again). A worker does
  this when it starts and before every batch. A late acceptance (a worker slower than its lease)
  of a message waiting in the queue again still marks it ``sent``.
- **Claim.** Due messages (``queued``, ``next_attempt_at`` at or before now) are taken in one
  short transaction: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED``, so workers side by side
  never take the same message; on SQLite under the database's write lock (one writer at a time).
  They are marked ``sending`` with a lease and COMMITTED before any provider is called: a crash
  leaves them ``sending``, for the reconciliation above, never lost and never taken twice.
- **The gate at send time**, one message per transaction: past its ``not_after`` a message is
  ``expired``; else the contact is put to the compliance gate through the contacts context
  (:func:`arrears.contacts.service.record_outbound`, the one path that records an outbound contact
  made now): allowed, the contact is recorded (it counts at once in the gate's counts, so two
  workers cannot both pass a cap only one may) and the attempt committed; refused, the refusal is
  a contact record too and the message goes back to ``queued`` at the next allowed time (late
  policy ``wait``, before ``not_after``), is ``expired`` (late policy ``expire``, or the next
  allowed time past ``not_after``), or is ``stopped`` with the rule ids (a refusal without a next
  time: a hold, an opt-out). A case closed, a contact point gone, or one marked invalid (a
  permanent e-mail bounce, :mod:`arrears.channels.bounces`) stops it too, before the gate.
- **The send.** At most ``rate`` messages a second per provider. Accepted: ``sent`` with the
  provider's id. :class:`TransientError`: ``queued`` again after ``outbox_backoff_seconds``
  doubling with each attempt, half of it random (jitter), or the provider's own retry-after if
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

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor
from arrears.channels.delivery import invalidate_point
from arrears.channels.models import LatePolicy, MessageState, MessageTemplate, OutboxMessage
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
from arrears.contacts.service import ContactBlockedError, Draft, record_outbound
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
        done.add(worker.batch(batch, stop))
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

    def batch(self, size: int, stop: threading.Event) -> Tally:
        tally = Tally()
        claimed = self.claim(size)
        tally.claimed = len(claimed)
        for message_id in claimed:
            if stop.is_set():
                break  # the rest stay ``sending`` until their lease ends: reconciled then
            self.deliver(message_id, tally)
        return tally

    def claim(self, size: int) -> list[int]:
        with transaction(self.engine) as session:
            now = self.clock.now()
            taken = _locked(session, MessageState.QUEUED, now, self.providers, size)
            for message in taken:
                message.next_attempt_at = now + self.policy.lease
                transition(session, message, MessageState.SENDING, now)
            return [m.id for m in taken]

    def deliver(self, message_id: int, tally: Tally) -> None:
        passed = self.gate(message_id, tally)
        if passed is None:
            return
        provider = self.providers[passed.channel]
        self.limits[provider.name].wait()
        try:
            accepted: Accepted | ProviderError = provider.send(passed)
        except ProviderError as error:
            accepted = error
        except Exception as error:  # a provider's bug: retried like a transient error, then dead
            accepted = TransientError("provider_error", type(error).__name__)
        self.settle(message_id, accepted, tally)

    def gate(self, message_id: int, tally: Tally) -> Outgoing | None:
        """Put the message to the gate; the message to hand over when allowed, else None."""
        with transaction(self.engine) as session:
            now = self.clock.now()
            message = session.get(OutboxMessage, message_id)
            if message is None or message.state != MessageState.SENDING:
                return None
            if message.not_after is not None and now > message.not_after:
                transition(session, message, MessageState.EXPIRED, now, "not sent before not_after")
                tally.expired += 1
                return None
            if message.purpose in SERVICE_PURPOSES:  # asked for by the customer now: see portal_codes
                return self._service_message(session, message, now, tally)
            try:
                contact_id = self._record_contact(session, message)
            except ContactBlockedError as refusal:
                self._refused(session, message, refusal, now, tally)
                return None
            except ArrearsError as error:  # the case closed, the contact point gone …
                message.stop_reason = f"{error.code}: {error.message('en')}"[:500]
                transition(session, message, MessageState.STOPPED, now, message.stop_reason)
                tally.stopped += 1
                return None
            message.contact_id = contact_id
            message.attempts += 1
            message.provider = self.providers[message.channel].name
            add_event(session, message, "attempt", now, f"attempt {message.attempts}, contact {contact_id}")
            return outgoing(session, message)

    def _service_message(
        self, session: Session, message: OutboxMessage, now: datetime, tally: Tally
    ) -> Outgoing | None:
        """A service message (a one-time code): not a collection contact, so not put to the gate
        and not recorded as a contact; a contact point marked invalid stops it all the same."""
        point = (
            None if message.contact_point_id is None else session.get(ContactPoint, message.contact_point_id)
        )
        if point is None or point.invalid_at is not None:
            message.stop_reason = "contact point missing or invalid"
            transition(session, message, MessageState.STOPPED, now, message.stop_reason)
            tally.stopped += 1
            return None
        message.attempts += 1
        message.provider = self.providers[message.channel].name
        add_event(session, message, "attempt", now, f"attempt {message.attempts}, service message")
        return outgoing(session, message)

    def _record_contact(self, session: Session, message: OutboxMessage) -> int:
        if message.case_id is None:
            raise NoCaseError(message_id=message.id)
        point = (
            None if message.contact_point_id is None else session.get(ContactPoint, message.contact_point_id)
        )
        if point is not None and point.invalid_at is not None:
            raise ContactPointInvalidError(contact_point_id=point.id, reason=point.invalid_reason or "")
        draft = Draft(
            channel=message.channel,
            direction="outbound",
            party=_party_of(session, message.contact_point_id),
            disposition=SENT_DISPOSITION,
            contact_point_id=message.contact_point_id,
        )
        # no savepoint: a refusal raises after recording itself, and that record is kept
        contact = record_outbound(session, message.case_id, draft, ctx=self.ctx, source=SOURCE, actor=WORKER)
        return contact.id

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
        with transaction(self.engine) as session:
            now = self.clock.now()
            message = session.get(OutboxMessage, message_id)
            if message is None:
                return
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


class NoCaseError(ArrearsError):
    code = "no_case"
    default_message = N_("Message {message_id} has no case: no contact can be recorded for it")


class ContactPointInvalidError(ArrearsError):
    code = "contact_point_invalid"
    default_message = N_("Contact point {contact_point_id} does not work ({reason}): nothing is sent to it")


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


def _party_of(session: Session, contact_point_id: int | None) -> str:
    point = None if contact_point_id is None else session.get(ContactPoint, contact_point_id)
    return "debtor" if point is None else point.party


def outgoing(session: Session, message: OutboxMessage) -> Outgoing:
    """The message as a provider needs it (its recipient read from the contact point)."""
    point = None if message.contact_point_id is None else session.get(ContactPoint, message.contact_point_id)
    customer = session.get(Customer, message.customer_id)
    template = None if message.template_id is None else session.get(MessageTemplate, message.template_id)
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
    )
