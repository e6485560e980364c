"""The audit trail's API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_serializer

from arrears.audit.repository import COLUMN_NAMES


class AuditEntryOut(BaseModel):
    """One entry as it is stored and hashed (its hash can be recomputed from these fields)."""

    seq: int = Field(description="Position in the chain, from 1, without gaps")
    at: datetime = Field(description="When (UTC)")
    actor_id: int | None = Field(description="users.id of the actor; null for the system")
    actor_name: str
    actor_role: str
    action: str = Field(description="e.g. case.assign, personal.reveal, auth.sign_in")
    outcome: str = Field(description="ok, refused or failed")
    object_type: str | None
    object_id: str | None
    customer_id: str | None = Field(description="Whose data")
    before: str | None = Field(description="Canonical JSON of the values before, personal fields masked")
    after: str | None = Field(description="Canonical JSON of the values after, personal fields masked")
    reason: str | None
    rules: str | None = Field(description="Compliance rule ids, comma separated")
    request_id: str | None
    client: str | None = Field(description="The caller's address")
    prev_hash: str = Field(description="The hash of the entry before (64 zeros for the first)")
    hash: str = Field(description="SHA-256 of this entry's canonical content, prev_hash included")

    @field_serializer("at")
    def _as_hashed(self, value: datetime) -> str:
        """The instant as the hash took it (UTC, with microseconds), not pydantic's short form."""
        return value.isoformat(timespec="microseconds")

    @classmethod
    def of(cls, row: Any) -> AuditEntryOut:
        return cls.model_validate(dict(zip(COLUMN_NAMES, row, strict=True)))


class EntriesPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page")


class VerifyOut(BaseModel):
    intact: bool
    entries: int = Field(description="Entries verified (all of them when intact)")
    head_seq: int = Field(description="The last entry verified")
    head_hash: str = Field(description="Its hash: keep it outside the database to anchor the chain")
    broken_at: int | None = Field(default=None, description="The first entry that does not verify")
    kind: str | None = Field(default=None, description="changed, removed, inserted or reordered")
    detail: str | None = Field(default=None, description="What is wrong, in the caller's language")
