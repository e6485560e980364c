"""Queries on model versions and account scores.

Module-level functions taking the caller's ``Session`` (or ``Connection``), values bound as
parameters, never committing (see arrears.portfolio.repository).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, delete, func, insert, select
from sqlalchemy.orm import Session

from arrears.cases.models import CaseAccount
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


# A case's score, as the API shows it: the lowest score of its accounts (the account most at
# risk) on the latest date the purpose's active model scored, with that account's band and
# reasons. A case the latest scoring did not cover (closed since) has none.


def _active_id(purpose: str) -> ColumnElement[int]:
    return (
        select(ModelVersion.id)
        .where(ModelVersion.purpose == purpose, ModelVersion.is_active.is_(True))
        .scalar_subquery()
    )


def _latest_date(model_id: ColumnElement[int]) -> ColumnElement[date]:
    return (
        select(func.max(AccountScore.as_of))
        .where(AccountScore.model_version_id == model_id)
        .scalar_subquery()
    )


def latest_case_scores(session: Session, purpose: str, case_ids: Sequence[str]) -> dict[str, AccountScore]:
    """case_id → its score (see above), for the cases of ``case_ids`` that have one. Found
    through the cases' accounts, so the (account_id, as_of, model) key does the work."""
    if not case_ids:
        return {}
    model_id = _active_id(purpose)
    query = (
        select(AccountScore)
        .join(
            CaseAccount,
            (CaseAccount.account_id == AccountScore.account_id)
            & (CaseAccount.case_id == AccountScore.case_id),
        )
        .where(
            CaseAccount.case_id.in_(list(case_ids)),
            AccountScore.model_version_id == model_id,
            AccountScore.as_of == _latest_date(model_id),
        )
        .order_by(AccountScore.case_id, AccountScore.score, AccountScore.account_id)
    )
    lowest: dict[str, AccountScore] = {}
    for score in session.execute(query).scalars():
        if score.case_id is not None:
            lowest.setdefault(score.case_id, score)
    return lowest


def cases_in_band(purpose: str, band: str) -> Select[tuple[str | None]]:
    """The ids of the cases whose score (see above) is in ``band``, as a subquery to filter on."""
    model_id = _active_id(purpose)
    rank = (
        func.row_number()
        .over(partition_by=AccountScore.case_id, order_by=(AccountScore.score, AccountScore.account_id))
        .label("rank")
    )
    ranked = (
        select(AccountScore.case_id, AccountScore.band, rank)
        .where(
            AccountScore.model_version_id == model_id,
            AccountScore.as_of == _latest_date(model_id),
            AccountScore.case_id.is_not(None),
        )
        .subquery()
    )
    return select(ranked.c.case_id).where(ranked.c.rank == 1, ranked.c.band == band)
