"""API shapes of the outbox (requests and answers): never a message's text or recipient."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from arrears.channels.models import OutboxMessage

MAX_ID = 2**31 - 1
Reason = Annotated[
    str,
    Field(max_length=500, description="Why (kept in the audit trail); at least 8 characters"),
]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class MessageOut(BaseModel):
    """A message's state, as the outbox's managers see it (its text and recipient are not shown)."""

    id: int
    idempotency_key: str
    channel: str
    purpose: str
    case_id: str | None
    customer_id: str
    state: str
    attempts: int
    next_attempt_at: datetime
    not_after: datetime | None
    provider: str | None
    last_error: str | None
    stop_reason: str | None
    sent_at: datetime | None
    version: int

    @classmethod
    def of(cls, message: OutboxMessage) -> MessageOut:
        return cls(
            id=message.id,
            idempotency_key=message.idempotency_key,
            channel=message.channel,
            purpose=message.purpose,
            case_id=message.case_id,
            customer_id=message.customer_id,
            state=message.state,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            not_after=message.not_after,
            provider=message.provider,
            last_error=message.last_error,
            stop_reason=message.stop_reason,
            sent_at=message.sent_at,
            version=message.version,
        )


class CountsOut(BaseModel):
    counts: dict[str, dict[str, int]] = Field(description="Messages per channel, then per state")
