"""The audit table of the contact gate: every decision, the pack it was made under, and its facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, UTCDateTime


class ComplianceDecision(Base):
    """One answer of the gate, with everything it relied on, for the audit trail."""

    __tablename__ = "compliance_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    customer_id: Mapped[str | None] = mapped_column(String(64), comment="the customer the request is about")
    pack: Mapped[str] = mapped_column(String(16), comment="cn, us-regf or uk-fca")
    pack_version: Mapped[str] = mapped_column(
        String(64), comment="the pack's version, +tenant when tightened"
    )
    decision: Mapped[str] = mapped_column(String(8), comment="allow, block or review")
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="rule id and messages in zh-CN and en"
    )
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    tightened: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the bank's tightening of the pack")
    requested_by: Mapped[str | None] = mapped_column(
        String(100), comment="the path that asked: strategy, collector ..."
    )

    __table_args__ = (Index(None, "customer_id", "decided_at"), Index(None, "decision"))
