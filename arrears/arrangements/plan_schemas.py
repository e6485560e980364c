"""API shapes of repayment plans and settlements (requests and answers). Amounts are integer
minor units of the stated currency; shares and weights are decimals written as strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.arrangements.models import Arrangement, ArrangementInstallment
from arrears.arrangements.plans import PlanRequest, SettlementRequest, Terms
from arrears.arrangements.schedule import MAX_INSTALLMENTS, Frequency, Method, Rounding

MAX_ID = 2**31 - 1
MAX_AMOUNT = 2**62
"""Minor units one amount has at most (a BIGINT column)."""
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
Count = Annotated[int, Field(ge=1, le=MAX_INSTALLMENTS)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")]
Weight = Annotated[Decimal, Field(gt=0, le=Decimal(10**6), max_digits=12, decimal_places=6)]


def _note(description: str) -> Any:
    return Field(default=None, max_length=500, description=description)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _TermsIn(_In):
    first_due_on: date = Field(description="The first installment's due date: today or later")
    count: Count = Field(default=1, description="Installments (equal or graduated by step)")
    frequency: Frequency = Field(default=Frequency.MONTHLY, description="monthly, biweekly or weekly")
    rounding: Rounding = Field(
        default=Rounding.REMAINDER_LAST,
        description=(
            "remainder_last: each installment rounded down, the remainder on the last; or remainder_first"
        ),
    )
    installments: list[Amount] | None = Field(
        default=None,
        max_length=MAX_INSTALLMENTS,
        description="custom: the amounts, summing to the total (count is their number)",
    )


class PlanIn(_TermsIn):
    method: Method = Field(default=Method.EQUAL, description="equal, graduated or custom")
    amount: Amount | None = Field(
        default=None, description="Minor units to schedule; none: all that is owed (the owed amount basis)"
    )
    account_id: str | None = Field(
        default=None, max_length=64, description="One account of the case; none: all"
    )
    currency: Currency | None = Field(default=None, description="None: the account's, else the case's")
    step: Annotated[int, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)] | None = Field(
        default=None, description="graduated: minor units each installment rises by"
    )
    weights: list[Weight] | None = Field(
        default=None,
        max_length=MAX_INSTALLMENTS,
        description='graduated: the installments in proportion to these (["1", "1", "2"])',
    )
    note: str | None = _note("Why, for the audit trail (8 characters at least when given)")

    @model_validator(mode="after")
    def _one_shape(self) -> PlanIn:
        if (self.step is not None or self.weights is not None) and self.method is not Method.GRADUATED:
            raise ValueError("step and weights go with the graduated method")
        if self.step is not None and self.weights is not None:
            raise ValueError("a graduated plan rises by a step or by weights, not both")
        if self.method is Method.SINGLE:
            raise ValueError("a plan is equal, graduated or custom")
        return self

    def request(self) -> PlanRequest:
        method = Method.CUSTOM if self.installments is not None else self.method
        return PlanRequest(
            terms=Terms(
                first_due_on=self.first_due_on,
                method=method,
                count=len(self.weights) if self.weights else self.count,
                frequency=self.frequency,
                rounding=self.rounding,
                step=self.step,
                weights=self.weights,
                amounts=self.installments,
            ),
            amount=self.amount,
            account_id=self.account_id,
            currency=self.currency,
            note=self.note,
        )


class SettlementIn(_TermsIn):
    total: Amount = Field(description="The discounted total the customer pays, minor units")
    waived_fees: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] = Field(
        default=0, description="Fees waived, minor units"
    )
    account_id: str | None = Field(
        default=None, max_length=64, description="One account of the case; none: all"
    )
    currency: Currency | None = Field(default=None, description="None: the account's, else the case's")
    note: str | None = _note("Why, for the audit trail (8 characters at least when given)")

    def request(self) -> SettlementRequest:
        method = Method.CUSTOM if self.installments is not None else Method.EQUAL
        return SettlementRequest(
            terms=Terms(
                first_due_on=self.first_due_on,
                method=method,
                count=self.count,
                frequency=self.frequency,
                rounding=self.rounding,
                amounts=self.installments,
            ),
            total=self.total,
            waived_fees=self.waived_fees,
            account_id=self.account_id,
            currency=self.currency,
            note=self.note,
        )


class DecisionIn(_In):
    note: str | None = _note("The checker's note (required to reject, 8 characters at least)")


class CancelIn(_In):
    reason: str = Field(max_length=500, description="Why it is cancelled; at least 8 characters")


class InstallmentOut(BaseModel):
    seq: int
    due_on: date
    amount: int
    paid_amount: int
    status: str = Field(description="open, paid, late (past due, within the grace) or missed")

    @classmethod
    def of(cls, row: ArrangementInstallment) -> InstallmentOut:
        return cls(
            seq=row.seq, due_on=row.due_on, amount=row.amount, paid_amount=row.paid_amount, status=row.status
        )


class ArrangementOut(BaseModel):
    id: int
    case_id: str
    account_id: str | None
    kind: str = Field(description="plan or settlement")
    method: str
    rounding: str
    status: str = Field(description="proposed, approved, rejected, active, completed, broken or cancelled")
    currency: str
    owed_amount: int = Field(description="Minor units owed when proposed")
    total_amount: int = Field(description="Minor units to be paid")
    discount_amount: int
    waived_fees: int
    installment_count: int
    needs_approval: bool
    approval_reasons: list[str] = Field(description="The maker's limits it goes beyond")
    proposed_at: datetime
    proposed_by: int | None
    decided_at: datetime | None
    decided_by: int | None = Field(description="The checker; none: approved within the maker's limits")
    decision_note: str | None
    starts_on: date | None = Field(description="Payments from this date count")
    activated_at: datetime | None
    ended_on: date | None
    version: int = Field(description="What If-Match names (the ETag)")
    installments: list[InstallmentOut]

    @classmethod
    def of(cls, row: Arrangement, installments: list[ArrangementInstallment]) -> ArrangementOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            account_id=row.account_id,
            kind=row.kind,
            method=row.method,
            rounding=row.rounding,
            status=row.status,
            currency=row.currency,
            owed_amount=row.owed_amount,
            total_amount=row.total_amount,
            discount_amount=row.discount_amount,
            waived_fees=row.waived_fees,
            installment_count=row.installment_count,
            needs_approval=row.needs_approval,
            approval_reasons=row.approval_reasons.split("; ") if row.approval_reasons else [],
            proposed_at=row.proposed_at,
            proposed_by=row.proposed_by,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            decision_note=row.decision_note,
            starts_on=row.starts_on,
            activated_at=row.activated_at,
            ended_on=row.ended_on,
            version=row.version,
            installments=[InstallmentOut.of(i) for i in installments],
        )


class ArrangementsOut(BaseModel):
    case_id: str
    arrangements: list[ArrangementOut]


class InboxOut(BaseModel):
    arrangements: list[ArrangementOut] = Field(description="Waiting for approval, oldest first")
    next_cursor: str | None
