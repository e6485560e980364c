"""The audit trail's one table.

Append-only: the application writes rows and never changes one; in production its database role
holds INSERT and SELECT on it, no UPDATE or DELETE (docs/audit.md). Each row carries the SHA-256
of its canonical content and of the row before it (``prev_hash``), so a row changed, removed,
inserted or moved afterwards breaks the chain where ``arrears audit verify`` finds it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
        comment="position in the chain, from 1, without gaps",
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer, comment="users.id; none for the system")
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), comment="e.g. case.assign, personal.reveal, auth.sign_in")
    outcome: Mapped[str] = mapped_column(String(16), comment="ok, refused or failed")
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str | None] = mapped_column(
        String(64), comment="whose data, for a regulator's export"
    )
    before: Mapped[str | None] = mapped_column(Text, comment="canonical JSON, personal fields masked")
    after: Mapped[str | None] = mapped_column(Text, comment="canonical JSON, personal fields masked")
    reason: Mapped[str | None] = mapped_column(Text)
    rules: Mapped[str | None] = mapped_column(String(500), comment="compliance rule ids, comma separated")
    request_id: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64), comment="the caller's address")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index(None, "actor_id", "action", "at"),
        Index(None, "object_type", "object_id"),
        Index(None, "customer_id", "at"),
        Index(None, "at"),
    )
