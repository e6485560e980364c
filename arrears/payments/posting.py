"""Payments posted during the day by the core banking system (``payment.post``).

The rules (docs/channels.md, "Payments during the day"):

- one payment or a small batch; the request is taken whole or refused whole;
- idempotent by ``payment_id``: a payment stored already with the same account, date, currency,
  amount, channel and reversal is answered as stored and changes nothing (no write, no audit);
  the same id with anything else is refused (409 ``payment_conflict``, naming what differs);
- the others pass the feed's rules (:mod:`arrears.payments.intake`: the importer's validation,
  reversals included, and the API's two own rules); any fault refuses the request (422
  ``invalid_payment``, each fault naming its payment and field) and nothing is stored;
- stored as an import of their own (the next night picks them up exactly once);
- at once, in the same transaction, the open case of each paid account takes the payment
  (:mod:`arrears.payments.effects`); a reversal puts the overdue back, reopens a promise kept
  today by the reversed payment and lifts the case's rest in next case; a payment
  that books money a pay-now link's provider confirmed confirms that pending payment
  (:func:`arrears.payments.paylinks.confirm_posted`) and does not lower the overdue again; the
  unused pay-now links of the reminders it stops are cancelled;
- each stored payment is audited (``payment.post``).

The core system's role sees no rows (scope none): the case is found here by its account, as the
system's own work, and nothing personal is read or answered. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.arrangements.promise_batch import PromiseTerms
from arrears.audit.trail import record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.errors import ConflictError, InvalidInputError
from arrears.i18n import N_
from arrears.money import MoneyError, format_major, parse_major
from arrears.payments import effects, intake, paylinks
from arrears.payments import repository as payments
from arrears.payments.effects import Day, Effect
from arrears.payments.intake import Fault, Posted
from arrears.portfolio.models import Account, Payment

MAX_BATCH = 100
"""Payments at most in one request: a small batch (a day's file goes through the importer)."""
AUDIT_ACTION = "payment.post"


class PaymentConflictError(ConflictError):
    code = "payment_conflict"
    default_message = N_(
        "Payment {payment_id} is stored already with other values ({fields} differ): a payment is "
        "posted once; correct it with a reversal"
    )

    def __init__(self, payment_id: str, fields: list[str]) -> None:
        super().__init__(payment_id=payment_id, fields=", ".join(fields))
        self.extensions = {"payment_id": payment_id, "fields": fields}


class InvalidPaymentsError(InvalidInputError):
    code = "invalid_payment"
    http_status = 422
    default_message = N_("No payment was stored: {faults}")

    def __init__(self, faults: Sequence[Fault]) -> None:
        super().__init__(faults="; ".join(f"payments.{f.index}.{f.field}: {f.reason}" for f in faults))
        self.extensions = {
            "errors": [
                {"location": f"body.payments.{f.index}.{f.field}", "message": f.reason} for f in faults
            ]
        }


def post(
    session: Session,
    principal: Principal,
    posted: Sequence[Posted],
    *,
    day: Day,
    terms: PromiseTerms,
    language: str,
) -> list[Payment]:
    """Store the new payments of ``posted`` and let their cases take them; answers every payment
    of the request as stored, in the request's order (see the module's description)."""
    principal.require(Permission.PAYMENT_POST)
    payments.serialise(session, [p.payment_id.strip() for p in posted])
    stored = payments.stored_payments(session, [p.payment_id.strip() for p in posted])
    for payment in posted:
        found = stored.get(payment.payment_id.strip())
        if found is not None and (fields := differences(payment, found)):
            raise PaymentConflictError(found.payment_id, fields)
    new = [p for p in posted if p.payment_id.strip() not in stored]
    if new:
        _store(session, principal, posted, day=day, language=language)
        rows = _rows(session, new)
        counted = paylinks.confirm_posted(session, rows, now=day.now)
        done = effects.take_payments(session, rows, day=day, terms=terms, counted_already=counted)
        paylinks.cancel_message_links(
            session, [m for effect in done for m in effect.messages_stopped], now=day.now
        )
        _audit(session, principal, done, now=day.now)
    answer = payments.stored_payments(session, [p.payment_id.strip() for p in posted])
    return [answer[p.payment_id.strip()] for p in posted]


def differences(payment: Posted, stored: Payment) -> list[str]:
    """The fields in which a posted payment differs from the stored one of its id."""
    given = {
        "account_id": payment.account_id.strip(),
        "paid_on": payment.paid_on.strip(),
        "currency": payment.currency.strip().upper(),
        "amount": _minor_or_text(payment.amount, stored.currency),
        "channel": _text_or_none(payment.channel),
        "reverses": _text_or_none(payment.reverses),
    }
    kept = {
        "account_id": stored.account_id,
        "paid_on": stored.paid_on.isoformat(),
        "currency": stored.currency,
        "amount": stored.amount,
        "channel": stored.channel,
        "reverses": stored.reverses,
    }
    return [name for name in given if given[name] != kept[name]]


def _minor_or_text(amount: str, currency: str) -> int | str:
    try:
        return parse_major(amount, currency)
    except MoneyError:
        return amount  # not an amount: differs from any stored one


def _text_or_none(value: str | None) -> str | None:
    return (value or "").strip() or None


def _store(
    session: Session, principal: Principal, posted: Sequence[Posted], *, day: Day, language: str
) -> None:
    connection = session.connection()
    with duckdb.connect() as db:
        faults = intake.check(db, connection, posted, today=day.today, language=language)
        if faults:
            raise InvalidPaymentsError(faults)
        intake.store_good(
            db,
            connection,
            posted,
            request_id=principal.request_id,
            posted_by=principal.username,
            now=day.now,
        )


def _rows(session: Session, new: Sequence[Posted]) -> list[Payment]:
    stored = payments.stored_payments(session, [p.payment_id.strip() for p in new])
    return [stored[p.payment_id.strip()] for p in new]


def _audit(session: Session, principal: Principal, done: Sequence[Effect], *, now: datetime) -> None:
    """One entry per stored payment, last: the first entry holds the trail's head until the commit."""
    accounts = sorted({effect.payment.account_id for effect in done})
    customers = {
        str(account_id): str(customer_id)
        for account_id, customer_id in session.execute(
            select(Account.account_id, Account.customer_id).where(Account.account_id.in_(accounts))
        )
    }
    for effect in done:
        payment = effect.payment
        record(
            session,
            principal.actor(),
            AUDIT_ACTION,
            at=now,
            object_type="payment",
            object_id=payment.payment_id,
            customer_id=customers.get(payment.account_id),
            after={
                "account_id": payment.account_id,
                "paid_on": payment.paid_on.isoformat(),
                "amount": format_major(payment.amount, payment.currency),
                "currency": payment.currency,
                "channel": payment.channel,
                "reverses": payment.reverses,
                **effect.as_audit(),
            },
        )
