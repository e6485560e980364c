"""Queries of users, teams, agencies and credentials, over the caller's session; none commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.models import Agency, Credential, TeamLeader, User


def user_by_name(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def credential_by_digest(session: Session, digest: str) -> Credential | None:
    return session.execute(select(Credential).where(Credential.digest == digest)).scalar_one_or_none()


def led_team_ids(session: Session, user_id: int) -> frozenset[int]:
    rows = session.execute(select(TeamLeader.team_id).where(TeamLeader.user_id == user_id)).scalars()
    return frozenset(rows)


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def agency_by_id(session: Session, agency_id: int) -> Agency | None:
    return session.get(Agency, agency_id)
