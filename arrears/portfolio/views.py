"""Reading a customer or an account for a person: found within their scope, masked as their role
requires, and the look written to the audit trail in the same transaction.

The caller passes its row scope as a SQL filter (``visible``, from arrears.cases.scope, built by
the way in): the portfolio does not know about cases and assignments, it only puts the filter
into its query. An object out of scope is then not found, with the same error as a missing id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from arrears.audit import trail
from arrears.auth.masking import CONTACT_FIELDS, mask
from arrears.auth.permissions import PersonalField
from arrears.auth.principal import Principal
from arrears.errors import NotFoundError
from arrears.i18n import N_
from arrears.portfolio import repository
from arrears.portfolio.models import Account, ContactPoint, Customer


class CustomerNotFoundError(NotFoundError):
    """No such customer, or one out of the caller's scope (the two are not told apart)."""

    code = "customer_not_found"
    default_message = N_("There is no such customer")


class AccountNotFoundError(NotFoundError):
    """No such account, or one out of the caller's scope (the two are not told apart)."""

    code = "account_not_found"
    default_message = N_("There is no such account")


def no_customer() -> CustomerNotFoundError:
    """The error for a customer missing or out of scope: the same words for both, and without the
    id, so that two answers compare equal whichever id was asked for."""
    return CustomerNotFoundError()


def no_account() -> AccountNotFoundError:
    """The error for an account missing or out of scope (see :func:`no_customer`)."""
    return AccountNotFoundError()


def contact_field(contact_type: str) -> PersonalField:
    """Which personal field a contact point of ``contact_type`` is (an unknown type: an address,
    the mask that keeps least)."""
    return CONTACT_FIELDS.get(contact_type, PersonalField.ADDRESS)


def shown(principal: Principal, field: PersonalField, value: str | date | None) -> str | None:
    """``value`` as ``principal`` may see it: in full when their role sees ``field``, else masked."""
    if value is None:
        return None
    if principal.sees(field):
        return value if isinstance(value, str) else value.isoformat()
    return mask(field, value)


@dataclass(frozen=True)
class ContactCard:
    id: int
    type: str
    value: str
    masked: bool
    label: str | None
    party: str
    relation: str | None
    primary: bool
    do_not_contact: bool


@dataclass(frozen=True)
class CustomerCard:
    """A customer as one caller may see them: personal fields masked unless their role sees them."""

    customer_id: str
    name: str
    language: str | None
    country: str | None
    timezone: str | None
    segment: str | None
    national_id: str | None
    birth_date: str | None
    masked: list[str]
    """The personal fields shown masked (a reveal shows one in full)."""
    contact_points: list[ContactCard]


def contact_card(principal: Principal, point: ContactPoint) -> ContactCard:
    field = contact_field(point.type)
    return ContactCard(
        id=point.id,
        type=point.type,
        value=shown(principal, field, point.value) or "",
        masked=not principal.sees(field),
        label=point.label,
        party=point.party,
        relation=point.relation,
        primary=bool(point.is_primary),
        do_not_contact=bool(point.do_not_contact),
    )


def customer_card(principal: Principal, customer: Customer, points: list[ContactPoint]) -> CustomerCard:
    personal = (PersonalField.NATIONAL_ID, PersonalField.BIRTH_DATE)
    return CustomerCard(
        customer_id=customer.customer_id,
        name=customer.name,
        language=customer.language,
        country=customer.country,
        timezone=customer.timezone,
        segment=customer.segment,
        national_id=shown(principal, PersonalField.NATIONAL_ID, customer.national_id),
        birth_date=shown(principal, PersonalField.BIRTH_DATE, customer.birth_date),
        masked=[str(field) for field in personal if not principal.sees(field)],
        contact_points=[contact_card(principal, point) for point in points],
    )


def record_look(
    session: Session,
    principal: Principal,
    action: str,
    object_type: str,
    object_id: str | None,
    customer_id: str,
    *,
    at: datetime,
) -> None:
    """A look at someone's data on the audit trail. Called last, just before the answer: the
    trail's lock is held from here to the commit, so nothing else should run in between."""
    trail.record(
        session,
        principal.actor(),
        action,
        at=at,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
    )


def record_looks(
    session: Session,
    principal: Principal,
    action: str,
    object_type: str,
    customer_ids: Iterable[str],
    *,
    at: datetime,
) -> None:
    """A list's look at several people's data: one entry per customer on the page, in order.
    Called last, like :func:`record_look`."""
    for customer_id in sorted(set(customer_ids)):
        record_look(session, principal, action, object_type, None, customer_id, at=at)


def read_customer(
    session: Session,
    principal: Principal,
    customer_id: str,
    *,
    visible: ColumnElement[bool],
    at: datetime,
) -> CustomerCard:
    """The customer and their contact points as ``principal`` may see them; the look audited
    (customer.read). CustomerNotFoundError when missing or out of scope."""
    customer = repository.visible_customer(session, customer_id, visible)
    if customer is None:
        raise no_customer()
    card = customer_card(principal, customer, repository.contact_points_of(session, customer_id))
    record_look(session, principal, "customer.read", "customer", customer_id, customer_id, at=at)
    return card


def find_account(session: Session, account_id: str, *, visible: ColumnElement[bool]) -> Account:
    """The account, if the caller sees it (``visible``), else AccountNotFoundError, as for a
    missing one. The way in reads what it shows of the account, then records the look
    (:func:`record_account_look`) last."""
    account = repository.visible_account(session, account_id, visible)
    if account is None:
        raise no_account()
    return account


def record_account_look(session: Session, principal: Principal, account: Account, *, at: datetime) -> None:
    """The look at an account on the audit trail (account.read: whose money it is is personal
    data too)."""
    record_look(session, principal, "account.read", "account", account.account_id, account.customer_id, at=at)
