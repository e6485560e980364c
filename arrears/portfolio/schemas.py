"""API shapes of the portfolio: customers with contact points, accounts with their DPD history,
installments and payments, and the reveal of a personal field. Amounts are decimal strings in
major units beside their currency, never floats."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import BaseModel, Field, model_validator

from arrears.auth.permissions import PersonalField
from arrears.money import format_major
from arrears.portfolio.reveal import CONTACT_FIELDS, MAX_REASON_LENGTH, MIN_REASON_LENGTH, RevealReason


class Amount(BaseModel):
    """An amount of money: a decimal string in major units and its ISO 4217 currency."""

    amount: str = Field(description="Decimal string in major units, e.g. 1234.56", examples=["1234.56"])
    currency: str = Field(description="ISO 4217 code", examples=["CNY"])

    @classmethod
    def of(cls, minor: int, currency: str) -> Amount:
        return cls(amount=format_major(minor, currency), currency=currency)

    @classmethod
    def maybe(cls, minor: int | None, currency: str) -> Amount | None:
        return None if minor is None else cls.of(minor, currency)


class ContactPointOut(BaseModel):
    id: int = Field(description="Names the contact point in a reveal")
    type: str = Field(description="mobile, landline, work_phone, email, address or wechat")
    value: str = Field(description="Masked unless the caller's role sees this kind of field in full")
    masked: bool
    label: str | None
    party: str = Field(description="Whose contact point: debtor, guarantor, reference, …")
    relation: str | None
    primary: bool
    do_not_contact: bool


class CustomerOut(BaseModel):
    customer_id: str
    name: str
    language: str | None
    country: str | None
    timezone: str | None
    segment: str | None
    national_id: str | None = Field(description="Masked (110***********1234) unless the role sees it")
    birth_date: str | None = Field(description="Masked (1990-**-**) unless the role sees it")
    masked: list[str] = Field(description="The customer's own personal fields shown masked")
    contact_points: list[ContactPointOut]


class SnapshotOut(BaseModel):
    """An account's delinquency on one business date, as the nightly batch found it."""

    as_of: date
    status: str
    dpd: int
    bucket: str
    overdue: Amount
    outstanding: Amount
    roll: str = Field(description="new, same, forward, back or cured")


class InstallmentOut(BaseModel):
    seq: int
    due_date: date
    amount_due: Amount
    principal_due: Amount | None
    interest_due: Amount | None
    fees_due: Amount | None


class PaymentOut(BaseModel):
    payment_id: str
    paid_on: date
    amount: Amount
    channel: str | None
    reverses: str | None = Field(description="The payment this one reverses, if it is a reversal")


class SnapshotPage(BaseModel):
    items: list[SnapshotOut] = Field(description="The latest first")
    next_cursor: str | None = Field(description="Pass as history_cursor for older ones; none: no more")


class InstallmentPage(BaseModel):
    items: list[InstallmentOut] = Field(description="The latest (highest sequence number) first")
    next_cursor: str | None = Field(description="Pass as installments_cursor for earlier ones; none: no more")


class PaymentPage(BaseModel):
    items: list[PaymentOut] = Field(description="The latest first")
    next_cursor: str | None = Field(description="Pass as payments_cursor for earlier ones; none: no more")


class AccountOut(BaseModel):
    account_id: str
    customer_id: str
    product: str
    currency: str
    opened_on: date
    status: str
    branch: str | None
    principal: Amount | None
    credit_limit: Amount | None
    interest_rate: str | None = Field(description="Annual rate as a decimal string, 0.1825 = 18.25%")
    snapshot: SnapshotOut | None = Field(description="The latest delinquency snapshot; none before a batch")
    dpd_history: SnapshotPage
    installments: InstallmentPage
    payments: PaymentPage


class RevealIn(BaseModel):
    """Which field to reveal and why. A phone, e-mail or address names its contact point."""

    field: PersonalField
    contact_point_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Required for phone, email and address; absent for the others",
    )
    reason_code: RevealReason = Field(
        description=(
            "identity_check (confirming who the customer is), contact_attempt (calling, writing or "
            "visiting), customer_request (their own data), legal (court, lawyer, regulator), "
            "complaint (handling one)"
        )
    )
    reason: str = Field(
        min_length=MIN_REASON_LENGTH,
        max_length=MAX_REASON_LENGTH,
        description=f"Free text, at least {MIN_REASON_LENGTH} characters",
    )

    @model_validator(mode="after")
    def _contact_point_when_needed(self) -> Self:
        if (self.field in CONTACT_FIELDS) != (self.contact_point_id is not None):
            raise ValueError("contact_point_id is required for phone, email and address, and only for them")
        return self


class RevealOut(BaseModel):
    customer_id: str
    field: PersonalField
    contact_point_id: int | None
    value: str | None = Field(description="In full; none when the customer has no such value")
    revealed_today: int = Field(description="The caller's reveals this business day, this one included")
    daily_cap: int
