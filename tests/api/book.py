"""Small books for the read endpoints' tests, inserted straight into the database: customers with
contact points, accounts with installments and payments, cases as the batch would have left them,
delinquency snapshots and scores; and the people-owned rows the scoping reads (assignments,
placements, field visits), inserted directly as the writes' endpoints would have made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from arrears.cases.models import Case, CaseAccount, CaseAssignment, FieldVisit, Placement
from arrears.delinquency.models import DelinquencyRange, SnapshotDate
from arrears.portfolio.models import Account, ContactPoint, Customer, Installment, Payment
from arrears.scoring.models import AccountScore, ModelVersion

TODAY = date(2026, 11, 21)
"""The API's business date (tests.api.conftest.API_NOW in Shanghai)."""
AT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)

NATIONAL_ID = "110101199003071234"
MOBILE = "+8613812345678"
EMAIL = "zhang.wei@example.com"
ADDRESS = "北京市朝阳区建国路88号"
BIRTH_DATE = date(1990, 3, 7)


def new_id(connection: Connection, model: Any, **values: Any) -> int:
    """Insert one row of ``model`` and answer its id."""
    return int(connection.execute(insert(model).values(**values).returning(model.id)).scalar_one())


def case_id_of(customer_id: str) -> str:
    return f"C-{customer_id}-20261101"


def account_id_of(customer_id: str, n: int = 1) -> str:
    return f"A-{customer_id}-{n}"


@dataclass
class Book:
    engine: Engine
    contact_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    """customer → contact type → contact point id."""

    def customer(self, customer_id: str, *, contacts: bool = True) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(Customer),
                [
                    {
                        "customer_id": customer_id,
                        "name": f"张伟 {customer_id}",
                        "national_id": NATIONAL_ID,
                        "birth_date": BIRTH_DATE,
                        "language": "zh-CN",
                        "country": "CN",
                        "timezone": "Asia/Shanghai",
                        "segment": "retail",
                    }
                ],
            )
            if not contacts:
                return
            ids: dict[str, int] = {}
            for kind, value, primary in (
                ("mobile", MOBILE, True),
                ("email", EMAIL, False),
                ("address", ADDRESS, False),
            ):
                row = new_id(
                    connection,
                    ContactPoint,
                    customer_id=customer_id,
                    type=kind,
                    value=value,
                    label="home" if kind == "address" else None,
                    is_primary=primary,
                    party="debtor",
                    do_not_contact=False,
                )
                ids[kind] = row
            self.contact_ids[customer_id] = ids

    def account(
        self, customer_id: str, n: int = 1, *, product: str = "personal_loan", currency: str = "CNY"
    ) -> str:
        account_id = account_id_of(customer_id, n)
        with self.engine.begin() as connection:
            connection.execute(
                insert(Account),
                [
                    {
                        "account_id": account_id,
                        "customer_id": customer_id,
                        "product": product,
                        "currency": currency,
                        "opened_on": date(2025, 1, 15),
                        "principal": 1_200_000,
                        "status": "active",
                    }
                ],
            )
        return account_id

    def case(
        self,
        customer_id: str,
        *,
        dpd: int = 45,
        bucket: str = "M2",
        overdue: int = 123_456,
        currency: str = "CNY",
        status: str = "open",
        products: tuple[str, ...] = ("personal_loan",),
    ) -> str:
        """A customer (with contact points), their accounts (one per product) and an open case
        holding them, the first account the worst."""
        self.customer(customer_id)
        accounts = [
            self.account(customer_id, n, product=product, currency=currency)
            for n, product in enumerate(products, start=1)
        ]
        case_id = case_id_of(customer_id)
        with self.engine.begin() as connection:
            connection.execute(
                insert(Case),
                [
                    {
                        "case_id": case_id,
                        "customer_id": customer_id,
                        "status": status,
                        "opened_on": date(2026, 11, 1),
                        "closed_on": None if status == "open" else TODAY,
                        "close_reason": None if status == "open" else "cured",
                        "worst_dpd": dpd,
                        "bucket": bucket,
                        "overdue_total": overdue,
                        "currency": currency,
                        "worst_account_id": accounts[0],
                        "account_count": len(accounts),
                        "updated_on": TODAY,
                    }
                ],
            )
            connection.execute(
                insert(CaseAccount),
                [
                    {
                        "case_id": case_id,
                        "account_id": account,
                        "joined_on": date(2026, 11, 1),
                        "delinquent": True,
                        "dpd": dpd - i,
                        "bucket": bucket,
                        "overdue_amount": overdue if i == 0 else 0,
                        "currency": currency,
                        "account_status": "active",
                    }
                    for i, account in enumerate(accounts)
                ],
            )
        return case_id

    def assign(self, case_id: str, team_id: int, collector_id: int | None = None) -> int:
        """The case's current assignment (ending the one before, as the writes do)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(CaseAssignment)
                .where(CaseAssignment.case_id == case_id, CaseAssignment.ended_at.is_(None))
                .values(ended_at=AT)
            )
            return new_id(
                connection,
                CaseAssignment,
                case_id=case_id,
                team_id=team_id,
                collector_id=collector_id,
                assigned_at=AT,
                reason="test book",
            )

    def place(
        self,
        account_id: str,
        agency_id: int,
        *,
        starts_on: date = TODAY,
        ends_on: date = TODAY + timedelta(30),
    ) -> int:
        with self.engine.begin() as connection:
            return new_id(
                connection,
                Placement,
                account_id=account_id,
                agency_id=agency_id,
                starts_on=starts_on,
                ends_on=ends_on,
                placed_at=AT,
                reason="test book",
            )

    def recall(self, placement_id: int, at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(Placement)
                .where(Placement.id == placement_id)
                .values(recalled_at=at, recall_reason="test recall")
            )

    def visit(self, case_id: str, customer_id: str, agent_id: int, *, status: str = "planned") -> int:
        with self.engine.begin() as connection:
            return new_id(
                connection,
                FieldVisit,
                case_id=case_id,
                customer_id=customer_id,
                agent_id=agent_id,
                planned_on=TODAY,
                status=status,
                assigned_at=AT,
                reason="test book",
            )

    def set_visit(self, visit_id: int, status: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(FieldVisit).where(FieldVisit.id == visit_id).values(status=status))

    def history(self, account_id: str, customer_id: str, days: list[tuple[date, int, int]]) -> None:
        """Snapshots of the account: (as_of, dpd, overdue in minor units) each, stored as ranges of
        one day each (the account has no state on the other snapshot dates)."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(DelinquencyRange),
                [
                    {
                        "account_id": account_id,
                        "valid_from": as_of,
                        "valid_to": as_of + timedelta(days=1),
                        "customer_id": customer_id,
                        "currency": "CNY",
                        "status": "active",
                        "overdue_since": as_of - timedelta(days=dpd) if dpd else None,
                        "bucket": "M0" if dpd == 0 else "M1" if dpd <= 30 else "M2",
                        "bucket_rank": 0 if dpd == 0 else 1 if dpd <= 30 else 2,
                        "overdue_amount": overdue,
                        "outstanding_amount": overdue + 1_000_000,
                        "roll": "same",
                    }
                    for as_of, dpd, overdue in days
                ],
            )
            known = set(connection.execute(select(SnapshotDate.as_of)).scalars())
            for as_of in sorted({as_of for as_of, _, _ in days} - known):
                connection.execute(insert(SnapshotDate).values(as_of=as_of))

    def installments(self, account_id: str, amounts: list[tuple[date, int]]) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(Installment),
                [
                    {
                        "account_id": account_id,
                        "seq": n,
                        "due_date": due,
                        "currency": "CNY",
                        "amount_due": amount,
                    }
                    for n, (due, amount) in enumerate(amounts, start=1)
                ],
            )

    def payments(self, account_id: str, rows: list[tuple[str, date, int, str | None]]) -> None:
        """(payment_id, paid_on, amount, reverses) each, originals before their reversals."""
        with self.engine.begin() as connection:
            for payment_id, paid_on, amount, reverses in rows:
                connection.execute(
                    insert(Payment).values(
                        payment_id=payment_id,
                        account_id=account_id,
                        paid_on=paid_on,
                        currency="CNY",
                        amount=amount,
                        channel="bank_transfer",
                        reverses=reverses,
                    )
                )

    def model(self, purpose: str = "cure") -> int:
        """An active model version of ``purpose`` (its artifact is never loaded here)."""
        with self.engine.begin() as connection:
            return new_id(
                connection,
                ModelVersion,
                purpose=purpose,
                version=1,
                kind="scorecard",
                training_source="test",
                features=["max_dpd_90d"],
                parameters={},
                metrics={},
                data_checksum="0" * 64,
                code_version="test",
                artifact=None,
                artifact_sha256="0" * 64,
                is_active=True,
                created_at=AT,
                created_by="test",
            )

    def score(
        self,
        model_id: int,
        case_id: str,
        account_id: str,
        score: int,
        band: str,
        *,
        as_of: date = TODAY,
        reasons: list[dict[str, Any]] | None = None,
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(AccountScore),
                [
                    {
                        "account_id": account_id,
                        "case_id": case_id,
                        "as_of": as_of,
                        "model_version_id": model_id,
                        "score": score,
                        "probability": 0.25,
                        "band": band,
                        "reasons": reasons or [],
                    }
                ],
            )
