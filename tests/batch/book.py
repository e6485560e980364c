"""Insert a portfolio straight into the operational database with SQLAlchemy Core (until the importer lands)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Engine, insert, text

from arrears.portfolio.models import Account, Customer, Installment, Payment
from tests.delinquency.portfolios import AccountFact, InstallmentFact, PaymentFact


def insert_book(
    engine: Engine,
    accounts: Sequence[AccountFact],
    installments: Sequence[InstallmentFact],
    payments: Sequence[PaymentFact],
) -> None:
    with engine.begin() as connection:
        currency_of = {
            row[0]: row[1] for row in connection.execute(text("SELECT account_id, currency FROM accounts"))
        }
        currency_of.update({a.account_id: a.currency for a in accounts})
        existing = {row[0] for row in connection.execute(text("SELECT customer_id FROM customers"))}
        customers = sorted({a.customer_id for a in accounts} - existing)
        if customers:
            connection.execute(insert(Customer), [{"customer_id": c, "name": f"客户 {c}"} for c in customers])
        if accounts:
            connection.execute(
                insert(Account),
                [
                    {
                        "account_id": a.account_id,
                        "customer_id": a.customer_id,
                        "product": "personal_loan",
                        "currency": a.currency,
                        "opened_on": date(2023, 1, 1),
                        "status": a.status,
                    }
                    for a in accounts
                ],
            )
        if installments:
            connection.execute(
                insert(Installment),
                [
                    {
                        "account_id": i.account_id,
                        "seq": i.seq,
                        "due_date": i.due_date,
                        "amount_due": i.amount_due,
                        "currency": currency_of[i.account_id],
                    }
                    for i in installments
                ],
            )
        # originals first: a reversal's foreign key names an earlier payment
        for batch in ([p for p in payments if p.reverses is None], [p for p in payments if p.reverses]):
            if batch:
                connection.execute(
                    insert(Payment),
                    [
                        {
                            "payment_id": p.payment_id,
                            "account_id": p.account_id,
                            "paid_on": p.paid_on,
                            "amount": p.amount,
                            "currency": currency_of[p.account_id],
                            "reverses": p.reverses,
                        }
                        for p in batch
                    ],
                )


def dump(engine: Engine, table: str, order: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]
