"""Cases to take promises on, over the API's test book: each account owes a schedule, so that a
promise has something to cover; and helpers to put holds, contacts and payments beside them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from arrears.arrangements.models import Promise
from arrears.auth.permissions import Role
from arrears.cases.models import CaseAccount
from arrears.contacts.models import Contact
from arrears.db import transaction
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account, Installment
from tests.api.conftest import API_NOW, Api, Person
from tests.api.work_book import TODAY, Book, add_cases

OWED = 500_000
"""Minor units each account owes (two installments of 2,500.00 CNY)."""


def promised_cases(api: Api, prefix: str, count: int = 1) -> tuple[Person, Book]:
    """A collector and ``count`` open cases assigned to them, each account owing OWED."""
    team = api.team(f"team-{prefix}")
    collector = api.person(Role.COLLECTOR, team_id=team)
    book = add_cases(api, prefix, count, team_id=team, collector_id=collector.user_id)
    with transaction(api.engine) as session:
        for account_id in book.account_ids:
            for seq in (1, 2):
                session.add(
                    Installment(
                        account_id=account_id,
                        seq=seq,
                        due_date=date(2026, 9, 1) + timedelta(days=30 * seq),
                        currency="CNY",
                        amount_due=OWED // 2,
                    )
                )
    return collector, book


def second_account(api: Api, case_id: str, customer_id: str) -> str:
    """Another account of the customer in the case, owing OWED too; its id."""
    account_id = f"A-{customer_id}-2"
    with transaction(api.engine) as session:
        session.add(
            Account(
                account_id=account_id,
                customer_id=customer_id,
                product="credit_card",
                currency="CNY",
                opened_on=date(2025, 1, 1),
                status="active",
            )
        )
        session.flush()
        session.add(
            CaseAccount(
                case_id=case_id,
                account_id=account_id,
                joined_on=TODAY,
                delinquent=True,
                dpd=45,
                bucket="M2",
                overdue_amount=OWED,
                currency="CNY",
                account_status="active",
            )
        )
        session.add(
            Installment(
                account_id=account_id, seq=1, due_date=date(2026, 10, 1), currency="CNY", amount_due=OWED
            )
        )
    return account_id


def body(*installments: tuple[int, str], currency: str = "CNY", **extra: Any) -> dict[str, Any]:
    """A promise's body: (days after today, amount) per installment."""
    return {
        "installments": [
            {"due_on": (TODAY + timedelta(days=days)).isoformat(), "amount": amount}
            for days, amount in installments
        ],
        "currency": currency,
        **extra,
    }


def take(
    client: httpx.Client, case_id: str, payload: dict[str, Any], key: str | None = None
) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(f"/api/v1/cases/{case_id}/promises", json=payload, headers=headers)


def hold(api: Api, customer_id: str, kind: str, *, lifted: bool = False) -> int:
    with transaction(api.engine) as session:
        row = Hold(
            customer_id=customer_id,
            kind=kind,
            evidence="test evidence",
            placed_at=API_NOW,
            lifted_at=API_NOW if lifted else None,
        )
        session.add(row)
        session.flush()
        return row.id


def contact(api: Api, case_id: str, customer_id: str) -> int:
    with transaction(api.engine) as session:
        row = Contact(
            case_id=case_id,
            customer_id=customer_id,
            channel="call",
            direction="outbound",
            party="debtor",
            started_at=API_NOW,
            started_on=API_NOW.date(),
            disposition="promise",
            source="collector",
            recorded_at=API_NOW,
        )
        session.add(row)
        session.flush()
        return row.id


def promise_count(api: Api, case_id: str) -> int:
    with transaction(api.engine) as session:
        return len(session.scalars(select(Promise.id).where(Promise.case_id == case_id)).all())
