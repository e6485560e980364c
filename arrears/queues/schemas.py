"""API shapes of queues: queue sets and their preview, the queues with their sizes, collector
profiles, retention."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from arrears.money import format_major
from arrears.queues.calls import CallTaskItem
from arrears.queues.models import CollectorProfile, QueueSet, Retention
from arrears.queues.planner import Plan
from arrears.queues.rules import QueueSetDocument
from arrears.queues.service import QueueSize


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueSetIn(_In):
    document: str = Field(
        min_length=1, max_length=200_000, description="The queue set as YAML (see docs/casework.md)"
    )
    note: str | None = Field(default=None, max_length=500, description="What changes, for the record")


class QueueOut(BaseModel):
    code: str
    name: str = Field(description="In the caller's language")
    team: str | int


class QueueSetOut(BaseModel):
    number: int
    status: str = Field(description="draft, active or retired")
    version: int
    digest: str
    note: str | None
    created_at: datetime
    created_by: int | None
    activated_at: datetime | None
    activated_by: int | None
    queues: list[QueueOut]
    document: str | None = Field(default=None, description="The YAML as written (on one set's page)")

    @classmethod
    def of(cls, row: QueueSet, document: QueueSetDocument, language: str, *, full: bool) -> QueueSetOut:
        chinese = language.lower().startswith("zh")
        return cls(
            number=row.number,
            status=row.status,
            version=row.version,
            digest=row.digest,
            note=row.note,
            created_at=row.created_at,
            created_by=row.created_by,
            activated_at=row.activated_at,
            activated_by=row.activated_by,
            queues=[
                QueueOut(code=q.code, name=q.name.zh_cn if chinese else q.name.en, team=q.team)
                for q in document.queues
            ],
            document=row.document if full else None,
        )


class QueueSetsOut(BaseModel):
    sets: list[QueueSetOut]


class PreviewOut(BaseModel):
    number: int
    as_of: date
    cases: dict[str, int] = Field(description="Open cases each queue would take")
    queue_moves: int = Field(description="Cases that would enter another queue (or their first)")
    left_queues: int = Field(description="Cases that no queue would take any more")
    collector_moves: int = Field(description="Cases that would change team or collector")
    pooled: int = Field(description="Of those, cases left in a team's pool (no collector with room)")

    @classmethod
    def of(cls, plan: Plan, as_of: date) -> PreviewOut:
        return cls(
            number=plan.queue_set,
            as_of=as_of,
            cases=plan.cases,
            queue_moves=plan.queue_moves,
            left_queues=plan.left_queues,
            collector_moves=plan.collector_moves,
            pooled=plan.pooled,
        )


class QueueSizeOut(BaseModel):
    team_id: int
    queue: str
    currency: str
    cases: int
    overdue: str = Field(description="Overdue total, major units of the currency")
    mean_dpd: float = Field(description="Mean days past due of the cases")
    oldest_entry: date | None = Field(description="The earliest date one of the cases entered the queue")

    @classmethod
    def of(cls, size: QueueSize) -> QueueSizeOut:
        return cls(
            team_id=size.team_id,
            queue=size.queue,
            currency=size.currency,
            cases=size.cases,
            overdue=format_major(size.overdue, size.currency),
            mean_dpd=round(size.mean_dpd, 1),
            oldest_entry=size.oldest_entry,
        )


class QueuesOut(BaseModel):
    queue_set: int | None = Field(description="The active queue set; none: no queue set is active")
    queues: list[QueueSizeOut]


class ProfileIn(_In):
    languages: list[str] = Field(max_length=20, description="BCP 47 tags; empty: any language")
    products: list[str] = Field(max_length=50, description="Product codes; empty: any product")
    capacity: int = Field(ge=0, le=1_000_000, description="Open cases at most")


class ProfileOut(BaseModel):
    user_id: int
    languages: list[str]
    products: list[str]
    capacity: int | None = Field(description="None: no profile yet (the queue set's default capacity)")
    version: int | None
    updated_at: datetime | None

    @classmethod
    def of(cls, user_id: int, row: CollectorProfile | None) -> ProfileOut:
        if row is None:
            return cls(
                user_id=user_id, languages=[], products=[], capacity=None, version=None, updated_at=None
            )
        return cls(
            user_id=user_id,
            languages=list(row.languages),
            products=list(row.products),
            capacity=row.capacity,
            version=row.version,
            updated_at=row.updated_at,
        )


class RetentionIn(_In):
    days: int = Field(ge=1, le=90, description="Business days to keep the case, today counted")
    reason: str = Field(max_length=500, description="Why (at least 8 characters)")


class RetentionOut(BaseModel):
    id: int
    case_id: str
    collector_id: int
    until: date = Field(description="The last date the case is kept")
    reason: str
    created_at: datetime
    created_by: int
    released_at: datetime | None

    @classmethod
    def of(cls, row: Retention) -> RetentionOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            collector_id=row.collector_id,
            until=row.until,
            reason=row.reason,
            created_at=row.created_at,
            created_by=row.created_by,
            released_at=row.released_at,
        )


class CallTaskOut(BaseModel):
    id: int
    case_id: str
    due_on: date = Field(description="The business day of the call")
    window_start: datetime
    window_end: datetime
    best: bool = Field(description="The step asked for the customer's best time to call")
    state: str = Field(description="done, open (the window holds now), later or passed")
    contact_id: int | None = Field(description="The contact that did it (done)")
    pooled: bool = Field(description="No collector holds the case: your team's to take through next case")
    reason: str = Field(description="The strategy step's reason, in the caller's language")
    why: dict[str, Any] = Field(description="Strategy version, segment, arm, path, day, facts, score")

    @classmethod
    def of(cls, item: CallTaskItem, at: datetime, language: str) -> CallTaskOut:
        return cls(
            id=item.id,
            case_id=item.case_id,
            due_on=item.due_on,
            window_start=item.window_start,
            window_end=item.window_end,
            best=item.best,
            state=str(item.state(at)),
            contact_id=item.contact_id,
            pooled=item.pooled,
            reason=item.reason.render(language),
            why=item.why,
        )


class CallTasksOut(BaseModel):
    day: date
    tasks: list[CallTaskOut]
