"""Queries on recorded gate decisions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.compliance.models import ComplianceDecision


class DecisionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: ComplianceDecision) -> ComplianceDecision:
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, decision_id: int) -> ComplianceDecision | None:
        return self.session.get(ComplianceDecision, decision_id)

    def for_customer(self, customer_id: str, limit: int = 100) -> Sequence[ComplianceDecision]:
        query = (
            select(ComplianceDecision)
            .where(ComplianceDecision.customer_id == customer_id)
            .order_by(ComplianceDecision.decided_at.desc(), ComplianceDecision.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def flagged(self, limit: int = 100) -> Sequence[ComplianceDecision]:
        """Decisions waiting for a person: notes and requests sent to review."""
        query = (
            select(ComplianceDecision)
            .where(ComplianceDecision.decision == "review")
            .order_by(ComplianceDecision.decided_at.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()
