"""Queries on recorded gate decisions.

Module-level functions taking the caller's ``Session``, never committing (the shape of every
repository in Arrears: see arrears.portfolio.repository).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.compliance.decision import Verdict
from arrears.compliance.models import ComplianceDecision


def add_decision(session: Session, row: ComplianceDecision, *, flush: bool = True) -> ComplianceDecision:
    """Add a decision; ``flush`` False leaves it to the caller's next flush (many in one insert)."""
    session.add(row)
    if flush:
        session.flush()
    return row


def get_decision(session: Session, decision_id: int) -> ComplianceDecision | None:
    return session.get(ComplianceDecision, decision_id)


def decisions_for_customer(
    session: Session, customer_id: str, limit: int = 100
) -> Sequence[ComplianceDecision]:
    query = (
        select(ComplianceDecision)
        .where(ComplianceDecision.customer_id == customer_id)
        .order_by(ComplianceDecision.decided_at.desc(), ComplianceDecision.id.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def flagged_decisions(session: Session, limit: int = 100) -> Sequence[ComplianceDecision]:
    """Decisions waiting for a person: notes and requests sent to review."""
    query = (
        select(ComplianceDecision)
        .where(ComplianceDecision.decision == Verdict.REVIEW)
        .order_by(ComplianceDecision.decided_at.desc())
        .limit(limit)
    )
    return session.scalars(query).all()
