"""People and organisations, and the credentials they sign in with.

A user has exactly one role. Collectors and field agents belong to one team; supervisors lead one
or more teams (``team_leaders``); an agency user belongs to exactly one agency; a customer user
is bound to one customer of the portfolio. Machine clients (the core banking system, a dialer)
are users with ``is_machine`` set: no password, signed in by API key only.

Credentials (bearer tokens, web sessions, API keys) are stored as the SHA-256 of their secret,
never the secret itself.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, UTCDateTime


class CredentialKind(StrEnum):
    TOKEN = "token"
    """An opaque bearer token from POST /api/v1/auth/token."""
    SESSION = "session"
    """A web session in a cookie, with its CSRF token."""
    API_KEY = "api_key"
    """A machine client's key, made and revoked by the command line."""


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), comment="arrears.auth.permissions.Role")
    password_hash: Mapped[str | None] = mapped_column(String(200), comment="argon2id; none for machines")
    is_machine: Mapped[bool] = mapped_column(Boolean, default=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    language: Mapped[str | None] = mapped_column(String(35), comment="zh-CN or en; none: from the request")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TeamLeader(Base):
    """A supervisor leading a team (a supervisor may lead several)."""

    __tablename__ = "team_leaders"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Credential(Base):
    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), comment="token, session or api_key")
    digest: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 of the secret")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100), comment="an API key's label")
    csrf_digest: Mapped[str | None] = mapped_column(String(64), comment="a session's CSRF token, hashed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="absolute end; none: API key")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInAttempt(Base):
    """A failed (or successful) sign-in, kept for throttling; the name as typed, even if unknown."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    succeeded: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index(None, "username", "at"), Index(None, "client", "at"))
