"""The opt-out link of an e-mail (#13 §4): the customer stops a channel at one contact point.

The rules:

- The link carries a token (:func:`arrears.channels.providers.smtp.opt_out_token`): the message's
  idempotency key and an HMAC-SHA256 of it under ``ARREARS_SECRET_KEY``. A token that does not
  verify, or whose message is not in the outbox, is :class:`BadOptOutTokenError` (400), one answer
  for every such case: it tells nothing of which messages exist.
- :func:`read` answers the message the token stands for (the confirmation page shows no personal
  data; it only needs the message's language); it writes nothing (a link scanner following the
  link opts no one out: RFC 8058 wants the POST).
- :func:`opt_out` records an ``opt_out`` preference for the message's channel at its contact
  point (:func:`arrears.contacts.preferences.record_asked_by_customer`, as the system, audited
  ``contact_preference.record``); following it again records nothing more. The gate reads it at
  the next send (``OPT-OUT``): the worker stops the message.

Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.auth.models import User
from arrears.auth.permissions import Scope
from arrears.auth.principal import Principal
from arrears.channels.models import OutboxMessage
from arrears.channels.providers.smtp import token_key
from arrears.contacts.models import PreferenceKind
from arrears.contacts.preferences import PreferenceDraft, record_asked_by_customer
from arrears.contacts.repository import customer_preferences
from arrears.errors import InvalidInputError, PermissionDeniedError, one_of
from arrears.i18n import LANGUAGES, N_
from arrears.portfolio.models import Customer

OPT_OUT_ACTOR = Actor(user_id=None, name="opt-out-link", role="system")


class BadOptOutTokenError(InvalidInputError):
    code = "invalid_opt_out_link"
    default_message = N_("This opt-out link is not valid. Please use the link of a message we sent you.")


@dataclass(frozen=True)
class Linked:
    """The message of a valid token: what the page needs."""

    message_id: int
    channel: str
    language: str


def read(session: Session, token: str, secret: str | None) -> Linked:
    """The message of ``token`` (see the module), or :class:`BadOptOutTokenError`."""
    message = _message_of(session, token, secret)
    return Linked(message.id, message.channel, message.language)


def opt_out(session: Session, token: str, secret: str | None, *, now: datetime) -> Linked:
    """Record the opt-out the token stands for (once), as the system; answers its message."""
    message = _message_of(session, token, secret)
    record_asked_by_customer(
        session,
        OPT_OUT_ACTOR,
        message.customer_id,
        PreferenceDraft(
            kind=PreferenceKind.OPT_OUT, channel=message.channel, contact_point_id=message.contact_point_id
        ),
        now=now,
    )
    return Linked(message.id, message.channel, message.language)


def _message_of(session: Session, token: str, secret: str | None) -> OutboxMessage:
    key = token_key(token, secret)
    message = None
    if key is not None:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if message is None or message.contact_point_id is None:
        raise BadOptOutTokenError()
    return message


PORTAL_CHANNELS = ("sms", "email", "call")
"""The channels a customer stops themselves in the portal (for all their contact points)."""


def opt_out_own(session: Session, principal: Principal, channel: str, *, now: datetime) -> bool:
    """The signed-in customer stops ``channel`` (every contact point of theirs), recorded as them
    (audited ``contact_preference.record``); asking again records nothing more. Only a customer
    principal, and only for their own customer; True when a new opt-out was recorded."""
    if principal.customer_id is None or principal.scope is not Scope.OWN:
        raise PermissionDeniedError(N_("Only a customer opts out here, for themselves"))
    one_of(channel, PORTAL_CHANNELS, "channel")
    before = {p.id for p in customer_preferences(session, principal.customer_id, standing_only=True)}
    standing = record_asked_by_customer(
        session,
        principal.actor(),
        principal.customer_id,
        PreferenceDraft(kind=PreferenceKind.OPT_OUT, channel=channel, contact_point_id=None),
        now=now,
    )
    return standing.id not in before


def opted_out(session: Session, principal: Principal) -> set[str]:
    """The channels the signed-in customer has stopped at all their contact points."""
    if principal.customer_id is None or principal.scope is not Scope.OWN:
        raise PermissionDeniedError(N_("Only a customer opts out here, for themselves"))
    return {
        p.channel
        for p in customer_preferences(session, principal.customer_id, standing_only=True)
        if p.kind == PreferenceKind.OPT_OUT and p.contact_point_id is None and p.channel
    }


def _own(principal: Principal) -> str:
    if principal.customer_id is None or principal.scope is not Scope.OWN:
        raise PermissionDeniedError(N_("Only a customer chooses here, for themselves"))
    return principal.customer_id


def choose_language_own(session: Session, principal: Principal, language: str, *, now: datetime) -> bool:
    """The signed-in customer's language for what we send them (reminders, letters, codes: the
    customer's ``language``, which the reminders and the one-time code read) and for their
    portal (their user's ``language``), recorded as the customer's own act (audited
    ``customer.language``, before and after). Only a customer principal, for their own customer;
    True when it changed."""
    customer_id = _own(principal)
    one_of(language, LANGUAGES, "language")
    customer = session.get(Customer, customer_id)
    if customer is None:  # a customer's user outlives no customer: the session would be refused
        raise PermissionDeniedError(N_("Only a customer chooses here, for themselves"))
    user = session.get(User, principal.user_id)
    if user is not None:
        user.language = language
    before = customer.language
    if before == language and customer.language_chosen_at is not None:
        return False
    customer.language, customer.language_chosen_at = language, now
    session.flush()
    record(
        session,
        principal.actor(),
        "customer.language",
        at=now,
        object_type="customer",
        object_id=customer_id,
        customer_id=customer_id,
        before={"language": before},
        after={"language": language, "asked_by": "customer"},
    )
    return True


def language_of_own(session: Session, principal: Principal) -> str | None:
    """The language the signed-in customer's messages are written in (their customer's)."""
    customer = session.get(Customer, _own(principal))
    return None if customer is None else customer.language
