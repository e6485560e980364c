"""API shapes of the case timeline."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from arrears.timeline.sources import Entry


class ActorOut(BaseModel):
    id: int
    name: str | None


class EntryOut(BaseModel):
    at: datetime = Field(
        description="When it happened (a business date's entries: its start in the bank's zone)"
    )
    kind: str = Field(
        description="case_opened, case_closed, case_bucket_changed…, assignment, contact, promise_taken, "
        "promise_outcome, arrangement_proposed|decided|ended, payment, hold_placed|lifted, "
        "dispute_raised|closed, complaint_received|responded|closed, placement, placement_recalled, visit"
    )
    id: str = Field(description="The id of the record it comes from (with kind, unique in the timeline)")
    title: str = Field(description="In the caller's language")
    details: list[str] = Field(description="In the caller's language; contact points masked per role")
    actor: ActorOut | None = Field(description="Who did it; none: the system or the batch")
    links: dict[str, int | str] = Field(description="Ids of the records it concerns (contact_id, hold_id …)")

    @classmethod
    def of(cls, entry: Entry, language: str, names: dict[int, str]) -> EntryOut:
        return cls(
            at=entry.at,
            kind=entry.kind,
            id=str(entry.id),
            title=entry.title.render(language),
            details=[detail.render(language) for detail in entry.details],
            actor=None
            if entry.actor_id is None
            else ActorOut(id=entry.actor_id, name=names.get(entry.actor_id)),
            links=entry.links,
        )


class TimelineOut(BaseModel):
    case_id: str
    language: str = Field(description="zh-CN or en: the caller's (their setting, else Accept-Language)")
    entries: list[EntryOut] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; none: the last page")
