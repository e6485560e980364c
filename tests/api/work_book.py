"""A small book of open cases for the case-work tests: customers, accounts, cases and their first
assignments, written straight into the database (the batch and the queue rules are not the
subject here), and readers of what the API wrote (assignments, audit entries)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.auth.service import principal_of
from arrears.batch.orchestrator import run_batch
from arrears.cases.models import Case, CaseAccount, CaseAssignment
from arrears.cases.scope import account_filter, customer_filter
from arrears.clock import FixedClock
from arrears.db import transaction
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.portfolio.models import Account, ContactPoint, Customer
from tests.api.conftest import API_NOW, Api, Person
from tests.batch.book import insert_book
from tests.delinquency.portfolios import facts_of, generated_book

OPENED = date(2026, 11, 1)
TODAY = date(2026, 11, 21)
"""The API's business date (API_NOW in Shanghai)."""
REASON = "客户要求更换催收员，转交处理"


@dataclass
class Book:
    case_ids: list[str]
    account_ids: list[str]
    customer_ids: list[str]


def add_cases(
    api: Api, prefix: str, count: int, *, team_id: int | None, collector_id: int | None = None
) -> Book:
    """``count`` customers with one account and one open case each; each case assigned to
    ``team_id`` (and ``collector_id``) by the system when a team is given."""
    book = Book([], [], [])
    with transaction(api.engine) as session:
        for n in range(count):
            customer_id, account_id = f"{prefix}{n:03d}", f"A-{prefix}{n:03d}"
            case_id = f"C-{customer_id}-{OPENED:%Y%m%d}"
            session.add(
                Customer(customer_id=customer_id, name=f"客户 {customer_id}", timezone="Asia/Shanghai")
            )
            session.flush()
            session.add(
                ContactPoint(customer_id=customer_id, type="mobile", value="+8613812345678", party="debtor")
            )
            session.add(
                Account(
                    account_id=account_id,
                    customer_id=customer_id,
                    product="personal_loan",
                    currency="CNY",
                    opened_on=date(2025, 1, 1),
                    status="active",
                )
            )
            session.flush()
            session.add(
                Case(
                    case_id=case_id,
                    customer_id=customer_id,
                    status="open",
                    opened_on=OPENED,
                    worst_dpd=45,
                    bucket="M2",
                    overdue_total=120000,
                    currency="CNY",
                    worst_account_id=account_id,
                    account_count=1,
                    updated_on=TODAY,
                )
            )
            session.flush()
            session.add(
                CaseAccount(
                    case_id=case_id,
                    account_id=account_id,
                    joined_on=OPENED,
                    delinquent=True,
                    dpd=45,
                    bucket="M2",
                    overdue_amount=120000,
                    currency="CNY",
                    account_status="active",
                )
            )
            if team_id is not None:
                session.add(
                    CaseAssignment(
                        case_id=case_id,
                        team_id=team_id,
                        collector_id=collector_id,
                        assigned_at=API_NOW,
                        assigned_by=None,
                        reason="the first queue",
                    )
                )
            book.case_ids.append(case_id)
            book.account_ids.append(account_id)
            book.customer_ids.append(customer_id)
    return book


def assignments(api: Api, case_id: str) -> list[tuple[int, int, int | None, Any]]:
    """(id, team, collector, ended_at) of every assignment of a case, oldest first."""
    with api.engine.connect() as connection:
        rows = connection.execute(
            select(
                CaseAssignment.id,
                CaseAssignment.team_id,
                CaseAssignment.collector_id,
                CaseAssignment.ended_at,
            )
            .where(CaseAssignment.case_id == case_id)
            .order_by(CaseAssignment.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def audit_entries(api: Api, action: str) -> list[dict[str, Any]]:
    """Every audit entry of ``action``, oldest first, before/after decoded."""
    with transaction(api.engine) as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
        return [
            {
                "actor_id": e.actor_id,
                "actor_role": e.actor_role,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "customer_id": e.customer_id,
                "reason": e.reason,
                "rules": e.rules,
                "outcome": e.outcome,
                "before": json.loads(e.before) if e.before else None,
                "after": json.loads(e.after) if e.after else None,
            }
            for e in rows.scalars()
        ]


def visible(
    api: Api, person: Person, *, accounts: list[str] | None = None, customers: list[str] | None = None
) -> set[str]:
    """The accounts (or customers) among those named that ``person`` sees now, by scope.py's
    filters in a direct query."""
    with transaction(api.engine) as session:
        user = session.get(User, person.user_id)
        assert user is not None
        principal = principal_of(session, user)
        if accounts is not None:
            query = select(Account.account_id).where(
                Account.account_id.in_(accounts),
                account_filter(principal, TODAY, Account.account_id.expression),
            )
        else:
            query = select(Customer.customer_id).where(
                Customer.customer_id.in_(customers or []),
                customer_filter(principal, TODAY, Customer.customer_id.expression),
            )
        return set(session.execute(query).scalars())


def supervisor_of(api: Api, *codes: str) -> tuple[Person, list[int]]:
    """A supervisor leading new teams named ``codes``."""
    person = api.person(Role.SUPERVISOR)
    return person, [api.team(f"{code}-{person.user_id}", leader=person) for code in codes]


def disable(api: Api, person: Person) -> Person:
    with transaction(api.engine) as session:
        user = session.get(User, person.user_id)
        assert user is not None
        user.active = False
    return person


def nightly_book(
    api: Api, duck: DuckDBEngine, clock: FixedClock, dates: list[date], accounts: int = 60
) -> None:
    """A generated book, with the nightly batch run for each of ``dates`` (snapshots, cases, runs)."""
    insert_book(api.engine, *facts_of(generated_book(accounts, seed=21)))
    run_batch(api.engine, dates, duck, DelinquencyRules(), clock)
