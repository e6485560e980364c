"""The outbox: a message is queued in the transaction of what caused it; people cancel or resend.

The rules (docs/channels.md, "The outbox"):

- :func:`queue_message` writes one message under its idempotency key, with its ``queued`` event
  and an audit entry (``message.queue``), in the caller's transaction (flush only). The same key
  again answers the message already there (never a second row, also when two callers race); the
  same key with a different content is refused (:class:`KeyReusedError`, 409);
- a message whose text the conduct checker flags (a threat, an insult … :func:`content_refusal`)
  is written ``stopped`` with the findings as its reason and audited ``message.refused``: never
  sent;
- a call script (a template of the channel ``call``) is never queued: neither the channel nor a
  message rendered from one (:class:`InvalidMessageError`, 422);
- a letter queued without a contact point goes to the debtor's postal address (the primary
  ``address`` point, else the first); a customer without one cannot be sent a letter (422);
- :func:`cancel` stops a ``queued`` message (``stopped``, the reason kept); :func:`resend` puts a
  ``dead`` one back in the queue, its attempts counted from zero. Both need ``outbox.manage``, see
  the message's case (else 404, as for a missing one) and name the version they read (412 when
  the message moved on); both are audited;
- :func:`transition` is the one way a message changes state: it writes the ``message_events``
  row of the change (the worker uses it too).

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record, record_many
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.models import Case
from arrears.cases.scope import case_filter
from arrears.cases.work import checked_reason
from arrears.channels.models import (
    CALL,
    FINAL_STATES,
    LatePolicy,
    MessageChannel,
    MessageEvent,
    MessageState,
    MessageTemplate,
    OutboxMessage,
)
from arrears.compliance.conduct import check_conduct
from arrears.concurrency import check_version
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_, Text
from arrears.portfolio.models import ContactPoint

MAX_DETAIL = 1000
CONTENT = (
    "channel",
    "customer_id",
    "case_id",
    "contact_point_id",
    "language",
    "subject",
    "body",
    "purpose",
    "template_id",
)
"""What a message's key stands for: the same key with any of these different is another message."""


class MessageNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No message {message_id}")


class KeyReusedError(ConflictError):
    code = "idempotency_key_reused"
    default_message = N_("Idempotency key {key} was used for another message ({fields} differ)")


class MessageStateError(ConflictError):
    code = "message_state"
    default_message = N_("Message {message_id} is {state}: only a {wanted} message can be {action}")


class InvalidMessageError(InvalidInputError):
    code = "invalid_message"
    http_status = 422
    default_message = N_("The message cannot be queued as given")


@dataclass(frozen=True)
class Queued:
    """What :func:`queue_message` did: the message, and whether this call wrote it."""

    message: OutboxMessage
    created: bool


def queue_message(
    session: Session,
    actor: Actor,
    *,
    channel: str,
    customer_id: str,
    case_id: str | None,
    contact_point_id: int | None,
    language: str,
    subject: str | None,
    body: str,
    purpose: str,
    idempotency_key: str,
    now: datetime,
    not_after: datetime | None = None,
    late_policy: LatePolicy = LatePolicy.WAIT,
    template_id: int | None = None,
    created_by: int | None = None,
    provider_params: dict[str, str] | None = None,
) -> OutboxMessage:
    """Queue one message (see the module); answers the message of ``idempotency_key``."""
    return queue(
        session,
        actor,
        channel=channel,
        customer_id=customer_id,
        case_id=case_id,
        contact_point_id=contact_point_id,
        language=language,
        subject=subject,
        body=body,
        purpose=purpose,
        idempotency_key=idempotency_key,
        now=now,
        not_after=not_after,
        late_policy=late_policy,
        template_id=template_id,
        created_by=created_by,
        provider_params=provider_params,
    ).message


def queue(
    session: Session,
    actor: Actor,
    *,
    idempotency_key: str,
    now: datetime,
    send_from: datetime | None = None,
    **given: Any,
) -> Queued:
    """:func:`queue_message`, saying whether the message was written by this call; the message is
    due at ``send_from`` (a reminder's time of day), else at once."""
    _check(idempotency_key, given)
    _refuse_call_scripts(session, [given.get("template_id")])
    if given["channel"] == MessageChannel.LETTER and given["contact_point_id"] is None:
        given["contact_point_id"] = _postal_address_of(session, given["customer_id"])
    existing = _by_key(session, idempotency_key)
    if existing is not None:
        return Queued(_same(existing, given), created=False)
    refused = content_refusal(given)
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        state=MessageState.QUEUED if refused is None else MessageState.STOPPED,
        stop_reason=refused,
        attempts=0,
        next_attempt_at=now if send_from is None else max(send_from, now),
        created_at=now,
        **given,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:  # another caller wrote the key at the same moment
        existing = _by_key(session, idempotency_key)
        if existing is None:
            raise
        return Queued(_same(existing, given), created=False)
    add_event(session, message, MessageState(message.state), now, refused or given["purpose"])
    record(
        session,
        actor,
        "message.queue" if refused is None else "message.refused",
        at=now,
        object_type="message",
        object_id=str(message.id),
        customer_id=message.customer_id,
        after=shown(message),
        rules=None if refused is None else _rules_of(message),
    )
    return Queued(message, created=True)


def content_refusal(given: dict[str, Any]) -> str | None:
    """Why the outbox refuses a message's text (the conduct checker's findings, each rule with its
    evidence), or None. A refused message is written ``stopped``, never sent, its refusal audited
    (``message.refused``): a template was approved clean, but what it is rendered with is data."""
    text = "\n".join(part for part in (given.get("subject"), given["body"]) if part)
    # the bank speaks to the customer: checked as a collector's words to the debtor
    findings = check_conduct(text, party="debtor", speaker="collector").findings
    if not findings:
        return None
    said = "; ".join(f"{f.rule} “{f.evidence}”" for f in findings)
    return f"{CONTENT_REFUSED}{said}"[:500]


CONTENT_REFUSED = "content: "
"""How a refused message's ``stop_reason`` begins; the conduct rules follow."""


def _rules_of(message: OutboxMessage) -> list[str]:
    said = (message.stop_reason or "").removeprefix(CONTENT_REFUSED)
    return [part.split(" ", 1)[0] for part in said.split("; ") if part]


BULK_CHUNK = 1000
"""Messages one statement of :func:`queue_many` inserts."""
OPTIONAL: dict[str, Any] = {
    "provider_params": None,
    "not_after": None,
    "late_policy": LatePolicy.WAIT,
    "template_id": None,
    "created_by": None,
    "send_from": None,
}
""":func:`queue_message`'s keywords with a default, and theirs."""


def queue_many(
    session: Session, actor: Actor, messages: Sequence[dict[str, Any]], *, now: datetime
) -> list[Queued]:
    """:func:`queue` for many messages at once (each a mapping of :func:`queue`'s keywords but
    ``now``), set-based: the messages, their ``queued`` events and their audit entries are each
    written in statements of :data:`BULK_CHUNK` rows. A key already there answers its message as
    :func:`queue` does (checked one by one: a rerun's few)."""
    done: list[Queued] = []
    given = [OPTIONAL | spec for spec in messages]
    for start in range(0, len(given), BULK_CHUNK):
        done.extend(_queue_chunk(session, actor, given[start : start + BULK_CHUNK], now))
    return done


def _queue_chunk(
    session: Session, actor: Actor, chunk: Sequence[dict[str, Any]], now: datetime
) -> list[Queued]:
    for spec in chunk:
        _check(spec["idempotency_key"], spec)
    _refuse_call_scripts(session, [spec["template_id"] for spec in chunk])
    keys = [spec["idempotency_key"] for spec in chunk]
    there = set(
        session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys)))
    )
    fresh = [spec for spec in chunk if spec["idempotency_key"] not in there]
    rows = [_row(spec, now) for spec in fresh]
    try:
        with session.begin_nested():
            # the ids are matched by the (unique) key: asking the database to keep the rows' order
            # makes SQLite insert them one statement each
            written = (
                session.execute(
                    insert(OutboxMessage).returning(OutboxMessage.id, OutboxMessage.idempotency_key), rows
                ).all()
                if rows
                else []
            )
    except IntegrityError:  # a key written meanwhile by another caller: one by one, as queue does
        return [queue(session, actor, now=now, **spec) for spec in chunk]
    ids = {key: id_ for id_, key in written}
    made = [OutboxMessage(id=ids[row["idempotency_key"]], **row) for row in rows]
    if made:
        session.execute(
            insert(MessageEvent),
            [
                {"message_id": m.id, "at": now, "kind": str(m.state), "detail": m.stop_reason or m.purpose}
                for m in made
            ],
        )
        _audit_queued(session, actor, made, now)
    by_key = {m.idempotency_key: m for m in made}
    return [
        Queued(by_key[spec["idempotency_key"]], created=True)
        if spec["idempotency_key"] in by_key
        else queue(session, actor, now=now, **spec)
        for spec in chunk
    ]


def _audit_queued(session: Session, actor: Actor, made: list[OutboxMessage], now: datetime) -> None:
    """One entry a message: ``message.queue``, or ``message.refused`` with its rules."""
    for action, refused in (("message.queue", False), ("message.refused", True)):
        entries = [
            {
                "object_type": "message",
                "object_id": str(m.id),
                "customer_id": m.customer_id,
                "after": shown(m),
                "rules": _rules_of(m) if refused else None,
            }
            for m in made
            if (m.state == MessageState.STOPPED) == refused
        ]
        if entries:
            record_many(session, actor, action, at=now, entries=entries)


def _row(spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    given = {name: value for name, value in spec.items() if name != "send_from"}
    send_from = spec.get("send_from")
    refused = content_refusal(given)
    return given | {
        "state": str(MessageState.QUEUED if refused is None else MessageState.STOPPED),
        "stop_reason": refused,
        "attempts": 0,
        "next_attempt_at": now if send_from is None else max(send_from, now),
        "created_at": now,
        "version": 1,
    }


def _check(key: str, given: dict[str, Any]) -> None:
    if not key or len(key) > 200:
        raise InvalidMessageError(N_("An idempotency key has 1 to 200 characters"))
    if given["channel"] not in set(MessageChannel):
        raise InvalidMessageError(
            N_("{channel} is not a channel of the outbox"), channel=given["channel"][:20]
        )
    if not given["body"]:
        raise InvalidMessageError(N_("A message has a body"))
    if given["late_policy"] not in set(LatePolicy):
        raise InvalidMessageError(N_("late_policy is wait or expire"))


def _refuse_call_scripts(session: Session, template_ids: Sequence[int | None]) -> None:
    """A call script (a template of the channel ``call``) is read on a call, never sent."""
    wanted = {template_id for template_id in template_ids if template_id is not None}
    if not wanted:
        return
    script = session.scalars(
        select(MessageTemplate.id).where(MessageTemplate.id.in_(wanted), MessageTemplate.channel == CALL)
    ).first()
    if script is not None:
        raise InvalidMessageError(
            N_("Template {template_id} is a call script: it is read on a call, never sent"),
            template_id=script,
        )


def _postal_address_of(session: Session, customer_id: str) -> int:
    """The debtor's postal address a letter goes to: the primary one, else the first recorded."""
    point = session.scalars(
        select(ContactPoint.id)
        .where(
            ContactPoint.customer_id == customer_id,
            ContactPoint.type == "address",
            ContactPoint.party == "debtor",
        )
        .order_by(ContactPoint.is_primary.desc(), ContactPoint.id)
    ).first()
    if point is None:
        raise InvalidMessageError(
            N_("Customer {customer_id} has no postal address: a letter cannot be queued"),
            customer_id=customer_id,
        )
    return point


def _by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()


def _same(existing: OutboxMessage, given: dict[str, Any]) -> OutboxMessage:
    differ = [name for name in CONTENT if getattr(existing, name) != given.get(name)]
    if differ:
        raise KeyReusedError(key=existing.idempotency_key[:60], fields=", ".join(differ))
    return existing


def add_event(
    session: Session, message: OutboxMessage, kind: str, at: datetime, detail: str | None = None
) -> None:
    session.add(
        MessageEvent(
            message_id=message.id,
            at=at,
            kind=str(kind),
            detail=None if detail is None else detail[:MAX_DETAIL],
        )
    )


def transition(
    session: Session,
    message: OutboxMessage,
    state: MessageState,
    at: datetime,
    detail: str | None = None,
) -> None:
    """Move ``message`` to ``state`` and write the event of it; a final state is settled at ``at``."""
    message.state = state
    if state in FINAL_STATES:
        message.settled_at = at
    add_event(session, message, state, at, detail)


# --- People: cancel and resend. ------------------------------------------------------------------


def visible_message(session: Session, principal: Principal, message_id: int, today: date) -> OutboxMessage:
    """The message if the caller sees its case (a message without a case: a holder of the
    permission sees it), else not found."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise MessageNotFoundError(message_id=message_id)
    if message.case_id is not None:
        seen = session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.case_id == message.case_id, case_filter(principal, today))
        )
        if not seen:
            raise MessageNotFoundError(message_id=message_id)
    return message


def cancel(
    session: Session,
    principal: Principal,
    message_id: int,
    reason: str,
    expected_version: int | None,
    *,
    now: datetime,
    today: date,
) -> OutboxMessage:
    """Stop a queued message for good (``stopped``, ``stop_reason`` "cancelled: <reason>")."""
    principal.require(Permission.OUTBOX_MANAGE)
    message = visible_message(session, principal, message_id, today)
    check_version(message, expected_version, N_("message"), message_id)
    text = checked_reason(reason)
    _require(message, MessageState.QUEUED, N_("cancelled"))
    before = shown(message)
    message.stop_reason = f"cancelled: {text}"[:500]
    transition(session, message, MessageState.STOPPED, now, message.stop_reason)
    session.flush()
    _audit(session, principal, "message.cancel", message, before, now, text)
    return message


def resend(
    session: Session,
    principal: Principal,
    message_id: int,
    reason: str,
    expected_version: int | None,
    *,
    now: datetime,
    today: date,
) -> OutboxMessage:
    """Put a dead message back in the queue, due now, its attempts counted from zero."""
    principal.require(Permission.OUTBOX_MANAGE)
    message = visible_message(session, principal, message_id, today)
    check_version(message, expected_version, N_("message"), message_id)
    text = checked_reason(reason)
    _require(message, MessageState.DEAD, N_("sent again"))
    before = shown(message)
    message.attempts = 0
    message.next_attempt_at = now
    message.settled_at = None
    transition(session, message, MessageState.QUEUED, now, f"resend: {text}")
    session.flush()
    _audit(session, principal, "message.resend", message, before, now, text)
    return message


def _require(message: OutboxMessage, wanted: MessageState, action: str) -> None:
    if message.state != wanted:
        raise MessageStateError(
            message_id=message.id, state=message.state, wanted=wanted.value, action=Text.of(action)
        )


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    message: OutboxMessage,
    before: dict[str, Any],
    now: datetime,
    reason: str,
) -> None:
    record(
        session,
        principal.actor(),
        action,
        at=now,
        object_type="message",
        object_id=str(message.id),
        customer_id=message.customer_id,
        before=before,
        after=shown(message),
        reason=reason,
    )


def shown(message: OutboxMessage) -> dict[str, Any]:
    """A message as the audit trail keeps it: ids, codes and states, never its text."""
    return {
        "idempotency_key": message.idempotency_key,
        "channel": message.channel,
        "purpose": message.purpose,
        "case_id": message.case_id,
        "contact_point_id": message.contact_point_id,
        "template_id": message.template_id,
        "language": message.language,
        "state": message.state,
        "attempts": message.attempts,
        "not_after": message.not_after,
        "late_policy": message.late_policy,
    }


# --- The dashboard. ------------------------------------------------------------------------------


def counts(session: Session) -> dict[str, dict[str, int]]:
    """Messages per channel and state, every state of every channel named (zero when none)."""
    result = {channel.value: dict.fromkeys((s.value for s in MessageState), 0) for channel in MessageChannel}
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.state, func.count()).group_by(
            OutboxMessage.channel, OutboxMessage.state
        )
    )
    for channel, state, number in rows:
        result.setdefault(channel, {})[state] = int(number)
    return result
