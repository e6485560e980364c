"""Promises to pay (承诺还款): taken on a case, superseded by the next one, cancelled, read.

The rules of taking one (docs/casework.md, "Promises to pay"):
- the caller holds ``promise.take`` and sees the case (one out of scope is not found, like one
  that does not exist); the case is open;
- no hold that stops collection stands for the customer (dispute, cease, bankruptcy, deceased);
- the currency is that of an account of the case (and of ``account_id`` when one is named); a
  ``contact_id`` is a contact of this case;
- the accounts are those the caller sees: an agency's are the accounts placed with it, and it
  names the account when the case has others in that currency;
- 1 to 24 installments, each due today (the bank's business date) or later and at most two years
  ahead, in strictly increasing dates, each amount a decimal string in major units, above zero,
  with no more decimals than the currency has;
- the total is at most what the case's accounts in that currency owe (refused, not warned: a
  promise above the debt is a typing mistake, and the batch could never find it kept);
- one open promise per case: the open one, if any, is superseded by the new one (its
  ``superseded_by``), kept in the history. Two takers racing on one case: the second gets 409.

The nightly batch decides kept, partially kept or broken (:mod:`arrears.arrangements.promise_batch`);
a person may only cancel an open promise. Every write is audited. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.arrangements import promise_repository as repository
from arrears.arrangements.models import Promise, PromiseInstallment, PromiseStatus
from arrears.audit.trail import record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases import repository as cases
from arrears.cases.models import Case, CaseAccount, CaseStatus
from arrears.cases.scope import account_filter, case_filter
from arrears.cases.work import CaseNotFoundError, checked_reason
from arrears.concurrency import check_version
from arrears.disputes.models import HoldKind
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.money import MoneyError, format_major, parse_major

MAX_INSTALLMENTS = 24
# two years: 24 monthly installments; a date beyond is a typing mistake
LAST_DUE_WITHIN = timedelta(days=731)
STOPPING_HOLDS = (HoldKind.BANKRUPTCY, HoldKind.CEASE, HoldKind.DECEASED, HoldKind.DISPUTE)
"""Holds under which no promise is taken (hardship and vulnerability do not stop one)."""
FINAL = frozenset(
    {
        PromiseStatus.KEPT,
        PromiseStatus.PARTIALLY_KEPT,
        PromiseStatus.BROKEN,
        PromiseStatus.SUPERSEDED,
        PromiseStatus.CANCELLED,
    }
)


class PromiseNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No promise {promise_id}")


class InvalidPromiseError(InvalidInputError):
    """A promise whose terms cannot be taken as given (422 with a code saying which term)."""

    code = "invalid_promise"
    http_status = 422
    default_message = N_("The promise cannot be taken as given")


class DueDateInPastError(InvalidPromiseError):
    code = "promise_due_in_past"
    default_message = N_("Installment {seq} is due on {due_on}, before today ({today})")


class DatesNotIncreasingError(InvalidPromiseError):
    code = "promise_dates_not_increasing"
    default_message = N_("Installment {seq} is due on {due_on}, not after the one before it ({previous})")


class PromiseAmountError(InvalidPromiseError):
    code = "promise_amount"
    default_message = N_("Installment {seq}: the amount must be above zero")


class CurrencyNotOfCaseError(InvalidPromiseError):
    code = "promise_currency"
    default_message = N_("Case {case_id} has no account in {currency}")


class AccountNotOfCaseError(InvalidPromiseError):
    code = "promise_account"
    default_message = N_("Account {account_id} is not in case {case_id}")


class AccountRequiredError(InvalidPromiseError):
    code = "promise_account_required"
    default_message = N_(
        "Name the account of the promise: you see only some of the accounts of case {case_id} in {currency}"
    )


class ContactNotOfCaseError(InvalidPromiseError):
    code = "promise_contact"
    default_message = N_("Contact {contact_id} is not a contact of case {case_id}")


class OverOutstandingError(InvalidPromiseError):
    code = "promise_over_outstanding"
    default_message = N_(
        "The promise ({amount} {currency}) is more than the case owes in {currency} ({owed})"
    )


class CaseClosedError(ConflictError):
    code = "case_closed"
    default_message = N_("Case {case_id} is closed: it takes no promise")


class CollectionHeldError(ConflictError):
    code = "collection_held"
    default_message = N_("The customer of case {case_id} is under a {kinds} hold: no promise is taken")


class PromiseClosedError(ConflictError):
    code = "promise_closed"
    default_message = N_("Promise {promise_id} is {status}: only an open promise is cancelled")


class PromiseRaceError(ConflictError):
    code = "edit_conflict"
    default_message = N_("Another promise was taken on case {case_id} at the same moment: read it and retry")


@dataclass(frozen=True)
class Terms:
    """A promise as asked: the installments as (due date, amount in major units as text)."""

    installments: Sequence[tuple[date, str]]
    currency: str
    account_id: str | None = None
    contact_id: int | None = None


@dataclass(frozen=True)
class PromiseView:
    promise: Promise
    installments: list[PromiseInstallment]


def take(
    session: Session, principal: Principal, case_id: str, terms: Terms, *, now: datetime, today: date
) -> PromiseView:
    """Take a promise on the case, superseding its open one; see the module's rules."""
    principal.require(Permission.PROMISE_TAKE)
    case = _visible_case(session, principal, case_id, today)
    if case.status != CaseStatus.OPEN:
        raise CaseClosedError(case_id=case_id)
    held = repository.standing_hold_kinds(session, case.customer_id, [str(kind) for kind in STOPPING_HOLDS])
    if held:
        raise CollectionHeldError(case_id=case_id, kinds=", ".join(held))
    every = repository.accounts_of_case(session, case_id)
    # an agency sees, and promises on, only the accounts placed with it
    accounts = repository.accounts_of_case(
        session, case_id, account_filter(principal, today, CaseAccount.account_id)
    )
    in_currency = sorted(account for account, currency in accounts.items() if currency == terms.currency)
    unseen = [
        account
        for account, currency in every.items()
        if currency == terms.currency and account not in accounts
    ]
    if terms.account_id is None and unseen and in_currency:
        raise AccountRequiredError(case_id=case_id, currency=terms.currency)
    if terms.account_id is not None:
        if terms.account_id not in accounts:
            raise AccountNotOfCaseError(account_id=terms.account_id, case_id=case_id)
        if accounts[terms.account_id] != terms.currency:
            raise CurrencyNotOfCaseError(
                N_("Account {account_id} is in {account_currency}, not {currency}"),
                account_id=terms.account_id,
                account_currency=accounts[terms.account_id],
                currency=terms.currency,
            )
        in_currency = [terms.account_id]
    if not in_currency:
        raise CurrencyNotOfCaseError(case_id=case_id, currency=terms.currency)
    if terms.contact_id is not None and not repository.contact_in_case(session, terms.contact_id, case_id):
        raise ContactNotOfCaseError(contact_id=terms.contact_id, case_id=case_id)
    schedule = checked_schedule(terms.installments, terms.currency, today)
    total = sum(amount for _, amount in schedule)
    owed = repository.outstanding(session, in_currency)
    if total > owed:
        raise OverOutstandingError(
            amount=format_major(total, terms.currency),
            currency=terms.currency,
            owed=format_major(owed, terms.currency),
        )
    previous = repository.open_promise_of_case(session, case_id)
    before = None if previous is None else shown(previous)
    promise = Promise(
        case_id=case_id,
        account_id=terms.account_id,
        currency=terms.currency,
        amount=total,
        paid_amount=0,
        status=str(PromiseStatus.OPEN),
        taken_at=now,
        taken_on=today,
        taken_by=principal.user_id,
        contact_id=terms.contact_id,
        first_due_on=schedule[0][0],
        last_due_on=schedule[-1][0],
    )
    try:
        with session.begin_nested():
            if previous is not None:
                previous.status = str(PromiseStatus.SUPERSEDED)
                previous.closed_on = today
                session.flush()
            session.add(promise)
            session.flush()
    except IntegrityError:  # another taker's open promise, committed since we looked
        raise PromiseRaceError(case_id=case_id) from None
    made = [
        PromiseInstallment(
            promise_id=promise.id, seq=seq, due_on=due_on, amount=amount, paid_amount=0, status="open"
        )
        for seq, (due_on, amount) in enumerate(schedule, start=1)
    ]
    session.add_all(made)
    if previous is not None:
        previous.superseded_by = promise.id
    session.flush()
    if previous is not None:
        _audit(session, principal, "promise.supersede", previous, case, now, before=before)
    _audit(session, principal, "promise.take", promise, case, now, installments=made)
    return PromiseView(promise, made)


def cancel(
    session: Session,
    principal: Principal,
    promise_id: int,
    reason: str,
    *,
    expected_version: int | None,
    now: datetime,
    today: date,
) -> PromiseView:
    """Cancel an open promise (412 when the caller read an earlier version; 409 when it is final)."""
    principal.require(Permission.PROMISE_TAKE)
    why = checked_reason(reason)
    promise = _visible_promise(session, principal, promise_id, today)
    check_version(promise, expected_version, N_("promise"), promise_id)
    if promise.status != PromiseStatus.OPEN:
        raise PromiseClosedError(promise_id=promise_id, status=promise.status)
    before = shown(promise)
    promise.status = str(PromiseStatus.CANCELLED)
    promise.closed_on = today
    session.flush()
    case = session.get(Case, promise.case_id)
    _audit(session, principal, "promise.cancel", promise, case, now, before=before, reason=why)
    return PromiseView(promise, repository.installments_of(session, [promise.id])[promise.id])


def history(
    session: Session,
    principal: Principal,
    case_id: str,
    today: date,
    *,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[PromiseView]:
    """The promises of a case the caller sees, newest first (ids below ``before_id``)."""
    principal.require(Permission.CASE_READ)
    _visible_case(session, principal, case_id, today)
    promises = repository.promises_of_case(session, case_id, before_id=before_id, limit=limit)
    installments = repository.installments_of(session, [promise.id for promise in promises])
    return [PromiseView(promise, installments[promise.id]) for promise in promises]


def one(session: Session, principal: Principal, promise_id: int, today: date) -> PromiseView:
    principal.require(Permission.CASE_READ)
    promise = _visible_promise(session, principal, promise_id, today)
    return PromiseView(promise, repository.installments_of(session, [promise.id])[promise.id])


def checked_schedule(
    installments: Sequence[tuple[date, str]], currency: str, today: date
) -> list[tuple[date, int]]:
    """The installments as (due date, minor units), or the refusal of the first term that fails."""
    if not 0 < len(installments) <= MAX_INSTALLMENTS:
        raise InvalidPromiseError(
            N_("A promise has 1 to {maximum} installments, not {count}"),
            maximum=MAX_INSTALLMENTS,
            count=len(installments),
        )
    schedule: list[tuple[date, int]] = []
    for seq, (due_on, text) in enumerate(installments, start=1):
        if due_on < today:
            raise DueDateInPastError(seq=seq, due_on=due_on.isoformat(), today=today.isoformat())
        if due_on > today + LAST_DUE_WITHIN:
            raise InvalidPromiseError(
                N_("Installment {seq} is due on {due_on}, more than {days} days ahead"),
                seq=seq,
                due_on=due_on.isoformat(),
                days=LAST_DUE_WITHIN.days,
            )
        if schedule and due_on <= schedule[-1][0]:
            raise DatesNotIncreasingError(
                seq=seq, due_on=due_on.isoformat(), previous=schedule[-1][0].isoformat()
            )
        try:
            amount = parse_major(text, currency)
        except MoneyError as error:
            raise PromiseAmountError(error.template, **error.params) from None
        if amount <= 0:
            raise PromiseAmountError(seq=seq)
        schedule.append((due_on, amount))
    return schedule


def shown(promise: Promise) -> dict[str, Any]:
    """What the audit trail keeps of a promise."""
    return {
        "status": promise.status,
        "currency": promise.currency,
        "amount": format_major(promise.amount, promise.currency),
        "account_id": promise.account_id,
        "first_due_on": promise.first_due_on.isoformat(),
        "last_due_on": promise.last_due_on.isoformat(),
        "superseded_by": promise.superseded_by,
        "version": promise.version,
    }


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    promise: Promise,
    case: Case | None,
    now: datetime,
    *,
    before: dict[str, Any] | None = None,
    installments: list[PromiseInstallment] | None = None,
    reason: str | None = None,
) -> None:
    after = shown(promise)
    if installments is not None:
        after["installments"] = "; ".join(
            f"{row.due_on.isoformat()} {format_major(row.amount, promise.currency)}" for row in installments
        )
    record(
        session,
        principal.actor(),
        action,
        at=now,
        object_type="promise",
        object_id=str(promise.id),
        customer_id=None if case is None else case.customer_id,
        before=before,
        after=after,
        reason=reason,
    )


def _visible_case(session: Session, principal: Principal, case_id: str, today: date) -> Case:
    case = cases.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError(case_id=case_id)
    return case


def _visible_promise(session: Session, principal: Principal, promise_id: int, today: date) -> Promise:
    promise = repository.visible_promise(session, promise_id, case_filter(principal, today))
    if promise is None:
        raise PromiseNotFoundError(promise_id=promise_id)
    return promise
