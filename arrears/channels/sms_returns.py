"""What comes back from the SMS provider (#13 §4): delivery receipts and the customers' replies,
in the shapes of Alibaba Cloud's HTTP batch push (``SmsReport`` and ``SmsUp``, a JSON array of
items each), told to Arrears by signed callbacks (:mod:`arrears.channels.signed`).

Receipts (:func:`take_reports`):

- an item names its message by ``out_id`` (the outbox's idempotency key) or ``biz_id`` (the
  provider's id, kept as ``provider_message_id``);
- ``success: true``: the message is ``delivered``; false: ``failed`` with the provider's
  ``err_code`` and ``err_msg`` in ``last_error``. Its contact record's delivery says the same
  (:func:`arrears.channels.delivery.record_delivery`). A receipt code that says the number does
  not exist (:data:`NUMBER_GONE`) also marks the contact point invalid;
- a receipt faster than the worker's own bookkeeping (the message still ``sending``, or back in
  the queue after its lease) is taken all the same: the message is sent, then delivered;
- each receipt is taken once (the event's ``provider_event_id``); the first final word stands. A
  receipt of no message of ours is counted and left: the provider must not retry a batch for it.

Replies (:func:`take_replies`):

- a reply whose text, trimmed and folded (full-width letters, case), is one of
  :data:`OPT_OUT_WORDS` (``TD``, ``T``, ``STOP``, ``退订``, ``N``, ``UNSUBSCRIBE``, ``取消``)
  records an opt-out of SMS at every mobile contact point with that number, as the customer
  asked (:func:`arrears.contacts.preferences.record_asked_by_customer`, audited): the gate stops
  the next message to it;
- a reply to an SMS we sent is a contact (inbound, ``message_reply``, the customer's words as its
  note, cut to 500 characters) on that SMS's case, and a ``reply`` event of that SMS, taken once
  by its ``sequence_id``. The opt-out names the contact it was asked on. A text to the bank's
  number that answers no SMS of ours only opts out (when it asks to).

Audited as the system, ``message.receipt`` for each receipt taken. Nothing here commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.channels.delivery import invalidate_point, record_delivery
from arrears.channels.models import FINAL_STATES, MessageChannel, MessageEvent, MessageState, OutboxMessage
from arrears.channels.outbox import shown, transition
from arrears.contacts.common import Gatekeeping
from arrears.contacts.models import Contact, Direction, PreferenceKind
from arrears.contacts.preferences import PreferenceDraft, record_asked_by_customer
from arrears.contacts.service import Draft, record_inbound
from arrears.portfolio.models import ContactPoint
from arrears.portfolio.phones import normalise_phone

SMS_ACTOR = Actor(user_id=None, name="sms-callbacks", role="system")
OPT_OUT_WORDS = frozenset({"TD", "T", "STOP", "退订", "N", "UNSUBSCRIBE", "取消"})
NUMBER_GONE = frozenset({"MN:0001"})
"""Receipt codes that say the number does not exist (空号); a bank adds its provider's others."""
MOBILE = "mobile"
REPLY_KEPT = 500
REPLY_DISPOSITION = "message_reply"


@dataclass(frozen=True)
class Report:
    """One ``SmsReport`` item."""

    success: bool
    err_code: str = ""
    err_msg: str = ""
    biz_id: str | None = None
    out_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One ``SmsUp`` item."""

    phone_number: str
    content: str
    sequence_id: str


@dataclass
class Tally:
    delivered: int = 0
    failed: int = 0
    repeated: int = 0
    unknown: int = 0
    opted_out: int = 0
    replies: int = 0
    invalidated: list[int] = field(default_factory=list)


def take_reports(session: Session, reports: Sequence[Report], *, now: datetime) -> Tally:
    """Take a batch of receipts (see the module)."""
    tally = Tally()
    for report in reports:
        _take_report(session, report, now, tally)
    return tally


def _take_report(session: Session, report: Report, now: datetime, tally: Tally) -> None:
    message = _reported(session, report)
    if message is None:
        tally.unknown += 1
        return
    event_id = f"aliyun-report:{report.biz_id or report.out_id}"
    if _seen(session, event_id) or message.state in FINAL_STATES:
        tally.repeated += 1
        return
    before = shown(message)
    if message.state != MessageState.SENT:  # the worker's settle has not committed yet
        message.provider_message_id = message.provider_message_id or report.biz_id
        message.sent_at = message.sent_at or now
        transition(session, message, MessageState.SENT, now, "sent: told by its receipt")
    said = f"receipt {report.err_code}: {report.err_msg}".strip()[:1000]
    session.add(
        MessageEvent(message_id=message.id, at=now, kind="receipt", detail=said, provider_event_id=event_id)
    )
    if report.success:
        transition(session, message, MessageState.DELIVERED, now, said)
        record_delivery(session, message, "delivered", now)
        tally.delivered += 1
    else:
        message.last_error = said
        transition(session, message, MessageState.FAILED, now, said)
        record_delivery(session, message, "failed", now)
        tally.failed += 1
        if report.err_code in NUMBER_GONE and invalidate_point(session, message, said, now, SMS_ACTOR):
            tally.invalidated.append(message.contact_point_id or 0)
    session.flush()
    record(
        session,
        SMS_ACTOR,
        "message.receipt",
        at=now,
        object_type="message",
        object_id=str(message.id),
        customer_id=message.customer_id,
        before=before,
        after=shown(message),
    )


def _reported(session: Session, report: Report) -> OutboxMessage | None:
    named = []
    if report.out_id:
        named.append(OutboxMessage.idempotency_key == report.out_id)
    if report.biz_id:
        named.append(OutboxMessage.provider_message_id == report.biz_id)
    if not named:
        return None
    query = select(OutboxMessage).where(OutboxMessage.channel == MessageChannel.SMS, or_(*named))
    return session.scalars(query.with_for_update()).first()


def _seen(session: Session, event_id: str) -> bool:
    return (
        session.scalar(select(MessageEvent.id).where(MessageEvent.provider_event_id == event_id)) is not None
    )


def take_replies(session: Session, replies: Sequence[Reply], *, ctx: Gatekeeping) -> Tally:
    """Take a batch of replies (see the module)."""
    tally = Tally()
    for reply in replies:
        own = Tally()
        try:
            with session.begin_nested():
                _take_reply(session, reply, ctx, own)
        except IntegrityError:  # the same reply, taken meanwhile by a push racing this one
            tally.repeated += 1
            continue
        tally.replies += own.replies
        tally.opted_out += own.opted_out
        tally.repeated += own.repeated
    return tally


def is_opt_out(content: str) -> bool:
    """Whether a reply asks to stop: ``td``, ``ＴＤ``, `` 退订 ``, ``Stop.`` … all do."""
    folded = unicodedata.normalize("NFKC", content).strip().strip(".。!！").upper()
    return folded in OPT_OUT_WORDS


def _take_reply(session: Session, reply: Reply, ctx: Gatekeeping, tally: Tally) -> None:
    event_id = f"aliyun-up:{reply.sequence_id}"
    if _seen(session, event_id):
        tally.repeated += 1
        return
    tally.replies += 1
    now = ctx.clock.now()
    stop = is_opt_out(reply.content)
    kept = False
    for point in _points_of(session, reply.phone_number):
        last = _last_sent_to(session, point.id)
        contact = None if last is None else _record_reply(session, point, last, reply, ctx)
        if stop:
            record_asked_by_customer(
                session,
                SMS_ACTOR,
                point.customer_id,
                PreferenceDraft(
                    kind=PreferenceKind.OPT_OUT,
                    channel=MessageChannel.SMS,
                    contact_point_id=point.id,
                    contact_id=None if contact is None else contact.id,
                ),
                now=now,
            )
            tally.opted_out += 1
        if last is not None:
            session.add(
                MessageEvent(
                    message_id=last.id,
                    at=now,
                    kind="reply",
                    detail=reply.content.strip()[:REPLY_KEPT],
                    # a number two customers share: the first event carries the reply's own id
                    provider_event_id=f"{event_id}:{point.id}" if kept else event_id,
                )
            )
            session.flush()
            kept = True


def _record_reply(
    session: Session, point: ContactPoint, last: OutboxMessage, reply: Reply, ctx: Gatekeeping
) -> Contact | None:
    """The reply as an inbound contact on the case of the SMS it answers (none without a case)."""
    if last.case_id is None:
        return None
    draft = Draft(
        channel=MessageChannel.SMS,
        direction=Direction.INBOUND,
        party=point.party,
        disposition=REPLY_DISPOSITION,
        contact_point_id=point.id,
        note=reply.content.strip()[:REPLY_KEPT] or None,
    )
    return record_inbound(session, last.case_id, draft, ctx=ctx, source="outbox", actor=SMS_ACTOR)


def _points_of(session: Session, number: str) -> list[ContactPoint]:
    """The mobile contact points of ``number`` (the provider writes mainland numbers without +86)."""
    e164, _ = normalise_phone(number, "CN")
    if e164 is None:
        return []
    query = select(ContactPoint).where(ContactPoint.type == MOBILE, ContactPoint.value == e164)
    return list(session.scalars(query.order_by(ContactPoint.id)))


def _last_sent_to(session: Session, point_id: int) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == MessageChannel.SMS,
            OutboxMessage.contact_point_id == point_id,
            OutboxMessage.sent_at.is_not(None),
        )
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
    )
    return session.scalars(query.limit(1)).first()
