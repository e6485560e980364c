"""API shapes of payments posted during the day (requests and answers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.money import format_major
from arrears.payments.intake import Posted
from arrears.payments.posting import MAX_BATCH
from arrears.payments.unposted import Unposted
from arrears.portfolio.models import Payment

MAX_TEXT = 200
"""Characters a field may carry into validation (the feed's rules then say what fits)."""


class PaymentIn(BaseModel):
    """One payment as the core system books it; the feed's rules check each value."""

    model_config = ConfigDict(extra="forbid")

    payment_id: str = Field(max_length=MAX_TEXT, description="The core system's id (64 characters at most)")
    account_id: str = Field(max_length=MAX_TEXT, description="A stored account")
    paid_on: str = Field(
        max_length=MAX_TEXT,
        description="YYYY-MM-DD, not after the bank's business today",
        json_schema_extra={"format": "date"},
        examples=["2026-11-21"],
    )
    currency: str = Field(
        max_length=MAX_TEXT, description="ISO 4217: the account's currency", examples=["CNY"]
    )
    amount: str = Field(
        max_length=MAX_TEXT,
        description="A decimal string in major units, above zero, no more decimals than the currency has",
        examples=["1500.00"],
    )
    channel: str | None = Field(
        default=None, max_length=MAX_TEXT, description="How it was paid (32 characters)"
    )
    reverses: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="The payment_id this one reverses (same account, same amount, reversed once)",
    )

    def posted(self) -> Posted:
        return Posted(
            payment_id=self.payment_id,
            account_id=self.account_id,
            paid_on=self.paid_on,
            currency=self.currency,
            amount=self.amount,
            channel=self.channel,
            reverses=self.reverses,
        )


class PaymentsIn(BaseModel):
    """A small batch of payments; a lone payment object is taken as a batch of one."""

    model_config = ConfigDict(extra="forbid")

    payments: list[PaymentIn] = Field(min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _one_or_many(cls, data: Any) -> Any:
        if isinstance(data, dict) and "payments" not in data and "payment_id" in data:
            return {"payments": [data]}
        return data


class PaymentOut(BaseModel):
    payment_id: str
    account_id: str
    paid_on: date
    currency: str = Field(description="The account's currency")
    amount: str = Field(description="Major units")
    channel: str | None
    reverses: str | None

    @classmethod
    def of(cls, row: Payment) -> PaymentOut:
        return cls(
            payment_id=row.payment_id,
            account_id=row.account_id,
            paid_on=row.paid_on,
            currency=row.currency,
            amount=format_major(row.amount, row.currency),
            channel=row.channel,
            reverses=row.reverses,
        )


class PaymentsOut(BaseModel):
    payments: list[PaymentOut] = Field(description="Every payment of the request as stored, in its order")

    @classmethod
    def of(cls, rows: Sequence[Payment]) -> PaymentsOut:
        return cls(payments=[PaymentOut.of(row) for row in rows])


class UnpostedOut(BaseModel):
    case_id: str
    customer_id: str
    account_id: str
    amount: str = Field(description="Major units")
    currency: str
    trade_no: str = Field(description="The payment provider's trade number")
    paid_at: datetime = Field(description="When the customer paid, as the provider says")
    received_at: datetime = Field(description="When the provider's confirmation came")
    hours_waiting: int = Field(description="Whole hours since it came")

    @classmethod
    def of(cls, row: Unposted, now: datetime) -> UnpostedOut:
        return cls(
            case_id=row.case_id,
            customer_id=row.customer_id,
            account_id=row.account_id,
            amount=format_major(row.amount, row.currency),
            currency=row.currency,
            trade_no=row.trade_no,
            paid_at=row.paid_at,
            received_at=row.received_at,
            hours_waiting=row.hours_waiting(now),
        )


class UnpostedPage(BaseModel):
    items: list[UnpostedOut] = Field(description="Oldest first, at most 1,000")
    older_than_hours: int
