"""Queries of users, teams, agencies and credentials, over the caller's session; none commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from arrears.auth.models import Agency, Credential, SignInAttempt, Team, TeamLeader, User
from arrears.auth.permissions import Role


def user_by_name(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def users(
    session: Session, *, after: int | None = None, limit: int | None = None, machines: bool | None = None
) -> Sequence[User]:
    """Users by id (from ``after``, at most ``limit``); ``machines`` True or False keeps one kind."""
    query = select(User).order_by(User.id)
    if after is not None:
        query = query.where(User.id > after)
    if machines is not None:
        query = query.where(User.is_machine.is_(machines))
    if limit is not None:
        query = query.limit(limit)
    return session.execute(query).scalars().all()


def active_users_of_teams(session: Session, team_ids: Iterable[int], role: Role) -> list[User]:
    """The active users of ``role`` in the teams ``team_ids``, by name."""
    ids = sorted(set(team_ids))
    if not ids:
        return []
    query = select(User).where(User.role == str(role), User.active.is_(True), User.team_id.in_(ids))
    return list(session.scalars(query.order_by(User.username)))


def active_administrators(session: Session) -> int:
    """How many people (not machine clients) hold the administrator role and are active."""
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "administrator", User.active.is_(True), User.is_machine.is_(False))
        )
        or 0
    )


def users_of_agency(session: Session, agency_id: int) -> Sequence[User]:
    return session.execute(select(User).where(User.agency_id == agency_id).order_by(User.id)).scalars().all()


def team_by_code(session: Session, code: str) -> Team | None:
    return session.execute(select(Team).where(Team.code == code)).scalar_one_or_none()


def team_by_id(session: Session, team_id: int) -> Team | None:
    return session.get(Team, team_id)


def teams(session: Session) -> Sequence[Team]:
    return session.execute(select(Team).order_by(Team.code)).scalars().all()


def team_codes(session: Session, team_ids: Iterable[int]) -> dict[int, str]:
    ids = set(team_ids)
    if not ids:
        return {}
    rows = session.execute(select(Team.id, Team.code).where(Team.id.in_(ids)))
    return {team_id: code for team_id, code in rows}  # noqa: C416 (rows, not pairs, for mypy)


def agency_by_code(session: Session, code: str) -> Agency | None:
    return session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()


def agency_by_id(session: Session, agency_id: int) -> Agency | None:
    return session.get(Agency, agency_id)


def agencies(session: Session) -> Sequence[Agency]:
    return session.execute(select(Agency).order_by(Agency.code)).scalars().all()


def agency_codes(session: Session, agency_ids: Iterable[int]) -> dict[int, str]:
    ids = set(agency_ids)
    if not ids:
        return {}
    rows = session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(ids)))
    return {agency_id: code for agency_id, code in rows}  # noqa: C416 (rows, not pairs, for mypy)


def led_team_ids(session: Session, user_id: int) -> frozenset[int]:
    rows = session.execute(select(TeamLeader.team_id).where(TeamLeader.user_id == user_id)).scalars()
    return frozenset(rows)


def leaders(session: Session, team_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Each team's leaders as (user id, user name), by user name."""
    ids = set(team_ids)
    found: dict[int, list[tuple[int, str]]] = {team_id: [] for team_id in ids}
    if not ids:
        return found
    rows = session.execute(
        select(TeamLeader.team_id, User.id, User.username)
        .join(User, User.id == TeamLeader.user_id)
        .where(TeamLeader.team_id.in_(ids))
        .order_by(User.username)
    )
    for team_id, user_id, username in rows:
        found[team_id].append((user_id, username))
    return found


def members(session: Session, team_ids: Iterable[int]) -> dict[int, int]:
    """How many users belong to each team."""
    ids = set(team_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(User.team_id, func.count()).where(User.team_id.in_(ids)).group_by(User.team_id)
    )
    return {team_id: count for team_id, count in rows if team_id is not None}


def add_leader(session: Session, team_id: int, user_id: int) -> bool:
    """Make ``user_id`` a leader of ``team_id``; False when they already were."""
    if session.get(TeamLeader, (team_id, user_id)) is not None:
        return False
    session.add(TeamLeader(team_id=team_id, user_id=user_id))
    session.flush()
    return True


def remove_leaderships(session: Session, user_id: int) -> None:
    for leadership in session.execute(select(TeamLeader).where(TeamLeader.user_id == user_id)).scalars():
        session.delete(leadership)
    session.flush()


def credential_by_digest(session: Session, digest: str) -> Credential | None:
    return session.execute(select(Credential).where(Credential.digest == digest)).scalar_one_or_none()


def revoke_credentials(
    session: Session, user_id: int, now: datetime, *, kinds: Iterable[str] | None = None
) -> int:
    """End every live credential of ``user_id`` (of ``kinds``, else all) at ``now``; how many ended."""
    statement = (
        update(Credential)
        .where(Credential.user_id == user_id, Credential.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if kinds is not None:
        statement = statement.where(Credential.kind.in_(list(kinds)))
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def api_keys(session: Session) -> Sequence[tuple[User, Credential | None]]:
    """Machine clients with their latest API key (none when it was never issued)."""
    latest = (
        select(Credential.user_id, func.max(Credential.id).label("id"))
        .where(Credential.kind == "api_key")
        .group_by(Credential.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User, Credential)
        .outerjoin(latest, latest.c.user_id == User.id)
        .outerjoin(Credential, Credential.id == latest.c.id)
        .where(User.is_machine.is_(True))
        .order_by(User.username)
    )
    return [(user, credential) for user, credential in rows]


def add_attempt(session: Session, *, username: str, client: str, at: datetime, succeeded: bool) -> None:
    session.add(SignInAttempt(username=username, client=client, at=at, succeeded=succeeded))
    session.flush()


def failures_of_name(session: Session, username: str, since: datetime) -> list[datetime]:
    """When ``username`` failed to sign in after ``since`` and after its last success, oldest first."""
    last_success = session.scalar(
        select(func.max(SignInAttempt.id)).where(
            SignInAttempt.username == username,
            SignInAttempt.succeeded.is_(True),
            SignInAttempt.at > since,
        )
    )
    condition = SignInAttempt.username == username
    if last_success is not None:
        condition = condition & (SignInAttempt.id > last_success)
    return _failures(session, condition, since)


def failures_of_client(session: Session, client: str, since: datetime) -> list[datetime]:
    """When sign-ins from ``client`` failed since ``since`` (whatever the name), oldest first."""
    return _failures(session, SignInAttempt.client == client, since)


def _failures(session: Session, condition: ColumnElement[bool], since: datetime) -> list[datetime]:
    rows = session.execute(
        select(SignInAttempt.at)
        .where(condition, SignInAttempt.succeeded.is_(False), SignInAttempt.at > since)
        .order_by(SignInAttempt.at, SignInAttempt.id)
    ).scalars()
    return list(rows)


def customer_user(session: Session, customer_id: str) -> User | None:
    """The portal user of a customer (role customer), if one was made."""
    return session.execute(
        select(User)
        .where(User.customer_id == customer_id, User.role == "customer")
        .order_by(User.id)
        .limit(1)
    ).scalar_one_or_none()
