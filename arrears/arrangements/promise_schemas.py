"""API shapes of promises to pay (requests and answers)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from arrears.arrangements.models import Promise, PromiseInstallment
from arrears.arrangements.promises import MAX_INSTALLMENTS, PromiseView
from arrears.money import format_major

MAX_ID = 2**31 - 1


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PromiseInstallmentIn(_In):
    due_on: date = Field(description="The date the amount is promised by (today or later)")
    amount: str = Field(
        max_length=32,
        description="A decimal string in major units of the promise's currency, above zero",
        examples=["1500.00"],
    )


class PromiseIn(_In):
    installments: list[PromiseInstallmentIn] = Field(
        min_length=1,
        max_length=MAX_INSTALLMENTS,
        description="The dated amounts, in strictly increasing dates",
    )
    currency: str = Field(
        min_length=3, max_length=3, description="ISO 4217: the currency of an account of the case"
    )
    account_id: str | None = Field(
        default=None,
        max_length=64,
        description="One account of the case; none: the case's accounts in that currency",
    )
    contact_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The contact of this case the promise was taken on"
    )


class PromiseCancelIn(_In):
    reason: str = Field(
        max_length=500,
        description="Why (kept in the audit trail); at least 8 characters",
        examples=["客户来电撤回承诺，改为申请分期"],
    )


class PromiseInstallmentOut(BaseModel):
    seq: int
    due_on: date
    amount: str = Field(description="Major units")
    paid_amount: str = Field(description="Major units counted towards it, as last evaluated")
    status: str = Field(description="open, kept, partially_kept or broken")

    @classmethod
    def of(cls, row: PromiseInstallment, currency: str) -> PromiseInstallmentOut:
        return cls(
            seq=row.seq,
            due_on=row.due_on,
            amount=format_major(row.amount, currency),
            paid_amount=format_major(row.paid_amount, currency),
            status=row.status,
        )


class PromiseOut(BaseModel):
    id: int
    case_id: str
    account_id: str | None
    currency: str
    amount: str = Field(description="Major units: the sum of the installments")
    paid_amount: str = Field(description="Major units paid since taken, as last evaluated")
    status: str = Field(description="open, kept, partially_kept, broken, superseded or cancelled")
    taken_at: datetime
    taken_on: date = Field(description="The bank's business date when taken: payments from then on count")
    taken_by: int | None
    contact_id: int | None
    superseded_by: int | None = Field(description="The promise that replaced this one")
    first_due_on: date
    last_due_on: date
    evaluated_on: date | None = Field(description="As-of date of the nightly evaluation that last changed it")
    closed_on: date | None
    version: int = Field(description="What If-Match names (the ETag)")
    installments: list[PromiseInstallmentOut]

    @classmethod
    def of(cls, view: PromiseView) -> PromiseOut:
        promise: Promise = view.promise
        return cls(
            id=promise.id,
            case_id=promise.case_id,
            account_id=promise.account_id,
            currency=promise.currency,
            amount=format_major(promise.amount, promise.currency),
            paid_amount=format_major(promise.paid_amount, promise.currency),
            status=promise.status,
            taken_at=promise.taken_at,
            taken_on=promise.taken_on,
            taken_by=promise.taken_by,
            contact_id=promise.contact_id,
            superseded_by=promise.superseded_by,
            first_due_on=promise.first_due_on,
            last_due_on=promise.last_due_on,
            evaluated_on=promise.evaluated_on,
            closed_on=promise.closed_on,
            version=promise.version,
            installments=[PromiseInstallmentOut.of(row, promise.currency) for row in view.installments],
        )


class PromisesOut(BaseModel):
    case_id: str
    promises: list[PromiseOut] = Field(description="Newest first")
    next_cursor: str | None = Field(description="The cursor of the next page; none: the last page")
