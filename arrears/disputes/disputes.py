"""Disputes: the customer contests the debt or its amount.

The rules:
- recorded on a case the caller sees (``hold.record``; else not found), kind ``debt`` or
  ``amount``, written or not, a description, optionally the account of the case it is about;
- it places a hold of kind ``dispute`` on the customer at once (collection contact stops: the gate
  reads it, rule HOLD-DISPUTE and the pack's own) and sets the verification deadline:
  ``ARREARS_DISPUTE_VERIFY_DAYS`` (15) calendar days after the bank's business day of receipt,
  calendar days because the packs' verification periods (Reg F's 30 days, the gate's
  ``dispute_verification_days``) are counted so;
- states: open → upheld | rejected (``dispute.resolve``, a resolution text) | withdrawn by the
  customer (``hold.record``, a reason); those three are final (409 ``dispute_closed``); each lifts
  the dispute's hold in the same transaction, audited as ``hold.lift``;
- ``If-Match`` names the version read (stale: 412); a lost race: 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError
from arrears.concurrency import check_version
from arrears.disputes import repository
from arrears.disputes.holds import lift_row, new_hold
from arrears.disputes.holds import shown as shown_hold
from arrears.disputes.models import Dispute, DisputeStatus, Hold, HoldKind
from arrears.disputes.texts import audit, checked_reason, checked_text
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_


class DisputeKind(StrEnum):
    DEBT = "debt"
    """The customer says the debt is not theirs, or not owed at all."""
    AMOUNT = "amount"
    """The customer owes, but not this amount."""


OUTCOMES = frozenset({DisputeStatus.UPHELD, DisputeStatus.REJECTED})


class DisputeNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No dispute {dispute_id}")


class DisputeClosedError(ConflictError):
    code = "dispute_closed"
    default_message = N_("Dispute {dispute_id} is {status}: only an open dispute is resolved or withdrawn")


def raise_dispute(
    session: Session,
    principal: Principal,
    case_id: str,
    *,
    kind: str,
    written: bool,
    description: str,
    account_id: str | None,
    verify_days: int,
    now: datetime,
    today: date,
) -> Dispute:
    principal.require(Permission.DISPUTE_RAISE)
    if kind not in set(DisputeKind):
        raise InvalidInputError(N_("A dispute is about the debt or the amount, not {kind}"), kind=kind)
    description = checked_text(description, N_("description"))
    case = repository.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError(case_id=case_id)
    if account_id is not None and not repository.case_holds_account(session, case_id, account_id):
        raise InvalidInputError(
            N_("Account {account_id} is not one of case {case_id}"), account_id=account_id, case_id=case_id
        )
    hold = new_hold(
        case.customer_id,
        case_id,
        str(HoldKind.DISPUTE),
        description,
        None,
        principal,
        now,
    )
    repository.add(session, hold)
    dispute = Dispute(
        case_id=case_id,
        customer_id=case.customer_id,
        account_id=account_id,
        kind=kind,
        written=written,
        description=description,
        status=str(DisputeStatus.OPEN),
        received_at=now,
        verify_by=today + timedelta(days=verify_days),
        hold_id=hold.id,
        recorded_by=principal.user_id,
    )
    repository.add(session, dispute)
    audit(
        session,
        principal,
        "dispute.raise",
        dispute_id=dispute.id,
        customer_id=case.customer_id,
        at=now,
        after=shown(dispute),
    )
    audit(
        session,
        principal,
        "hold.place",
        hold_id=hold.id,
        customer_id=case.customer_id,
        at=now,
        after=shown_hold(hold),
    )
    return dispute


def resolve(
    session: Session,
    principal: Principal,
    dispute_id: int,
    *,
    outcome: str,
    resolution: str,
    expected: int | None,
    now: datetime,
    today: date,
) -> Dispute:
    principal.require(Permission.DISPUTE_RESOLVE)
    if outcome not in OUTCOMES:
        raise InvalidInputError(
            N_("A dispute is resolved upheld or rejected, not {outcome}"), outcome=outcome
        )
    resolution = checked_text(resolution, N_("resolution"))
    return _close(
        session, principal, dispute_id, outcome, resolution, "dispute.resolve", expected, now, today
    )


def withdraw(
    session: Session,
    principal: Principal,
    dispute_id: int,
    *,
    reason: str,
    expected: int | None,
    now: datetime,
    today: date,
) -> Dispute:
    """The customer takes the dispute back."""
    principal.require(Permission.HOLD_RECORD)
    reason = checked_reason(reason)
    return _close(
        session,
        principal,
        dispute_id,
        str(DisputeStatus.WITHDRAWN),
        reason,
        "dispute.withdraw",
        expected,
        now,
        today,
    )


def _close(
    session: Session,
    principal: Principal,
    dispute_id: int,
    status: str,
    text: str,
    action: str,
    expected: int | None,
    now: datetime,
    today: date,
) -> Dispute:
    dispute = repository.visible_dispute(session, dispute_id, case_filter(principal, today))
    if dispute is None:
        raise DisputeNotFoundError(dispute_id=dispute_id)
    check_version(dispute, expected, N_("dispute"), dispute_id)
    if dispute.status != DisputeStatus.OPEN:
        raise DisputeClosedError(dispute_id=dispute_id, status=dispute.status)
    before = shown(dispute)
    dispute.status = status
    dispute.resolved_at = now
    dispute.resolved_by = principal.user_id
    dispute.resolution = text
    session.flush()
    audit(
        session,
        principal,
        action,
        dispute_id=dispute_id,
        customer_id=dispute.customer_id,
        at=now,
        before=before,
        after=shown(dispute),
        reason=text[:500],
    )
    hold = session.get(Hold, dispute.hold_id) if dispute.hold_id is not None else None
    if hold is not None and hold.lifted_at is None:
        lift_row(session, principal, hold, f"dispute {dispute_id} {status}", now)
    return dispute


def listing(
    session: Session,
    principal: Principal,
    *,
    today: date,
    case_id: str | None,
    status: str | None,
    overdue: bool,
    before_id: int | None,
    limit: int,
) -> Sequence[Dispute]:
    """Disputes of the cases the caller sees, newest first; ``overdue``: open past ``verify_by``."""
    principal.require(Permission.CASE_READ)
    return repository.disputes(
        session,
        case_filter(principal, today),
        case_id=case_id,
        status=status,
        overdue_on=today if overdue else None,
        before_id=before_id,
        limit=limit,
    )


def read(session: Session, principal: Principal, dispute_id: int, *, today: date) -> Dispute:
    principal.require(Permission.CASE_READ)
    dispute = repository.visible_dispute(session, dispute_id, case_filter(principal, today))
    if dispute is None:
        raise DisputeNotFoundError(dispute_id=dispute_id)
    return dispute


def shown(dispute: Dispute) -> dict[str, object]:
    return {
        "case_id": dispute.case_id,
        "account_id": dispute.account_id,
        "kind": dispute.kind,
        "written": dispute.written,
        "status": dispute.status,
        "verify_by": dispute.verify_by.isoformat(),
        "hold_id": dispute.hold_id,
        "resolution": dispute.resolution,
    }
