"""Queries on model versions and account scores."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
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


def scores_on(session: Session, as_of: date, model_version_id: int | None = None) -> list[AccountScore]:
    query = select(AccountScore).where(AccountScore.as_of == as_of).order_by(AccountScore.account_id)
    if model_version_id is not None:
        query = query.where(AccountScore.model_version_id == model_version_id)
    return list(session.scalars(query))
