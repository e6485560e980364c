"""API shapes of cases: the list, one case with its customer, accounts, score, assignment and
placements."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from arrears.portfolio.schemas import Amount


class CaseSummary(BaseModel):
    case_id: str
    customer_id: str
    status: str = Field(description="open or closed")
    opened_on: date
    closed_on: date | None
    close_reason: str | None
    worst_dpd: int
    bucket: str
    overdue: Amount = Field(description="Overdue of the case's accounts in the currency of the worst one")
    account_count: int
    updated_on: date = Field(description="As-of date of the batch that last updated the case")
    team_id: int | None = Field(description="The team the case is assigned to now; none: unassigned")
    collector_id: int | None = Field(description="The collector it is assigned to now, if one")
    score: int | None = Field(
        description="The case's score (its riskiest account's) on the latest date scored"
    )
    band: str | None


class CasePage(BaseModel):
    items: list[CaseSummary] = Field(description="Worst DPD first, then by case id")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; none: the last page")
    limit: int


class CaseCustomer(BaseModel):
    customer_id: str
    name: str
    national_id: str | None = Field(description="Masked unless the caller's role sees it")
    birth_date: str | None = Field(description="Masked unless the caller's role sees it")


class CaseAccountOut(BaseModel):
    account_id: str
    product: str
    account_status: str
    delinquent: bool
    dpd: int
    bucket: str
    overdue: Amount
    joined_on: date


class ScoreReason(BaseModel):
    feature: str
    value: float | str | None
    effect: float = Field(description="Push on the score; negative lowers it")
    text: str = Field(description="The reason in the caller's language")


class CaseScore(BaseModel):
    score: int
    band: str
    probability: float = Field(description="Calibrated probability of paying")
    as_of: date
    account_id: str = Field(description="The account the score is of (the case's lowest)")
    reasons: list[ScoreReason] = Field(description="Strongest first")


class AssignmentOut(BaseModel):
    team_id: int
    team_code: str
    team_name: str
    collector_id: int | None
    collector: str | None = Field(description="The collector's user name")
    assigned_at: datetime
    reason: str


class PlacementOut(BaseModel):
    id: int
    account_id: str
    agency_id: int
    agency: str
    starts_on: date
    ends_on: date = Field(description="The last day of the placement")


class CallScriptOut(BaseModel):
    template_id: int = Field(description="The approved call-script template (channel call)")
    code: str = Field(description="call_script.<bucket> (the bucket's own) or call_script (generic)")
    number: int = Field(description="The template's version number")
    language: str = Field(description="The caller's language, else the customer's, else zh-CN")
    bucket: str = Field(description="The case's bucket it was picked for")
    text: str | None = Field(description="The script with the case's facts; none when it does not render")
    problem: str | None = Field(description="Why it does not render for this case, in the caller's language")


class CaseDetail(CaseSummary):
    customer: CaseCustomer
    accounts: list[CaseAccountOut] = Field(description="The case's accounts the caller sees, worst first")
    assignment: AssignmentOut | None
    placements: list[PlacementOut] | None = Field(
        description="Placements in force of these accounts; none for a role without placement.read"
    )
    scoring: CaseScore | None = Field(description="The score with its reasons; none when not scored")
    call_script: CallScriptOut | None = Field(
        default=None, description="The approved call script (话术) for the case's bucket; none when none"
    )
