"""Messages to customers (SMS, e-mail, letters) through the outbox, and their templates.

A message is written to ``outbox_messages`` in the transaction of what caused it (a collector's
request, a reminder, later a strategy's action), under an idempotency key: the same key never
makes a second message. Workers send it (``arrears outbox work``); every change of its state is
an event (``message_events``) and the send itself, or the refusal to send, is a contact record
(``contacts``), which the compliance gate counts.

The states (docs/channels.md):

- ``queued``: waiting to be sent at ``next_attempt_at`` (first send, a retry after a transient
  error, or a send the gate put off to its next allowed time);
- ``sending``: a worker took it and is handing it to the provider; a worker that finds one left
  by a worker that died reconciles it with the provider before anything else (never a second
  send of a message the provider accepted);
- ``sent``: the provider accepted it (``provider_message_id``);
- ``delivered`` / ``bounced``: what the provider's receipt said;
- ``dead``: a permanent error, or too many transient ones (``last_error`` says which);
- ``stopped``: the gate refused it at send time for good (a hold, an opt-out), or it became moot
  (a payment made it so); ``stop_reason`` says which;
- ``expired``: not sent before ``not_after``.

Templates are versioned per code, channel and language: ``draft``, ``approved`` (by a compliance
officer who is not the author, after the content check and the pack's required elements),
``retired``. A message keeps the template version it was rendered from and its rendered text. A
template of the channel ``call`` is a call script (话术, :mod:`arrears.channels.call_scripts`):
approved the same way, shown to the collector, never sent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.concurrency import Versioned
from arrears.db import Base, UTCDateTime


class MessageChannel(StrEnum):
    """The channels the outbox sends (a subset of the contact channels)."""

    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


CALL = "call"
"""The channel of a call script (话术): a template a collector reads on the case page, approved like
any other; never a message (the outbox refuses it)."""
TEMPLATE_CHANNELS = (*(str(c) for c in MessageChannel), CALL)
"""The channels a template is written for: the outbox's, and calls."""
SCRIPT_CODE = "call_script"
"""The code of the generic call script; ``call_script.<bucket>`` is a bucket's own (``.m1``)."""


class MessageState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    """The provider's receipt says the network did not deliver it (an SMS)."""
    DEAD = "dead"
    STOPPED = "stopped"
    EXPIRED = "expired"


FINAL_STATES = frozenset(
    {
        MessageState.DELIVERED,
        MessageState.BOUNCED,
        MessageState.FAILED,
        MessageState.DEAD,
        MessageState.STOPPED,
        MessageState.EXPIRED,
    }
)
"""States a message never leaves (``sent`` still waits for a receipt)."""


class LatePolicy(StrEnum):
    """What a message the gate puts off at send time does (per template)."""

    WAIT = "wait"
    """Wait for the next allowed time (until ``not_after``)."""
    EXPIRE = "expire"
    """Expire at once: its moment has passed (e.g. "your payment is due today")."""


class TemplateStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"


class OutboxMessage(Versioned, Base):
    """One message to one contact point (an address for a letter), as rendered when queued."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, comment="one message per key")
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(
        String(32), comment="what caused it: manual, promise_reminder, plan_reminder, broken_promise, …"
    )
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.case_id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id"), comment="the phone or e-mail; none for a letter to the address"
    )
    template_id: Mapped[int | None] = mapped_column(ForeignKey("message_templates.id"))
    language: Mapped[str] = mapped_column(String(35))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, comment="as rendered when queued")
    provider_params: Mapped[dict[str, str] | None] = mapped_column(
        JSON, comment="the template's parameters at the provider (an SMS template's), rendered when queued"
    )
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), comment="not sent before")
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="expires when not sent by then")
    late_policy: Mapped[str] = mapped_column(String(8), comment="wait or expire, when the gate puts it off")
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    stop_reason: Mapped[str | None] = mapped_column(String(500))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id"), comment="the contact record of the send or of the refusal"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="none: the system")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), comment="when it reached a final state"
    )

    __table_args__ = (
        Index(None, "state", "channel", "next_attempt_at"),
        Index(None, "case_id", "created_at"),
        Index(None, "customer_id", "created_at"),
        Index(None, "provider", "provider_message_id"),
    )


class MessageEvent(Base):
    """What happened to a message: queued, an attempt and its outcome, a receipt, a reply."""

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16), comment="the state entered, or attempt, receipt, reply")
    detail: Mapped[str | None] = mapped_column(String(1000))
    provider_event_id: Mapped[str | None] = mapped_column(
        String(200), unique=True, comment="a receipt's own id: the same receipt twice is taken once"
    )

    __table_args__ = (Index(None, "message_id", "at"),)


class MessageTemplate(Versioned, Base):
    """One version of a template for one channel and language (Jinja2, rendered in a sandbox)."""

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), comment="e.g. promise_reminder")
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(35))
    number: Mapped[int] = mapped_column(Integer, comment="1, 2, … per code, channel and language")
    status: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(500), comment="e-mail and letter")
    body: Mapped[str] = mapped_column(Text)
    late_policy: Mapped[str] = mapped_column(String(8), default=LatePolicy.WAIT)
    valid_hours: Mapped[int | None] = mapped_column(
        Integer, comment="a message of it expires this long after it was queued; none: never"
    )
    settings: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="per channel: the SMS provider's template code, a letter's layout …"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("code", "channel", "language", "number"),
        Index(None, "code", "channel", "status"),
        # one approved version per code, channel and language: of two approvals racing, one fails
        Index(
            "uq_message_templates_approved",
            "code",
            "channel",
            "language",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
    )


class PortalCode(Base):
    """One request for a one-time code to sign in to the customer's portal (客户自助).

    Every request is kept, also for an account number that is not ours (``customer_id`` and
    ``message_id`` empty: nothing was sent, and its code, drawn and digested all the same so that
    the request takes the same path, is never accepted), so that requests are throttled per
    account number and per client alike and the answer never tells whether an account exists.
    Only an HMAC-SHA256 of the code under the server's secret is stored; a code is dead once
    used, expired or wrongly given ``failed`` times (:mod:`arrears.channels.portal_codes`).
    """

    __tablename__ = "portal_codes"
    __table_args__ = (
        Index("ix_portal_codes_account_requested", "account_id", "requested_at"),
        Index("ix_portal_codes_client_requested", "client", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), comment="the account number as the customer typed it")
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.customer_id"), comment="none: not an account of ours, nothing sent"
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    code_digest: Mapped[str | None] = mapped_column(String(64), comment="HMAC-SHA256 of the code")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed: Mapped[int] = mapped_column(Integer, default=0, comment="wrong codes given against it")
    client: Mapped[str | None] = mapped_column(String(64))
