"""API shapes of case work: assignments, placements and field visits (requests and answers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arrears.cases.models import CaseAssignment, FieldVisit, Placement


def _reason() -> Any:
    return Field(
        max_length=500,
        description="Why (kept with the change and in the audit trail); at least 8 characters",
        examples=["客户要求更换催收员，转交组长处理"],
    )


MAX_ID = 2**31 - 1
"""The largest row id (an INTEGER column); a larger one is malformed (422), never a database error."""
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignmentIn(_In):
    team_id: Id = Field(description="A team the caller leads")
    collector_id: Id | None = Field(
        default=None, description="An active collector of that team; none: the team's pool"
    )
    reason: str = _reason()
    expected_assignment_id: Id | Literal["unassigned"] | None = Field(
        default=None,
        description=(
            "The assignment the caller expects to replace (as read), or 'unassigned'; when it is no "
            "longer current the change is refused (409). The If-Match header says the same."
        ),
    )


class BulkAssignmentIn(_In):
    case_ids: list[str] = Field(min_length=1, description="The cases to move, all or nothing (at most 500)")
    team_id: Id = Field(description="A team the caller leads")
    collector_id: Id | None = Field(default=None, description="An active collector of that team")
    reason: str = _reason()


class AssignmentOut(BaseModel):
    id: int
    case_id: str
    team_id: int
    collector_id: int | None
    assigned_at: datetime
    assigned_by: int | None = Field(description="The supervisor; none: the system")
    reason: str
    ended_at: datetime | None = Field(description="None: the current assignment")

    @classmethod
    def of(cls, row: CaseAssignment) -> AssignmentOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            team_id=row.team_id,
            collector_id=row.collector_id,
            assigned_at=row.assigned_at,
            assigned_by=row.assigned_by,
            reason=row.reason,
            ended_at=row.ended_at,
        )


class BulkAssignmentOut(BaseModel):
    count: int
    assignments: list[AssignmentOut]


class AssignmentHistoryOut(BaseModel):
    case_id: str
    current: AssignmentOut | None
    history: list[AssignmentOut] = Field(description="Every assignment, newest first")


class PlacementIn(_In):
    account_ids: list[str] = Field(min_length=1, description="Accounts to place (at most 500)")
    agency_id: Id
    starts_on: date
    ends_on: date = Field(description="The last day of the placement (not before starts_on)")
    reason: str = _reason()


class RecallIn(_In):
    reason: str = _reason()


class PlacementOut(BaseModel):
    id: int
    account_id: str
    agency_id: Id
    starts_on: date
    ends_on: date
    placed_at: datetime
    placed_by: int | None
    reason: str
    recalled_at: datetime | None
    recalled_by: int | None
    recall_reason: str | None
    active: bool = Field(description="In force today and not recalled")

    @classmethod
    def of(cls, row: Placement, today: date) -> PlacementOut:
        return cls(
            id=row.id,
            account_id=row.account_id,
            agency_id=row.agency_id,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            placed_at=row.placed_at,
            placed_by=row.placed_by,
            reason=row.reason,
            recalled_at=row.recalled_at,
            recalled_by=row.recalled_by,
            recall_reason=row.recall_reason,
            active=row.recalled_at is None and row.starts_on <= today <= row.ends_on,
        )


class PlacementsOut(BaseModel):
    placements: list[PlacementOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; none: the last page")


class VisitIn(_In):
    agent_id: Id = Field(description="An active field agent of a team the caller leads")
    planned_on: date = Field(description="Today or later")
    reason: str = _reason()


class CancelIn(_In):
    reason: str = _reason()


class VisitOut(BaseModel):
    id: int
    case_id: str
    customer_id: str
    agent_id: int
    planned_on: date
    status: str = Field(description="planned, done or cancelled")
    assigned_at: datetime
    assigned_by: int | None
    reason: str

    @classmethod
    def of(cls, row: FieldVisit) -> VisitOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            customer_id=row.customer_id,
            agent_id=row.agent_id,
            planned_on=row.planned_on,
            status=row.status,
            assigned_at=row.assigned_at,
            assigned_by=row.assigned_by,
            reason=row.reason,
        )
