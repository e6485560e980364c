"""Placing accounts with an outside agency, recalling them, and listing placements.

The rules:
- the caller holds ``placement.write`` (supervisors) and sees every account named (an account
  of a case in their scope; one out of scope is not found, like one that does not exist);
- the agency exists and is active; ``ends_on`` is not before ``starts_on``, nor before today;
- no account is placed twice over overlapping dates (409), also when two callers place it at the
  same moment: the accounts are locked (PostgreSQL) and the check runs after the insert, in the
  writer's own transaction (SQLite has one writer);
- a recall ends a placement at once (``recalled_at``): from that instant the agency's users no
  longer see the account (:func:`arrears.cases.scope.active_placements`);
- every placement and recall leaves an audit entry with its reason.

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, not_
from sqlalchemy.orm import Session

from arrears.auth import repository as people
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases import work_repository as repository
from arrears.cases.models import Placement
from arrears.cases.scope import account_filter, active_placements
from arrears.cases.work import audit, checked_reason
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.portfolio.models import Account

MAX_ACCOUNTS = 500
"""Accounts one placement request may name at most."""


class AccountNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No account {account_id}")


class PlacementNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No placement {placement_id}")


class AgencyNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No agency {agency_id}")


class AgencyInactiveError(ConflictError):
    code = "agency_inactive"
    default_message = N_("Agency {agency_id} is disabled: it takes no placements")


class PlacementOverlapError(ConflictError):
    code = "placement_overlap"
    default_message = N_(
        "Account {account_id} is already placed from {starts_on} to {ends_on} (placement {placement_id})"
    )


class PlacementEndedError(ConflictError):
    code = "placement_ended"
    default_message = N_("Placement {placement_id} has already ended")


@dataclass(frozen=True)
class PlacementRequest:
    account_ids: Sequence[str]
    agency_id: int
    starts_on: date
    ends_on: date
    reason: str


def place(
    session: Session,
    principal: Principal,
    request: PlacementRequest,
    *,
    now: datetime,
    today: date,
) -> list[Placement]:
    """Place every account of the request with the agency, all or nothing; the placements made."""
    principal.require(Permission.PLACEMENT_WRITE)
    reason = checked_reason(request.reason)
    ids = list(dict.fromkeys(request.account_ids))
    if not ids:
        raise InvalidInputError(N_("Name at least one account"))
    if len(ids) > MAX_ACCOUNTS:
        raise InvalidInputError(
            N_("At most {maximum} accounts are placed at once, not {count}"),
            maximum=MAX_ACCOUNTS,
            count=len(ids),
        )
    if request.ends_on < request.starts_on:
        raise InvalidInputError(
            N_("ends_on ({ends_on}) is before starts_on ({starts_on})"),
            ends_on=request.ends_on.isoformat(),
            starts_on=request.starts_on.isoformat(),
        )
    if request.ends_on < today:
        raise InvalidInputError(
            N_("ends_on ({ends_on}) is in the past: a placement ends today or later"),
            ends_on=request.ends_on.isoformat(),
        )
    agency = people.agency_by_id(session, request.agency_id)
    if agency is None:
        raise AgencyNotFoundError(agency_id=request.agency_id)
    if not agency.active:
        raise AgencyInactiveError(agency_id=request.agency_id)
    visible = account_filter(principal, today, Account.account_id.expression)
    accounts = repository.visible_accounts(session, ids, visible, lock=True)
    for account_id in ids:
        if account_id not in accounts:
            raise AccountNotFoundError(account_id=account_id)
    made = [
        Placement(
            account_id=account_id,
            agency_id=request.agency_id,
            starts_on=request.starts_on,
            ends_on=request.ends_on,
            placed_at=now,
            placed_by=principal.user_id,
            reason=reason,
        )
        for account_id in sorted(ids)
    ]
    repository.add_placements(session, made)
    clashes = repository.overlapping_placements(
        session, ids, request.starts_on, request.ends_on, excluding=[p.id for p in made]
    )
    if clashes:
        clash = clashes[0]
        raise PlacementOverlapError(
            account_id=clash.account_id,
            starts_on=clash.starts_on.isoformat(),
            ends_on=clash.ends_on.isoformat(),
            placement_id=clash.id,
        )
    for placement in made:
        audit(
            session,
            principal,
            "placement.create",
            at=now,
            object_type="placement",
            object_id=str(placement.id),
            customer_id=accounts[placement.account_id].customer_id,
            reason=reason,
            after=_shown(placement),
        )
    return made


def recall(
    session: Session, principal: Principal, placement_id: int, reason: str, *, now: datetime, today: date
) -> Placement:
    """End a placement at once; the agency no longer sees the account from ``now``."""
    principal.require(Permission.PLACEMENT_WRITE)
    reason = checked_reason(reason)
    placement = _visible(session, principal, placement_id, today)
    if placement.recalled_at is not None or placement.ends_on < today:
        raise PlacementEndedError(placement_id=placement_id)
    before = _shown(placement)
    if not repository.recall_placement(session, placement_id, now, principal.user_id, reason):
        raise PlacementEndedError(placement_id=placement_id)
    session.refresh(placement)
    audit(
        session,
        principal,
        "placement.recall",
        at=now,
        object_type="placement",
        object_id=str(placement_id),
        customer_id=repository.customer_of_account(session, placement.account_id),
        reason=reason,
        before=before,
        after=_shown(placement),
    )
    return placement


def listing(
    session: Session,
    principal: Principal,
    *,
    today: date,
    agency_id: int | None = None,
    account_id: str | None = None,
    active: bool | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Placement]:
    """The placements of the accounts the caller sees, newest first, filtered."""
    principal.require(Permission.PLACEMENT_READ)
    in_force: ColumnElement[bool] | None = None
    if active is not None:
        in_force = active_placements(today) if active else not_(active_placements(today))
    return repository.list_placements(
        session,
        account_filter(principal, today, Placement.account_id.expression),
        agency_id=agency_id,
        account_id=account_id,
        active=in_force,
        before_id=before_id,
        limit=limit,
    )


def _visible(session: Session, principal: Principal, placement_id: int, today: date) -> Placement:
    visible = account_filter(principal, today, Placement.account_id.expression)
    placement = repository.visible_placement(session, placement_id, visible)
    if placement is None:
        raise PlacementNotFoundError(placement_id=placement_id)
    return placement


def _shown(placement: Placement) -> dict[str, object]:
    return {
        "account_id": placement.account_id,
        "agency_id": placement.agency_id,
        "starts_on": placement.starts_on.isoformat(),
        "ends_on": placement.ends_on.isoformat(),
        "recalled_at": placement.recalled_at,
    }
