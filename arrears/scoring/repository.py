"""Queries on model versions and account scores.

Module-level functions taking the caller's ``Session`` (or ``Connection``), values bound as
parameters, never committing (see arrears.portfolio.repository).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.orm import Session

from arrears.scoring.models import AccountScore, ModelVersion


def next_version(session: Session, purpose: str) -> int:
    latest = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.purpose == purpose))
    return (latest or 0) + 1


def find_version(session: Session, purpose: str, version: int) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.purpose == purpose, ModelVersion.version == version)
    )


def active_version(session: Session, purpose: str) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.purpose == purpose, ModelVersion.is_active.is_(True))
    )


def active_version_id(connection: Connection, purpose: str) -> int | None:
    """The id of the purpose's active model, without loading it."""
    return connection.execute(
        select(ModelVersion.id).where(ModelVersion.purpose == purpose, ModelVersion.is_active.is_(True))
    ).scalar()


def purposes(session: Session) -> list[str]:
    """The purposes that have at least one model version, in order."""
    return list(session.scalars(select(ModelVersion.purpose).distinct().order_by(ModelVersion.purpose)))


def list_versions(session: Session, purpose: str | None = None) -> list[ModelVersion]:
    query = select(ModelVersion).order_by(ModelVersion.purpose, ModelVersion.version)
    if purpose is not None:
        query = query.where(ModelVersion.purpose == purpose)
    return list(session.scalars(query))


def delete_scores(session: Session, model_version_id: int, as_of: date) -> None:
    session.execute(
        delete(AccountScore).where(
            AccountScore.model_version_id == model_version_id, AccountScore.as_of == as_of
        )
    )


def insert_scores(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Add account scores in bulk (one executemany, not one ORM object each)."""
    if records:
        session.execute(insert(AccountScore), list(records))


def scores_on(session: Session, as_of: date, model_version_id: int | None = None) -> list[AccountScore]:
    query = select(AccountScore).where(AccountScore.as_of == as_of).order_by(AccountScore.account_id)
    if model_version_id is not None:
        query = query.where(AccountScore.model_version_id == model_version_id)
    return list(session.scalars(query))
