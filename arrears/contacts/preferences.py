"""What a customer (or a contact person) asked of contact; the gate reads these (gate.py).

- ``consent``: contact at another time is agreed: a local window (``window_start``..``window_end``,
  the customer's zone) until an instant, for one channel or all (e.g. calls at 22:30 under cn);
- ``inconvenient_time``: a local window when the customer must not be contacted (one channel or
  all, one contact point or all);
- ``opt_out``: no more of a channel, at one contact point or at all of them;
- ``contact_refused``: a contact person (a point whose party is not the debtor) asked never to be
  contacted again.

A customer's own opt-out through the signed link of a message (:func:`record_asked_by_customer`)
is recorded as the system, without a signed-in caller, and once per channel and contact point.

A preference is withdrawn (``DELETE``), never changed or deleted: the gate reads each as it stood
at the instant of a contact. Every write is audited. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.contacts import repository
from arrears.contacts.common import visible_customer
from arrears.contacts.models import ContactPreference, PreferenceKind
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.portfolio import repository as portfolio


class PreferenceNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No contact preference {preference_id}")


class PreferenceWithdrawnError(ConflictError):
    code = "preference_withdrawn"
    default_message = N_("Contact preference {preference_id} is withdrawn already")


@dataclass(frozen=True)
class PreferenceDraft:
    kind: PreferenceKind
    channel: str | None = None
    contact_point_id: int | None = None
    window_start: time | None = None
    window_end: time | None = None
    until: datetime | None = None
    contact_id: int | None = None


def record_preference(
    session: Session,
    principal: Principal,
    customer_id: str,
    draft: PreferenceDraft,
    *,
    now: datetime,
    today: date,
) -> ContactPreference:
    principal.require(Permission.CONTACT_LOG)
    visible_customer(session, principal, customer_id, today)
    return _record(session, principal.actor(), customer_id, draft, now=now)


def record_asked_by_customer(
    session: Session, actor: Actor, customer_id: str, draft: PreferenceDraft, *, now: datetime
) -> ContactPreference:
    """A preference the customer set themselves through a signed link (the opt-out link of a
    message): no one signed in, the signature is the authority; recorded as ``actor`` (the
    system), audited. An opt-out already standing for the same channel and contact point is
    answered as it is (the link followed twice records one opt-out)."""
    if draft.kind is PreferenceKind.OPT_OUT:
        for standing in repository.customer_preferences(session, customer_id, standing_only=True):
            if (standing.kind, standing.channel, standing.contact_point_id) == (
                draft.kind.value,
                draft.channel,
                draft.contact_point_id,
            ):
                return standing
    return _record(session, actor, customer_id, draft, now=now)


def _record(
    session: Session, actor: Actor, customer_id: str, draft: PreferenceDraft, *, now: datetime
) -> ContactPreference:
    _check(session, customer_id, draft, now)
    preference = repository.add_preference(
        session,
        ContactPreference(
            customer_id=customer_id,
            kind=draft.kind.value,
            channel=draft.channel,
            contact_point_id=draft.contact_point_id,
            window_start=draft.window_start,
            window_end=draft.window_end,
            until=draft.until,
            recorded_at=now,
            recorded_by=actor.user_id,
            contact_id=draft.contact_id,
        ),
    )
    record(
        session,
        actor,
        "contact_preference.record",
        at=now,
        object_type="contact_preference",
        object_id=str(preference.id),
        customer_id=customer_id,
        after=shown(preference),
    )
    return preference


def withdraw(
    session: Session,
    principal: Principal,
    customer_id: str,
    preference_id: int,
    *,
    now: datetime,
    today: date,
) -> ContactPreference:
    """Withdraw a standing preference (once: a second withdrawal is 409, also when two race)."""
    principal.require(Permission.CONTACT_LOG)
    visible_customer(session, principal, customer_id, today)
    preference = repository.preference_of(session, customer_id, preference_id)
    if preference is None:
        raise PreferenceNotFoundError(preference_id=preference_id)
    if preference.withdrawn_at is not None or not repository.withdraw_preference(session, preference_id, now):
        raise PreferenceWithdrawnError(preference_id=preference_id)
    before = shown(preference)
    session.refresh(preference)
    record(
        session,
        principal.actor(),
        "contact_preference.withdraw",
        at=now,
        object_type="contact_preference",
        object_id=str(preference_id),
        customer_id=customer_id,
        before=before,
        after=shown(preference),
    )
    return preference


def listing(
    session: Session, principal: Principal, customer_id: str, *, standing_only: bool, today: date
) -> list[ContactPreference]:
    visible_customer(session, principal, customer_id, today)
    return repository.customer_preferences(session, customer_id, standing_only=standing_only)


def _check(session: Session, customer_id: str, draft: PreferenceDraft, now: datetime) -> None:
    kind = draft.kind
    window = (draft.window_start, draft.window_end)
    if (window[0] is None) != (window[1] is None):
        raise InvalidInputError(N_("A window gives both its start and its end"))
    if window[0] is not None and window[0] == window[1]:
        raise InvalidInputError(N_("A window's start and end differ"))
    if kind in (PreferenceKind.CONSENT, PreferenceKind.INCONVENIENT_TIME) and window[0] is None:
        raise InvalidInputError(N_("A {kind} gives its window (local start and end)"), kind=kind.value)
    if kind in (PreferenceKind.OPT_OUT, PreferenceKind.CONTACT_REFUSED) and window[0] is not None:
        raise InvalidInputError(N_("A {kind} has no window"), kind=kind.value)
    if kind is PreferenceKind.CONSENT and (draft.until is None or draft.until <= now):
        raise InvalidInputError(N_("A consent gives until when it holds, a future instant"))
    if kind is not PreferenceKind.CONSENT and draft.until is not None:
        raise InvalidInputError(N_("Only a consent has an until"))
    if kind is PreferenceKind.OPT_OUT and draft.channel is None:
        raise InvalidInputError(N_("An opt-out names its channel"))
    point = None
    if draft.contact_point_id is not None:
        point = portfolio.contact_point_of(session, customer_id, draft.contact_point_id)
        if point is None:
            raise InvalidInputError(
                N_("Contact point {contact_point_id} is not one of the customer's"),
                contact_point_id=draft.contact_point_id,
            )
    if kind is PreferenceKind.CONTACT_REFUSED:
        if point is None:
            raise InvalidInputError(N_("A contact refusal names the contact person's contact_point_id"))
        if point.party == "debtor":
            raise InvalidInputError(
                N_("A contact refusal is a contact person's; the debtor opts out or asks to cease instead")
            )


def shown(preference: ContactPreference) -> dict[str, object]:
    return {
        "kind": preference.kind,
        "channel": preference.channel,
        "contact_point_id": preference.contact_point_id,
        "window": None
        if preference.window_start is None or preference.window_end is None
        else f"{preference.window_start:%H:%M}-{preference.window_end:%H:%M}",
        "until": preference.until,
        "withdrawn_at": preference.withdrawn_at,
    }
