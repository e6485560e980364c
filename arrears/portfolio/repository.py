"""Queries over the stored portfolio."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

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


def balances_by_product(connection: Connection) -> list[ProductBalance]:
    scheduled = (
        select(Installment.account_id, func.sum(Installment.amount_due).label("due"))
        .group_by(Installment.account_id)
        .subquery()
    )
    paid = (
        select(
            Payment.account_id,
            func.sum(Payment.amount).filter(Payment.reverses.is_(None)).label("gross"),
            func.sum(Payment.amount).filter(Payment.reverses.is_not(None)).label("reversed"),
        )
        .group_by(Payment.account_id)
        .subquery()
    )
    query = (
        select(
            Account.product,
            Account.currency,
            func.count(),
            func.coalesce(func.sum(Account.principal), 0),
            func.coalesce(func.sum(Account.credit_limit), 0),
            func.coalesce(func.sum(scheduled.c.due), 0),
            func.coalesce(func.sum(paid.c.gross), 0) - func.coalesce(func.sum(paid.c.reversed), 0),
        )
        .select_from(Account)
        .outerjoin(scheduled, scheduled.c.account_id == Account.account_id)
        .outerjoin(paid, paid.c.account_id == Account.account_id)
        .group_by(Account.product, Account.currency)
        .order_by(Account.product, Account.currency)
    )
    return [
        ProductBalance(product, currency, int(n), int(principal), int(limit), int(due), int(net))
        for product, currency, n, principal, limit, due, net in connection.execute(query).all()
    ]
