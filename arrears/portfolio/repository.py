"""Queries over the stored portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, cast, func, select

from arrears.portfolio.models import Account, ContactPoint, Customer, Installment, Payment


@dataclass(frozen=True)
class ProductBalance:
    product: str
    currency: str
    accounts: int
    principal: int  # minor units: loans' principal as booked
    credit_limit: int  # minor units: cards' and lines' limits
    scheduled: int  # minor units: every installment of the schedule (a card's minimum dues)
    paid: int  # minor units: payments less reversals


def row_counts(connection: Connection) -> dict[str, int]:
    tables = {
        "customers": Customer,
        "contact_points": ContactPoint,
        "accounts": Account,
        "installments": Installment,
        "payments": Payment,
    }
    return {
        name: connection.execute(select(func.count()).select_from(model)).scalar_one()
        for name, model in tables.items()
    }


SPLIT = 2**32
"""Sums over many accounts are taken in two halves (x // 2**32 and x % 2**32), each of which
stays far inside 64 bits for two billion rows, and joined in Python: SQLite's integer sum
stops at 2**63, and a portfolio total may pass it where no account does."""


def _wide_sum(column: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    return func.coalesce(func.sum(column // SPLIT), 0), func.coalesce(func.sum(column % SPLIT), 0)


def _joined(high: Any, low: Any) -> int:
    return int(high) * SPLIT + int(low)


def balances_by_product(connection: Connection) -> list[ProductBalance]:
    scheduled = (
        select(Installment.account_id, cast(func.sum(Installment.amount_due), BigInteger).label("due"))
        .group_by(Installment.account_id)
        .subquery()
    )
    paid = (
        select(
            Payment.account_id,
            cast(func.sum(Payment.amount).filter(Payment.reverses.is_(None)), BigInteger).label("gross"),
            cast(func.sum(Payment.amount).filter(Payment.reverses.is_not(None)), BigInteger).label(
                "reversed"
            ),
        )
        .group_by(Payment.account_id)
        .subquery()
    )
    # Each account's sums fit in 64 bits (the importer keeps them under MAX_AMOUNT), so they are
    # integers on every database (PostgreSQL's sum of BIGINT is NUMERIC); their sums over a
    # product are taken wide.
    sums = (
        *_wide_sum(Account.principal),
        *_wide_sum(Account.credit_limit),
        *_wide_sum(scheduled.c.due),
        *_wide_sum(paid.c.gross),
        *_wide_sum(paid.c.reversed),
    )
    query = (
        select(Account.product, Account.currency, func.count(), *sums)
        .select_from(Account)
        .outerjoin(scheduled, scheduled.c.account_id == Account.account_id)
        .outerjoin(paid, paid.c.account_id == Account.account_id)
        .group_by(Account.product, Account.currency)
        .order_by(Account.product, Account.currency)
    )
    balances = []
    for product, currency, n, *halves in connection.execute(query).all():
        principal, limit, due, gross, reversed_ = (
            _joined(halves[i], halves[i + 1]) for i in range(0, len(halves), 2)
        )
        balances.append(ProductBalance(product, currency, int(n), principal, limit, due, gross - reversed_))
    return balances
