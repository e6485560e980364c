"""What every provider adapter is: the outbox's worker knows this interface and nothing else.

Exactly once rests on two things an adapter gives:

- ``send`` hands the provider the message under the outbox's idempotency key (as the provider's
  own idempotency key, its client reference, or the e-mail's Message-ID) and answers the
  provider's id for it, or raises :class:`TransientError` (try again later) or
  :class:`PermanentError` (never: the message is dead);
- ``find`` answers whether the provider already accepted the message of that key, and its id:
  the worker asks it about a message it finds ``sending`` (its worker died between the hand-over
  and marking it sent) before it would send again.

A later channel (WeChat template messages, app push) is one more adapter of this interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """A message as the adapter needs it."""

    message_id: int
    idempotency_key: str
    channel: str
    to: str
    """The phone number (E.164), the e-mail address, or the postal address of a letter."""
    body: str
    language: str
    subject: str | None = None
    recipient_name: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    """The template's settings for this channel (an SMS provider's template code …)."""
    params: dict[str, str] = field(default_factory=dict)
    """The provider's template parameters, rendered when the message was queued (an SMS's)."""
    queued_at: datetime | None = None
    case_id: str | None = None
    """The message's case (a letter's reference is the case and the date)."""
    purpose: str = ""
    """The message's purpose (a service message without a template, such as the portal's
    one-time code, is sent through the provider template the settings name for its purpose)."""


@dataclass(frozen=True)
class Accepted:
    """The provider took the message."""

    provider_message_id: str


class ProviderError(Exception):
    """A send that did not go through; ``code`` is the provider's own code, kept on the message."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class TransientError(ProviderError):
    """Try again later (a timeout, a refused connection, the provider's rate limit …)."""

    retry_after_seconds: float | None = None
    maybe_sent: bool = False
    """The request may have reached the provider (its answer was lost, not refused): the worker
    asks :meth:`Provider.find` before sending it again, as after a crash."""


class PermanentError(ProviderError):
    """Sending again will never work (an invalid number, an address the relay refuses …)."""

    recipient_invalid: bool = False
    """The provider refused the recipient itself (a number that is not one): the worker marks the
    contact point invalid, so that nothing more is tried on it."""


class Provider(Protocol):
    name: str
    """Kept on the message (``outbox_messages.provider``)."""
    channel: str
    finds: bool
    """:meth:`find` answers truly whether the provider has a message. The worker then settles a
    batch's sends in one transaction (a crash before it: each is found, none sent twice); for a
    provider that cannot be asked (an SMTP relay) each send is settled on its own, so that a crash
    sends again at most the one in hand."""

    def send(self, message: Outgoing) -> Accepted: ...

    def find(self, message: Outgoing) -> Accepted | None: ...
