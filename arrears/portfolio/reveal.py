"""Revealing one masked personal field, with a stated reason, on the record, within a daily cap.

The rules, in the order they are checked:

1. the caller's role may reveal the field (``principal.may_reveal``), else
   :class:`RevealNotAllowedError` (403) before anything is looked up;
2. the customer is in the caller's scope (else not found, like a missing id), and a phone,
   e-mail or address is named by one of that customer's contact points of that kind;
3. the reason is one of :class:`RevealReason` with a text of at least
   :data:`MIN_REASON_LENGTH` characters;
4. the caller has revealed fewer than the daily cap (``ARREARS_REVEAL_DAILY_CAP``) fields today,
   the bank's business day, counted from the audit trail. The excess is refused
   (:class:`RevealCapError`, 429) and the refusal itself audited, outcome ``refused`` and the rule
   id ``reveal.daily_cap`` for compliance to find: the way in commits that entry although the
   request fails.

A reveal is audited as ``personal.reveal`` with the field, the contact point, the reason code and
text; the value itself never goes into the trail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from arrears.audit import repository as audit_repository
from arrears.audit import trail
from arrears.audit.trail import Outcome
from arrears.auth.masking import scrub
from arrears.auth.permissions import PersonalField
from arrears.auth.principal import Principal
from arrears.clock import local_date, zone
from arrears.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from arrears.i18n import N_
from arrears.portfolio import repository
from arrears.portfolio.models import Customer
from arrears.portfolio.views import contact_field, no_customer

ACTION = "personal.reveal"
CAP_RULE = "reveal.daily_cap"
"""The rule id a refusal over the cap carries in the audit trail."""
MIN_REASON_LENGTH = 10
"""Characters of free text a reveal's reason needs at least (blanks at either end not counted)."""
MAX_REASON_LENGTH = 500
CONTACT_FIELDS = frozenset({PersonalField.PHONE, PersonalField.EMAIL, PersonalField.ADDRESS})
"""The fields held by contact points: a reveal of one names the contact point."""


class RevealReason(StrEnum):
    """Why a field is revealed (with a free text besides)."""

    IDENTITY_CHECK = "identity_check"
    """Confirming who the customer is (e.g. on an inbound call)."""
    CONTACT_ATTEMPT = "contact_attempt"
    """Calling, writing to or visiting the customer."""
    CUSTOMER_REQUEST = "customer_request"
    """The customer asked for their own data."""
    LEGAL = "legal"
    """A court, a lawyer or a regulator needs it."""
    COMPLAINT = "complaint"
    """Handling a complaint."""


class RevealNotAllowedError(PermissionDeniedError):
    code = "reveal_not_allowed"
    default_message = N_("Your role may not reveal this field")


class RevealCapError(PermissionDeniedError):
    """The caller has used up today's reveals; the refusal is on the audit trail."""

    code = "reveal_cap_reached"
    http_status = 429
    default_message = N_("You have reached today's limit of reveals")

    def __init__(self, message: str | None = None, /, *, retry_after: int, **params: object) -> None:
        super().__init__(message, **params)
        self.headers = {"Retry-After": str(retry_after)}


class RevealInputError(InvalidInputError):
    code = "reveal_invalid"
    default_message = N_("The reveal request cannot be used")


class ContactPointNotFoundError(NotFoundError):
    code = "contact_point_not_found"
    default_message = N_("The customer has no such contact point")


@dataclass(frozen=True)
class Revealed:
    customer_id: str
    field: PersonalField
    contact_point_id: int | None
    value: str | None
    revealed_today: int
    """Reveals by the caller today, this one included."""
    daily_cap: int


def bank_day(now: datetime, bank_timezone: str) -> tuple[datetime, datetime]:
    """The bank's business day holding ``now``, as [start, end) instants in UTC."""
    day = local_date(now, bank_timezone)
    start = datetime.combine(day, time(0), tzinfo=zone(bank_timezone))
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(bank_timezone))
    return start.astimezone(UTC), end.astimezone(UTC)


def reveal(
    session: Session,
    principal: Principal,
    customer_id: str,
    field: PersonalField,
    *,
    contact_point_id: int | None,
    reason_code: RevealReason,
    reason: str,
    visible: ColumnElement[bool],
    now: datetime,
    bank_timezone: str,
    daily_cap: int,
) -> Revealed:
    """The field in full, audited; see the module for the rules and the errors."""
    if not principal.may_reveal(field):
        raise RevealNotAllowedError(
            N_("Your role ({role}) may not reveal {field}"), role=str(principal.role), field=str(field)
        )
    customer = repository.visible_customer(session, customer_id, visible)
    if customer is None:
        raise no_customer()
    value = _value_of(session, customer, field, contact_point_id)
    text = scrub(reason.strip())  # free text kept in the trail: a quoted phone, e-mail or id masked
    if len(text) < MIN_REASON_LENGTH:
        raise RevealInputError(
            N_("State the reason in at least {length} characters"), length=MIN_REASON_LENGTH
        )

    trail.hold_chain(session)
    start, end = bank_day(now, bank_timezone)
    done = audit_repository.count_entries(
        session, actor_id=principal.user_id, action=ACTION, outcome=Outcome.OK, since=start, until=end
    )
    what = {"field": str(field), "contact_point_id": contact_point_id, "reason_code": str(reason_code)}
    if done >= daily_cap:
        trail.record(
            session,
            principal.actor(),
            ACTION,
            at=now,
            outcome=Outcome.REFUSED,
            object_type="customer",
            object_id=customer_id,
            customer_id=customer_id,
            after={**what, "revealed_today": done, "daily_cap": daily_cap},
            reason=f"{reason_code}: {text}",
            rules=[CAP_RULE],
        )
        raise RevealCapError(
            N_(
                "You have revealed {count} fields today, the most allowed; "
                "the count starts again on the next business day"
            ),
            count=done,
            retry_after=max(1, math.ceil((end - now).total_seconds())),
        )
    trail.record(
        session,
        principal.actor(),
        ACTION,
        at=now,
        object_type="customer",
        object_id=customer_id,
        customer_id=customer_id,
        after=what,
        reason=f"{reason_code}: {text}",
    )
    return Revealed(customer_id, field, contact_point_id, value, done + 1, daily_cap)


def _value_of(
    session: Session, customer: Customer, field: PersonalField, contact_point_id: int | None
) -> str | None:
    if field not in CONTACT_FIELDS:
        if contact_point_id is not None:
            raise RevealInputError(
                N_("{field} is not held by a contact point: leave contact_point_id out"), field=str(field)
            )
        if field is PersonalField.NATIONAL_ID:
            return customer.national_id
        return None if customer.birth_date is None else customer.birth_date.isoformat()
    if contact_point_id is None:
        raise RevealInputError(N_("Name the contact point whose {field} to reveal"), field=str(field))
    point = repository.contact_point_of(session, customer.customer_id, contact_point_id)
    if point is None:
        raise ContactPointNotFoundError()
    if contact_field(point.type) is not field:
        raise RevealInputError(
            N_("Contact point {contact_point_id} is a {type}, not a {field}"),
            contact_point_id=contact_point_id,
            type=point.type,
            field=str(field),
        )
    return point.value
