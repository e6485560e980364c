"""Holds on collection contact: placed with their evidence, lifted with a reason (a permission of
its own), read by the compliance gate (:func:`arrears.contacts.gate.facts_for`).

The rules:
- a hold is placed on a customer the caller sees (else not found) by ``hold.record``, with its
  kind (cease, bankruptcy, deceased, hardship, vulnerability) and evidence (a text of at least
  8 characters, an optional URI of the document); one standing hold per kind and customer;
- a dispute's hold is placed and lifted by its dispute (:mod:`arrears.disputes.disputes`), never
  here: lifting it by hand would leave the dispute open with contact resumed;
- lifting (``hold.lift``) states a reason and the version read (``If-Match``); a lifted hold is
  final (409 ``hold_lifted``);
- every placing and lifting is audited with the hold before and after, in the caller's transaction.

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import customer_filter
from arrears.concurrency import check_version
from arrears.disputes import repository
from arrears.disputes.models import Hold, HoldKind
from arrears.disputes.texts import audit, checked_reason, checked_text, checked_uri
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.portfolio.models import Customer

PLACED_BY_HAND = frozenset(HoldKind) - {HoldKind.DISPUTE}
"""The kinds placed through the holds route (a dispute's hold comes with its dispute)."""


class HoldNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No hold {hold_id}")


class CustomerNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No customer {customer_id}")


class HoldLiftedError(ConflictError):
    code = "hold_lifted"
    default_message = N_("Hold {hold_id} was lifted already: a lifted hold stays lifted")


class HoldStandingError(ConflictError):
    code = "hold_standing"
    default_message = N_("Customer {customer_id} already has a standing {kind} hold ({hold_id})")


class DisputeHoldError(ConflictError):
    code = "hold_of_dispute"
    default_message = N_("Hold {hold_id} belongs to dispute {dispute_id}: resolve or withdraw the dispute")


def place(
    session: Session,
    principal: Principal,
    customer_id: str,
    kind: str,
    evidence: str,
    evidence_uri: str | None,
    *,
    now: datetime,
    today: date,
) -> Hold:
    principal.require(Permission.HOLD_RECORD)
    if kind not in PLACED_BY_HAND:
        raise InvalidInputError(
            N_("A hold is one of {kinds}; a dispute's hold is placed by recording the dispute"),
            kinds=", ".join(sorted(PLACED_BY_HAND)),
        )
    evidence = checked_text(evidence, N_("evidence"))
    uri = checked_uri(evidence_uri)
    _visible_customer(session, principal, customer_id, today)
    standing = repository.standing_hold(session, customer_id, kind)
    if standing is not None:
        raise HoldStandingError(customer_id=customer_id, kind=kind, hold_id=standing.id)
    hold = new_hold(customer_id, None, kind, evidence, uri, principal, now)
    repository.add(session, hold)
    audit(
        session, principal, "hold.place", hold_id=hold.id, customer_id=customer_id, at=now, after=shown(hold)
    )
    return hold


def new_hold(
    customer_id: str,
    case_id: str | None,
    kind: str,
    evidence: str,
    evidence_uri: str | None,
    principal: Principal,
    now: datetime,
) -> Hold:
    return Hold(
        customer_id=customer_id,
        case_id=case_id,
        kind=kind,
        evidence=evidence,
        evidence_uri=evidence_uri,
        placed_at=now,
        placed_by=principal.user_id,
    )


def lift(
    session: Session,
    principal: Principal,
    hold_id: int,
    reason: str,
    *,
    expected: int | None,
    now: datetime,
    today: date,
) -> Hold:
    principal.require(Permission.HOLD_LIFT)
    reason = checked_reason(reason)
    hold = repository.visible_hold(
        session, hold_id, customer_filter(principal, today, Hold.customer_id.expression)
    )
    if hold is None:
        raise HoldNotFoundError(hold_id=hold_id)
    check_version(hold, expected, N_("hold"), hold_id)
    if hold.lifted_at is not None:
        raise HoldLiftedError(hold_id=hold_id)
    if hold.kind == HoldKind.DISPUTE:
        dispute = repository.dispute_of_hold(session, hold_id)
        if dispute is not None:
            raise DisputeHoldError(hold_id=hold_id, dispute_id=dispute.id)
    lift_row(session, principal, hold, reason, now)
    return hold


def lift_row(session: Session, principal: Principal, hold: Hold, reason: str, now: datetime) -> None:
    """Lift ``hold`` (not lifted yet) and audit it; a concurrent lift makes the flush fail (409)."""
    before = shown(hold)
    hold.lifted_at = now
    hold.lifted_by = principal.user_id
    hold.lift_reason = reason
    session.flush()
    audit(
        session,
        principal,
        "hold.lift",
        hold_id=hold.id,
        customer_id=hold.customer_id,
        at=now,
        before=before,
        after=shown(hold),
        reason=reason,
    )


def holds_of(
    session: Session, principal: Principal, customer_id: str, *, standing: bool | None, today: date
) -> Sequence[Hold]:
    principal.require(Permission.CUSTOMER_READ)
    _visible_customer(session, principal, customer_id, today)
    return repository.holds_of(session, customer_id, standing=standing)


def _visible_customer(session: Session, principal: Principal, customer_id: str, today: date) -> None:
    visible = customer_filter(principal, today, Customer.customer_id.expression)
    if repository.visible_customer(session, customer_id, visible) is None:
        raise CustomerNotFoundError(customer_id=customer_id)


def shown(hold: Hold) -> dict[str, object]:
    return {
        "kind": hold.kind,
        "case_id": hold.case_id,
        "evidence": hold.evidence,
        "evidence_uri": hold.evidence_uri,
        "placed_at": hold.placed_at.isoformat(),
        "lifted_at": hold.lifted_at.isoformat() if hold.lifted_at else None,
        "lift_reason": hold.lift_reason,
    }
