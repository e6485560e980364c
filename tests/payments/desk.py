"""The core banking system's client (an API key, as `arrears apikeys create` makes one), payments
to post, and readers of what a posting changed."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from arrears.auth import service as auth
from arrears.auth.models import CredentialKind, User
from arrears.auth.permissions import Role
from arrears.cases.models import Case, CaseAccount
from arrears.channels.models import MessageEvent, OutboxMessage
from arrears.db import transaction
from arrears.portfolio.models import ImportLog, Payment
from tests.api.conftest import API_NOW, Api

TODAY = date(2026, 11, 21)
"""The API's business date (API_NOW in Shanghai)."""
PAYMENTS = "/api/v1/payments"


def core_system(api: Api) -> httpx.Client:
    """A client of the core banking system: a user of role core_system and an API key."""
    with transaction(api.engine) as session:
        user = User(
            username=f"core-{time.monotonic_ns()}",
            role=str(Role.CORE_SYSTEM),
            created_at=API_NOW,
            active=True,
        )
        session.add(user)
        session.flush()
        secret, _ = auth.issue(
            session, user, CredentialKind.API_KEY, now=API_NOW, lifetimes=None, name="core banking"
        )
    return api.client(**{"X-API-Key": secret})


def payment(payment_id: str, account_id: str, amount: str, **values: Any) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "account_id": account_id,
        "paid_on": TODAY.isoformat(),
        "currency": "CNY",
        "amount": amount,
        "channel": "bank",
    } | values


def post(client: httpx.Client, *payments: dict[str, Any]) -> httpx.Response:
    body = payments[0] if len(payments) == 1 else {"payments": list(payments)}
    return client.post(PAYMENTS, json=body)


def overdue(api: Api, case_id: str) -> tuple[int, list[int]]:
    """The case's overdue total and its accounts' overdue, by account id."""
    with api.engine.connect() as connection:
        total = connection.scalar(select(Case.overdue_total).where(Case.case_id == case_id))
        accounts = connection.scalars(
            select(CaseAccount.overdue_amount)
            .where(CaseAccount.case_id == case_id)
            .order_by(CaseAccount.account_id)
        ).all()
    assert total is not None
    return int(total), [int(a) for a in accounts]


def stored(api: Api) -> dict[str, tuple[Any, ...]]:
    """payment_id → (account, paid_on, amount, currency, channel, reverses, import_id)."""
    with api.engine.connect() as connection:
        rows = connection.execute(
            select(
                Payment.payment_id,
                Payment.account_id,
                Payment.paid_on,
                Payment.amount,
                Payment.currency,
                Payment.channel,
                Payment.reverses,
                Payment.import_id,
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def import_logs(api: Api) -> list[tuple[str, str, str, int, int]]:
    """(kind, file name, status, stored, unchanged) of every import_log entry, oldest first."""
    with api.engine.connect() as connection:
        rows = connection.execute(
            select(
                ImportLog.kind,
                ImportLog.file_name,
                ImportLog.status,
                ImportLog.rows_stored,
                ImportLog.rows_unchanged,
            ).order_by(ImportLog.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def queue_message(api: Api, case_id: str, customer_id: str, purpose: str) -> int:
    """A reminder waiting in the outbox (state queued)."""
    with api.engine.begin() as connection:
        return int(
            connection.execute(
                insert(OutboxMessage)
                .values(
                    idempotency_key=f"{purpose}:{case_id}:{time.monotonic_ns()}",
                    channel="sms",
                    purpose=purpose,
                    case_id=case_id,
                    customer_id=customer_id,
                    language="zh-CN",
                    body="您的还款日为今天",
                    state="queued",
                    attempts=0,
                    next_attempt_at=API_NOW,
                    late_policy="wait",
                    created_at=API_NOW,
                    version=1,
                )
                .returning(OutboxMessage.id)
            ).scalar_one()
        )


def message(api: Api, message_id: int) -> tuple[str, str | None, list[tuple[str, str | None]]]:
    """(state, stop_reason, [(event kind, detail)]) of an outbox message."""
    with api.engine.connect() as connection:
        state, reason = connection.execute(
            select(OutboxMessage.state, OutboxMessage.stop_reason).where(OutboxMessage.id == message_id)
        ).one()
        events = connection.execute(
            select(MessageEvent.kind, MessageEvent.detail)
            .where(MessageEvent.message_id == message_id)
            .order_by(MessageEvent.id)
        ).all()
    return str(state), reason, [(str(k), d) for k, d in events]


def count(api: Api, model: Any) -> int:
    with api.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)
