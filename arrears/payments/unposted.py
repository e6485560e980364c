"""Payments the provider confirmed that the core system has not posted (docs/channels.md, "Pay
now"): what operations checks each morning.

The rules:

- listed: every pending payment (``pending_payments``, status ``pending``) received from the
  provider at least ``older_than`` ago, oldest first, at most :data:`MAX_ROWS`;
- through the API it needs ``report.read`` (supervisors, administrators, analysts, compliance,
  auditors) and shows only the cases of the caller's scope; the command line sees all;
- each row names the case, its customer's id, the account, the amount, the provider's trade
  number and when the money was paid and received: no personal field (no name, no contact), so
  nothing is masked and the list is not a look at personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.models import Case
from arrears.cases.scope import case_filter
from arrears.payments.models import PendingPayment, PendingStatus

MAX_ROWS = 1000
"""Rows at most (oldest first): more than this waiting is an incident, not a list to read."""
MAX_AGE_HOURS = 90 * 24


_Query = Select[str, str, str, int, str, str, datetime, datetime]


@dataclass(frozen=True)
class Unposted:
    case_id: str
    customer_id: str
    account_id: str
    amount: int
    currency: str
    trade_no: str
    paid_at: datetime
    received_at: datetime

    def hours_waiting(self, now: datetime) -> int:
        return int((now - self.received_at).total_seconds() // 3600)


def unposted(session: Session, now: datetime, older_than: timedelta) -> list[Unposted]:
    """Every pending payment received ``older_than`` ago or more (the command line)."""
    return _rows(session, _query(now, older_than))


def unposted_seen_by(
    session: Session, principal: Principal, now: datetime, older_than: timedelta, *, today: date
) -> list[Unposted]:
    """Those of the cases ``principal`` sees (the API: ``report.read``)."""
    principal.require(Permission.REPORT_READ)
    return _rows(session, _query(now, older_than).where(case_filter(principal, today)))


def _query(now: datetime, older_than: timedelta) -> _Query:
    return (
        select(
            PendingPayment.case_id,
            Case.customer_id,
            PendingPayment.account_id,
            PendingPayment.amount,
            PendingPayment.currency,
            PendingPayment.trade_no,
            PendingPayment.paid_at,
            PendingPayment.received_at,
        )
        .join(Case, Case.case_id == PendingPayment.case_id)
        .where(PendingPayment.status == PendingStatus.PENDING, PendingPayment.received_at <= now - older_than)
        .order_by(PendingPayment.received_at, PendingPayment.id)
        .limit(MAX_ROWS)
    )


def _rows(session: Session, query: _Query) -> list[Unposted]:
    return [Unposted(*row) for row in session.execute(query)]
