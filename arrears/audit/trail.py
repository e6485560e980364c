"""Writing to the audit trail: :func:`record`, called by every service that writes or shows
personal data, inside the caller's transaction (the entry commits or rolls back with the work).

Entries form one chain: an entry's ``hash`` is the SHA-256 of its canonical content (sorted-key
JSON of every column but the hash) including the previous entry's hash. Writers take the chain's
head in turn, holding a lock until their transaction ends, and only then read the head:

- on PostgreSQL a transaction-scoped advisory lock (``pg_advisory_xact_lock``); under READ
  COMMITTED, the isolation the engine uses, the head read after it sees every entry committed
  before the lock was granted;
- on SQLite the database's write lock, taken before the head is read by a write that changes
  nothing. pysqlite opens a transaction only at the first write, so a unit of work that has only
  read holds no snapshot yet: it waits its turn up to the busy timeout, then reads the head under
  the lock. A transaction opened explicitly that read before another writer committed cannot take
  it (``SQLITE_BUSY_SNAPSHOT``): that is :class:`ChainMovedError`, a busy error, and the unit of
  work succeeds when run again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.clock import ensure_aware
from arrears.errors import BusyError
from arrears.i18n import N_

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""
CHAIN_LOCK = 0x4152524541525321
"""PostgreSQL advisory lock key held while appending (any 64-bit constant unique to the chain)."""

HASHED_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "customer_id",
    "before",
    "after",
    "reason",
    "rules",
    "request_id",
    "client",
    "prev_hash",
)


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class Actor:
    """Who acts, as the trail records them: a signed-in user, a machine client or the system."""

    user_id: int | None
    name: str
    role: str
    request_id: str | None = None
    client: str | None = None


SYSTEM = Actor(user_id=None, name="system", role="system")
"""The actor of the command line's own work (the nightly batch, imports)."""


def canonical(values: Mapping[str, Any]) -> str:
    """The text an entry's hash is taken over: its hashed columns as sorted-key JSON."""
    content = {name: _plain(values.get(name)) for name in HASHED_COLUMNS}
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(values).encode("utf-8")).hexdigest()


def as_json(value: Mapping[str, Any] | None) -> str | None:
    """A before or after value as stored: canonical JSON (the caller masks personal fields first)."""
    if value is None:
        return None
    return json.dumps({k: _plain(v) for k, v in value.items()}, sort_keys=True, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return ensure_aware(value).isoformat(timespec="microseconds")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


class ChainMovedError(BusyError):
    """Another writer appended while this SQLite transaction held an older snapshot."""

    code = "audit_chain_moved"
    default_message = N_(
        "The audit trail moved on while this work was reading; run it again (nothing was saved)"
    )


def _hold_head(session: Session) -> None:
    """Take the chain's lock (:func:`_take_head`); on SQLite, a transaction whose snapshot is older
    than the head cannot (``SQLITE_BUSY_SNAPSHOT``): a busy error, the work to be run again."""
    from sqlalchemy.exc import OperationalError

    try:
        _take_head(session)
    except OperationalError as error:
        if getattr(error.orig, "sqlite_errorname", "") == "SQLITE_BUSY_SNAPSHOT":
            raise ChainMovedError() from None
        raise


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    at: datetime,
    outcome: Outcome = Outcome.OK,
    object_type: str | None = None,
    object_id: str | None = None,
    customer_id: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    rules: list[str] | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction."""
    seq, prev_hash = _head(session)
    values = _values(
        actor,
        action,
        at=at,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
        before=before,
        after=after,
        reason=reason,
        rules=rules,
    ) | {"seq": seq, "prev_hash": prev_hash}
    entry = AuditEntry(**values, hash=entry_hash(values))
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session, actor: Actor, action: str, *, at: datetime, entries: Sequence[Mapping[str, Any]]
) -> int:
    """Append one entry per mapping of ``entries`` (its keys: those of :func:`record` after
    ``at``) to the chain in one statement, in the caller's transaction: the set-based writers'
    (a night's reminders). Answers how many were written."""
    if not entries:
        return 0
    seq, prev_hash = _head(session)
    rows: list[dict[str, Any]] = []
    for offset, given in enumerate(entries):
        values = _values(actor, action, at=at, **given) | {"seq": seq + offset, "prev_hash": prev_hash}
        prev_hash = entry_hash(values)
        rows.append(values | {"hash": prev_hash})
    session.execute(insert(AuditEntry), rows)
    return len(rows)


def _head(session: Session) -> tuple[int, str]:
    """The next entry's seq and the hash it chains to, the chain's lock held."""
    _hold_head(session)
    session.flush()  # entries added and not yet written are the head too
    head = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (head[0] + 1, head[1]) if head else (1, GENESIS)


def _values(
    actor: Actor,
    action: str,
    *,
    at: datetime,
    outcome: Outcome = Outcome.OK,
    object_type: str | None = None,
    object_id: str | None = None,
    customer_id: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    rules: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "at": ensure_aware(at),
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "actor_role": actor.role,
        "action": action,
        "outcome": str(outcome),
        "object_type": object_type,
        "object_id": object_id,
        "customer_id": customer_id,
        "before": as_json(before),
        "after": as_json(after),
        "reason": reason,
        "rules": ",".join(rules) if rules else None,
        "request_id": actor.request_id,
        "client": actor.client,
    }


def _take_head(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    elif dialect == "sqlite":
        # SQLite's driver opens the transaction at the first write, so the head read before it
        # could be stale by the time of the insert (two requests, one seq): a write that changes
        # nothing takes the database's write lock first, and the head is read under it.
        session.execute(text("UPDATE audit_entries SET seq = seq WHERE 1 = 0"))


def hold_chain(session: Session) -> None:
    """Take the chain's head for the rest of the transaction before deciding what to record: a
    count of earlier entries (a daily cap) then stays true until this transaction has written."""
    _hold_head(session)
