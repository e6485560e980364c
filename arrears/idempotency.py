"""Idempotency keys: a client that retries a request creating a money-relevant record (a promise,
a plan, a settlement) with the same ``Idempotency-Key`` gets the first answer again, never a
second record.

A key is the caller's (user id and key together), and it is kept with a fingerprint of the request
(method, path and body) and the answer given, in the same transaction as the record it created, so
that the two are committed together or not at all. The HTTP side is :mod:`arrears.api.idempotency`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from arrears.db import Base, UTCDateTime
from arrears.errors import ConflictError, InvalidInputError
from arrears.i18n import N_

MAX_KEY_LENGTH = 200


class IdempotencyRecord(Base):
    """The first answer to a request made with an idempotency key."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64), comment="SHA-256 of method, path and body")
    status_code: Mapped[int | None] = mapped_column(Integer, comment="the HTTP status answered")
    response: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="the body answered (a problem's code and messages for an error)"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("user_id", "key"),)


class KeyReusedError(InvalidInputError):
    code = "idempotency_key_reused"
    http_status = 422
    default_message = N_(
        "Idempotency-Key {key} was used for a different request: use a new key for a new request"
    )


class KeyInUseError(ConflictError):
    code = "idempotency_key_in_use"
    default_message = N_("A request with Idempotency-Key {key} is still being processed: wait for its answer")


def checked_key(key: str) -> str:
    """The key as given, if it is 1 to 200 visible ASCII characters; else a clear refusal."""
    if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable() and key.strip() == key):
        raise InvalidInputError(
            N_("Idempotency-Key must be 1 to {max} visible ASCII characters without spaces around"),
            max=MAX_KEY_LENGTH,
        )
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the request: the same request (whatever the key order of its JSON) gives the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def claim(session: Session, user_id: int, key: str, print_: str, now: datetime) -> IdempotencyRecord | None:
    """Claim ``key`` for this request: None when it is new (the caller goes on and then
    :func:`finish` es), else the first request's record, whose answer is to be replayed.

    The claim is a row written in the caller's transaction. On PostgreSQL a transaction-scoped
    advisory lock on the key comes first, so that a duplicate arriving while the first is still
    running is told so at once (:class:`KeyInUseError`, 409) instead of waiting for it; on SQLite
    writers take turns, and the duplicate finds the first answer once it is committed.
    """
    if session.get_bind().dialect.name == "postgresql":
        name = f"idempotency:{user_id}:{key}"
        locked = session.scalar(select(func.pg_try_advisory_xact_lock(func.hashtextextended(name, 0))))
        if not locked:
            raise KeyInUseError(key=key)
    found = _existing(session, user_id, key)
    if found is None:
        record = IdempotencyRecord(user_id=user_id, key=key, fingerprint=print_, created_at=now)
        try:
            with session.begin_nested():
                session.add(record)
        except IntegrityError:  # written by a transaction committed since we looked
            found = _existing(session, user_id, key)
            if found is None:
                raise
        else:
            return None
    if found.fingerprint != print_:
        raise KeyReusedError(key=key)
    if found.status_code is None:  # only seen inside the transaction that claimed it
        raise KeyInUseError(key=key)
    return found


def finish(session: Session, user_id: int, key: str, status_code: int, response: dict[str, Any]) -> None:
    """Keep the answer given to the request that claimed ``key`` (same transaction as its work)."""
    record = _existing(session, user_id, key)
    if record is None:
        raise LookupError(f"idempotency key {key!r} was not claimed")
    record.status_code = status_code
    record.response = response


def _existing(session: Session, user_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    ).one_or_none()
