"""What a provider tells after the send, kept where the rest of Arrears reads it: the message's
contact record learns its delivery, and a recipient that does not exist marks its contact point.

- :func:`record_delivery`: the contact record of the send (``contacts.delivery``,
  ``delivery_at``) says ``delivered``, ``failed`` or ``bounced``, as the receipt or bounce told.
  The first final word stands; the same word again changes nothing.
- :func:`invalidate_point`: the contact point is marked invalid (``contact_points.invalid_at``,
  ``invalid_reason``): the outbox's worker stops every later message to it before it asks the
  gate, and collectors see it. Audited ``contact_point.invalidate`` as ``actor``.

Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.channels.models import OutboxMessage
from arrears.contacts.models import Contact
from arrears.portfolio.models import ContactPoint


def record_delivery(session: Session, message: OutboxMessage, delivery: str, at: datetime) -> None:
    """The contact record of ``message``'s send learns its delivery (once)."""
    contact = None if message.contact_id is None else session.get(Contact, message.contact_id)
    if contact is None or contact.delivery is not None:
        return
    contact.delivery, contact.delivery_at = delivery, at


def invalidate_point(
    session: Session, message: OutboxMessage, said: str, now: datetime, actor: Actor
) -> bool:
    """Mark the contact point of ``message`` invalid; False when it has none or already is."""
    point = None if message.contact_point_id is None else session.get(ContactPoint, message.contact_point_id)
    if point is None or point.invalid_at is not None:
        return False
    point.invalid_at, point.invalid_reason = now, said[:200]
    session.flush()
    record(
        session,
        actor,
        "contact_point.invalidate",
        at=now,
        object_type="contact_point",
        object_id=str(point.id),
        customer_id=message.customer_id,
        before={"invalid_at": None},
        after={"invalid_at": now, "invalid_reason": said[:200], "message_id": message.id},
    )
    return True
