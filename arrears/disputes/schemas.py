"""API shapes of holds, disputes and complaints (requests and answers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from arrears.disputes.models import Complaint, Dispute, Hold

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
LongText = Annotated[str, Field(max_length=4000)]
Reason = Annotated[
    str,
    Field(max_length=500, description="Why (kept in the audit trail); at least 8 characters"),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoldIn(_In):
    kind: Literal["cease", "bankruptcy", "deceased", "hardship", "vulnerability"] = Field(
        description="A dispute's hold is placed by recording the dispute"
    )
    evidence: LongText = Field(
        description="What shows it (a document, a call, a notice); at least 8 characters",
        examples=["客户来电书面申请停止催收联系，附申请书扫描件"],
    )
    evidence_uri: str | None = Field(
        default=None, max_length=1000, description="Where the document is kept (https://, s3://, urn: …)"
    )


class LiftIn(_In):
    reason: Reason


class HoldOut(BaseModel):
    id: int
    customer_id: str
    case_id: str | None
    kind: str
    evidence: str
    evidence_uri: str | None
    placed_at: datetime
    placed_by: int | None
    lifted_at: datetime | None = Field(description="None: the hold stands")
    lifted_by: int | None
    lift_reason: str | None
    version: int

    @classmethod
    def of(cls, row: Hold) -> HoldOut:
        return cls(
            id=row.id,
            customer_id=row.customer_id,
            case_id=row.case_id,
            kind=row.kind,
            evidence=row.evidence,
            evidence_uri=row.evidence_uri,
            placed_at=row.placed_at,
            placed_by=row.placed_by,
            lifted_at=row.lifted_at,
            lifted_by=row.lifted_by,
            lift_reason=row.lift_reason,
            version=row.version,
        )


class HoldsOut(BaseModel):
    customer_id: str
    holds: list[HoldOut] = Field(description="Newest first")


class DisputeIn(_In):
    kind: Literal["debt", "amount"] = Field(description="debt: not owed at all; amount: not this amount")
    written: bool = Field(default=False, description="Received in writing")
    description: LongText = Field(
        description="What the customer contests; at least 8 characters", examples=["客户称该笔贷款非本人申请"]
    )
    account_id: str | None = Field(
        default=None, max_length=64, description="The account of the case it is about"
    )


class ResolveIn(_In):
    outcome: Literal["upheld", "rejected"] = Field(
        description="upheld: the customer is right (debt or amount corrected); rejected: verified, it stands"
    )
    resolution: LongText = Field(description="What was found and done; at least 8 characters")


class WithdrawIn(_In):
    reason: Reason


class DisputeOut(BaseModel):
    id: int
    case_id: str
    customer_id: str
    account_id: str | None
    kind: str
    written: bool
    description: str
    status: str = Field(description="open, upheld, rejected or withdrawn")
    received_at: datetime
    verify_by: date = Field(description="The verification deadline")
    overdue: bool = Field(description="Open and past verify_by")
    hold_id: int | None
    recorded_by: int | None
    resolved_at: datetime | None
    resolved_by: int | None
    resolution: str | None
    version: int

    @classmethod
    def of(cls, row: Dispute, today: date) -> DisputeOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            customer_id=row.customer_id,
            account_id=row.account_id,
            kind=row.kind,
            written=row.written,
            description=row.description,
            status=row.status,
            received_at=row.received_at,
            verify_by=row.verify_by,
            overdue=row.status == "open" and row.verify_by < today,
            hold_id=row.hold_id,
            recorded_by=row.recorded_by,
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            resolution=row.resolution,
            version=row.version,
        )


class DisputesOut(BaseModel):
    disputes: list[DisputeOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; none: the last page")


class ComplaintIn(_In):
    category: Literal["conduct", "harassment", "third_party", "privacy", "charges", "service", "other"]
    description: LongText = Field(
        description="The grievance; at least 8 characters", examples=["催收员夜间多次来电"]
    )
    about_user_id: Id | None = Field(default=None, description="Whose conduct")
    contact_id: Id | None = Field(default=None, description="The contact of the case it is about")


class AssignIn(_In):
    owner_id: Id = Field(description="An active user whose role handles complaints")
    reason: Reason


class RespondIn(_In):
    response: LongText = Field(description="The answer given to the customer; at least 8 characters")


class CloseIn(_In):
    reason: Reason


class ComplaintOut(BaseModel):
    id: int
    case_id: str
    customer_id: str
    category: str
    description: str
    about_user_id: int | None
    contact_id: int | None
    status: str = Field(description="open, responded or closed")
    owner_id: int | None = Field(description="None: in the compliance officers' queue")
    respond_by: date
    overdue: bool = Field(description="Open (not answered) and past respond_by")
    received_at: datetime
    recorded_by: int | None
    response: str | None
    responded_at: datetime | None
    closed_at: datetime | None
    version: int

    @classmethod
    def of(cls, row: Complaint, today: date) -> ComplaintOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            customer_id=row.customer_id,
            category=row.category,
            description=row.description,
            about_user_id=row.about_user_id,
            contact_id=row.contact_id,
            status=row.status,
            owner_id=row.owner_id,
            respond_by=row.respond_by,
            overdue=row.status == "open" and row.respond_by < today,
            received_at=row.received_at,
            recorded_by=row.recorded_by,
            response=row.response,
            responded_at=row.responded_at,
            closed_at=row.closed_at,
            version=row.version,
        )


class ComplaintsOut(BaseModel):
    complaints: list[ComplaintOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; none: the last page")
