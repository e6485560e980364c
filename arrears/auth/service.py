"""Credentials: issuing opaque secrets and turning a presented one into a :class:`Principal`.

A secret is 32 random bytes (URL-safe base64); only its SHA-256 is stored, so a copy of the
database signs nobody in. A token or session ends after ``session_idle_minutes`` without use and
``session_max_hours`` in all; an API key lives until revoked. Disabling a user ends every
credential at once, because each request checks the user is still active.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from arrears.auth import repository
from arrears.auth.models import Credential, CredentialKind, User
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.errors import ArrearsError
from arrears.i18n import N_

LAST_USED_RESOLUTION = timedelta(seconds=30)
"""A credential's last use is written at most this often (not on every request)."""


class NotSignedInError(ArrearsError):
    """No valid credential: missing, unknown, expired, revoked, or its user disabled."""

    code = "not_signed_in"
    http_status = 401
    exit_code = 4
    default_message = N_("Sign in first: the credential is missing, expired or revoked")


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    total: timedelta


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def issue(
    session: Session,
    user: User,
    kind: CredentialKind,
    *,
    now: datetime,
    lifetimes: Lifetimes | None,
    name: str | None = None,
) -> tuple[str, Credential]:
    """A new credential for ``user``: the secret (shown once) and its stored row."""
    secret = new_secret()
    credential = Credential(
        kind=str(kind),
        digest=digest(secret),
        user_id=user.id,
        name=name,
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetimes.total if lifetimes else None,
    )
    session.add(credential)
    session.flush()
    return secret, credential


def principal_for(
    session: Session,
    secret: str,
    *,
    kinds: tuple[CredentialKind, ...],
    now: datetime,
    lifetimes: Lifetimes,
    request_id: str | None = None,
    client: str | None = None,
) -> Principal:
    """The principal a presented secret signs in, or NotSignedInError; marks the credential used."""
    credential = repository.credential_by_digest(session, digest(secret))
    if credential is None or credential.kind not in kinds or not _alive(credential, now, lifetimes):
        raise NotSignedInError()
    user = session.get(User, credential.user_id)
    if user is None or not user.active:
        raise NotSignedInError()
    if now - credential.last_used_at >= LAST_USED_RESOLUTION:
        credential.last_used_at = now
    return principal_of(session, user, credential_id=credential.id, request_id=request_id, client=client)


def principal_of(
    session: Session,
    user: User,
    *,
    credential_id: int | None = None,
    request_id: str | None = None,
    client: str | None = None,
) -> Principal:
    role = Role(user.role)
    return Principal(
        user_id=user.id,
        username=user.username,
        role=role,
        team_id=user.team_id,
        led_team_ids=repository.led_team_ids(session, user.id) if role is Role.SUPERVISOR else frozenset(),
        agency_id=user.agency_id,
        customer_id=user.customer_id,
        language=user.language,
        credential_id=credential_id,
        request_id=request_id,
        client=client,
    )


def _alive(credential: Credential, now: datetime, lifetimes: Lifetimes) -> bool:
    if credential.revoked_at is not None:
        return False
    if credential.expires_at is not None and now >= credential.expires_at:
        return False
    if credential.kind == CredentialKind.API_KEY:
        return True
    return now - credential.last_used_at < lifetimes.idle


class CsrfError(ArrearsError):
    code = "csrf"
    http_status = 403
    exit_code = 4
    default_message = N_("The form's CSRF token is missing or wrong: reload the page and try again")


def check_csrf(session: Session, principal: Principal, presented: str | None) -> None:
    """Nothing when ``presented`` is the CSRF token of the principal's web session, else CsrfError."""
    credential = session.get(Credential, principal.credential_id) if principal.credential_id else None
    expected = credential.csrf_digest if credential else None
    if not presented or expected is None or not hmac.compare_digest(digest(presented), expected):
        raise CsrfError()
