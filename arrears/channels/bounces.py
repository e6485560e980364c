"""E-mail bounces (#13 §4): the relay's delivery status notification, told to Arrears by a callback.

The rules:

- The callback is signed as every provider callback is (:mod:`arrears.channels.signed`).
- The bounce names the e-mail by its ``Message-ID`` (``<key@arrears>``, the message's
  ``provider_message_id``) and the DSN status (RFC 3463, ``class.subject.detail``): ``4.x.x``
  a transient failure (the relay gave up for now), ``5.x.x`` a permanent one; ``2.x.x`` is no
  bounce (422). The relay's diagnostic is kept without any address in it.
- The message, ``sent`` or ``delivered``, becomes ``bounced`` (its event keeps the status and
  the relay's diagnostic, cut short), and its contact record's delivery ``bounced``
  (:mod:`arrears.channels.delivery`). A permanent bounce also marks the e-mail's contact point
  invalid (``contact_points.invalid_at``, ``invalid_reason``): the outbox's worker stops every
  later message to it (``stopped``, ``contact_point_invalid``) before asking the gate.
- The same bounce again changes nothing (idempotent). Audited as the system: ``message.bounce``
  and ``contact_point.invalidate``. Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.channels.delivery import invalidate_point, record_delivery
from arrears.channels.models import MessageChannel, MessageState, OutboxMessage
from arrears.channels.outbox import MessageStateError, shown, transition
from arrears.errors import InvalidInputError, NotFoundError
from arrears.i18n import N_, Text

BOUNCES_ACTOR = Actor(user_id=None, name="email-bounces", role="system")
STATUS = re.compile(r"([245])\.\d{1,3}\.\d{1,3}")
ADDRESS = re.compile(r"\S+@\S+")
"""An address in the relay's diagnostic: not kept (personal data)."""
BOUNCEABLE = frozenset({MessageState.SENT, MessageState.DELIVERED, MessageState.BOUNCED})


class BounceInputError(InvalidInputError):
    code = "invalid_bounce"
    http_status = 422


class BouncedMessageNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No e-mail sent with Message-ID {message_id}")


@dataclass(frozen=True)
class Bounced:
    message: OutboxMessage
    point_invalid: bool


def bounce(
    session: Session, message_id: str, status: str, diagnostic: str | None, *, now: datetime
) -> Bounced:
    """Record the bounce of the e-mail ``message_id`` (see the module)."""
    found = STATUS.fullmatch(status.strip())
    if found is None or found.group(1) == "2":
        raise BounceInputError(
            N_("status is a DSN failure status, 4.x.x or 5.x.x, not {status}"), status=repr(status[:20])
        )
    message = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.channel == MessageChannel.EMAIL, OutboxMessage.provider_message_id == message_id
        )
    ).first()
    if message is None:
        raise BouncedMessageNotFoundError(message_id=message_id[:200])
    if message.state not in BOUNCEABLE:
        raise MessageStateError(
            message_id=message.id, state=message.state, wanted="sent", action=Text.of(N_("bounced"))
        )
    said = f"bounce {status.strip()}: {ADDRESS.sub('…', (diagnostic or '').strip())}"[:200]
    if message.state != MessageState.BOUNCED:
        before = shown(message)
        message.last_error = said
        transition(session, message, MessageState.BOUNCED, now, said)
        session.flush()
        _audit(
            session, "message.bounce", "message", message.id, message.customer_id, before, shown(message), now
        )
    record_delivery(session, message, "bounced", now)
    permanent = found.group(1) == "5" and message.contact_point_id is not None
    if permanent:
        invalidate_point(session, message, said, now, BOUNCES_ACTOR)
    return Bounced(message, permanent)


def _audit(
    session: Session,
    action: str,
    object_type: str,
    object_id: int,
    customer_id: str,
    before: dict[str, object],
    after: dict[str, object],
    now: datetime,
) -> None:
    record(
        session,
        BOUNCES_ACTOR,
        action,
        at=now,
        object_type=object_type,
        object_id=str(object_id),
        customer_id=customer_id,
        before=before,
        after=after,
    )
