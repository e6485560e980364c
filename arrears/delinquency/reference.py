"""A plain Python reference of the delinquency definitions, one account at a time.

Slow on purpose and written to read like docs/batch.md, not to be fast: the property tests
compare both engines against it. Never use it in the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from arrears.delinquency.rules import DelinquencyRules, roll_between


@dataclass(frozen=True, slots=True)
class AccountFact:
    account_id: str
    customer_id: str
    currency: str
    status: str
    opened_on: date | None = None  # None: opened before any snapshot


@dataclass(frozen=True, slots=True)
class InstallmentFact:
    account_id: str
    seq: int
    due_date: date
    amount_due: int


@dataclass(frozen=True, slots=True)
class PaymentFact:
    payment_id: str
    account_id: str
    paid_on: date
    amount: int
    reverses: str | None = None


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    account_id: str
    customer_id: str
    currency: str
    status: str
    dpd: int
    bucket: str
    overdue_amount: int
    outstanding_amount: int
    roll: str


def net_paid(payments: Iterable[PaymentFact], as_of: date, amount_of: Mapping[str, int]) -> int:
    """Payments with paid_on <= D, less reversals (the reversed payment's amount) from their own date."""
    total = 0
    for payment in payments:
        if payment.paid_on > as_of:
            continue
        if payment.reverses is None:
            total += payment.amount
        else:
            total -= amount_of.get(payment.reverses, payment.amount)
    return total


def account_snapshot(
    account: AccountFact,
    installments: list[InstallmentFact],
    payments: list[PaymentFact],
    as_of: date,
    rules: DelinquencyRules,
    previous_bucket: str | None,
    amount_of: Mapping[str, int],
) -> SnapshotRow:
    threshold = rules.threshold(account.currency)
    # A negative net (a reversal dated before the payment it reverses) allocates nothing.
    remaining = max(net_paid(payments, as_of, amount_of), 0)
    paid = remaining
    oldest_overdue: date | None = None
    past_due = 0
    for installment in sorted(installments, key=lambda i: (i.due_date, i.seq)):
        covered = min(remaining, installment.amount_due)
        remaining -= covered
        shortfall = installment.amount_due - covered
        if installment.due_date < as_of:
            past_due += installment.amount_due
            if shortfall > threshold and oldest_overdue is None:
                oldest_overdue = installment.due_date
    dpd = 0 if oldest_overdue is None else (as_of - oldest_overdue).days
    bucket = rules.bucket_for(dpd).name
    scheduled = sum(i.amount_due for i in installments)
    return SnapshotRow(
        account_id=account.account_id,
        customer_id=account.customer_id,
        currency=account.currency,
        status=account.status,
        dpd=dpd,
        bucket=bucket,
        overdue_amount=max(past_due - paid, 0),
        outstanding_amount=max(scheduled - paid, 0),
        roll=roll_between(previous_bucket, bucket, rules),
    )


def reference_snapshot(
    accounts: Iterable[AccountFact],
    installments: Iterable[InstallmentFact],
    payments: Iterable[PaymentFact],
    as_of: date,
    rules: DelinquencyRules,
    previous: Mapping[str, str] | None = None,
) -> dict[str, SnapshotRow]:
    """The snapshot of every account opened by ``as_of``; ``previous`` maps account_id to its last bucket."""
    by_account_installments: dict[str, list[InstallmentFact]] = {}
    for installment in installments:
        by_account_installments.setdefault(installment.account_id, []).append(installment)
    all_payments = list(payments)
    amount_of = {p.payment_id: p.amount for p in all_payments}
    by_account_payments: dict[str, list[PaymentFact]] = {}
    for payment in all_payments:
        by_account_payments.setdefault(payment.account_id, []).append(payment)
    previous = previous or {}
    return {
        account.account_id: account_snapshot(
            account,
            by_account_installments.get(account.account_id, []),
            by_account_payments.get(account.account_id, []),
            as_of,
            rules,
            previous.get(account.account_id),
            amount_of,
        )
        for account in accounts
        if account.opened_on is None or account.opened_on <= as_of
    }
