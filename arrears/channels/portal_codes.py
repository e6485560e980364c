"""Signing in to the customer's portal (客户自助) with an account number and a one-time code sent
through the outbox (issue #14 §4).

The rules:

- :func:`request_code` takes an account number. When it is one of ours and its customer has a
  working mobile or e-mail address of their own (party ``debtor``, not marked invalid, not
  do-not-contact; a mobile first, the primary first), a 6-digit code is made and a message
  carrying it is queued in the outbox (purpose ``one_time_code``, a service message: see
  :data:`SERVICE_PURPOSES` and docs/web.md for how the worker treats it), due at once and
  expiring with the code. Every request is kept, also for an account that is not ours, and the
  answer is the same in every case: it never tells whether an account exists or can be reached.
- No account enumeration: a request for an account number that is not ours takes the same
  path as one that is (the same reads, a code drawn and its HMAC computed and stored, the same
  rows written to ``portal_codes`` and the audit trail); only the outbox's message (and the
  code row's link to it) is missing, since there is no one to send it to.
- Only an HMAC-SHA256 of the code (keyed by ``ARREARS_SECRET_KEY``, with the request's id and
  account number) is stored, compared in constant time (:func:`hmac.compare_digest`, also when
  there is no live code to compare with). A code lives :data:`CODE_MINUTES` minutes, is single
  use, and dies after :data:`MAX_WRONG` wrong tries; a newer request for the same account ends
  the older code, except within :data:`RESEND_SECONDS` of it (a double click, two tabs): then
  the code on its way stays the one, and nothing more is sent.
- Throttling: at most :data:`REQUESTS_PER_HOUR` requests per account number and
  :data:`CLIENT_REQUESTS_PER_HOUR` per client address in the last hour
  (:class:`TooManyCodeRequestsError`, 429 with the wait), counted alike for accounts that are not
  ours. Requests for one account number take turns (a PostgreSQL advisory lock on the number; on
  SQLite the database's write lock, taken before anything is read), so that two at once are
  counted one after the other and never both send.
- SMS through a provider that sends registered templates only (Alibaba Cloud): the message
  carries its parameters ``code`` and ``minutes`` (:data:`PARAMS`), and the provider's template
  for it is the setting ``ARREARS_SMS_CODE_TEMPLATE`` (docs/web.md).
- :func:`check_code` answers the customer id of a right code (and marks it used), else raises
  :class:`CodeRefusedError` (one answer: wrong, expired, used, dead or no such account).
- Audited: ``portal.code_request`` (the account number, whether a message went: the audit trail
  is for the bank, not the customer) and ``portal.code_check`` (ok or refused).

Nothing here commits; a refusal flushes its count first, and the way in commits it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from arrears.audit.trail import Actor, Outcome, hold_chain, record
from arrears.channels.models import LatePolicy, MessageChannel, PortalCode
from arrears.channels.outbox import queue_message
from arrears.channels.providers.smtp import DEVELOPMENT_SECRET
from arrears.errors import ConflictError, PermissionDeniedError
from arrears.i18n import LANGUAGES, N_, translate
from arrears.portfolio.models import Account, ContactPoint, Customer

CODE_MINUTES = 10
MAX_WRONG = 5
REQUESTS_PER_HOUR = 5
CLIENT_REQUESTS_PER_HOUR = 30
RESEND_SECONDS = 30
"""A request within this many seconds of the account's live code sends nothing new."""
WINDOW = timedelta(hours=1)
PURPOSE = "one_time_code"
PARAMS = ("code", "minutes")
"""The parameters of the code's message at a template-only SMS provider (its ``TemplateParam``)."""
LOCK = "portal-code:"
"""The prefix of the PostgreSQL advisory lock the requests for one account number take turns on."""
SERVICE_PURPOSES = frozenset({PURPOSE})
"""Service messages the customer asked for this minute: the outbox's worker sends them without
putting them to the collection-contact gate (no contact record, not counted, not held at night,
by a hold or by an opt-out of collection messages); a contact point marked invalid stops them, and
they expire with their code."""
ACCOUNT_LENGTH = 64
PORTAL = Actor(user_id=None, name="portal", role="system")

CODE_SUBJECT = N_("Your sign-in code")
CODE_TEXT = N_(
    "Your sign-in code for the customer portal is {code}. It expires in {minutes} minutes. "
    "Never give it to anyone, bank staff included."
)


class CodeRefusedError(PermissionDeniedError):
    """The one answer to a wrong, expired, used or dead code, or an account that is not ours
    (a refused credential: 401, where the shared refusal of a signed-in caller is 403)."""

    code = "code_refused"
    http_status = 401
    default_message = N_("The code is wrong or has expired: ask for a new code")


class TooManyCodeRequestsError(ConflictError):
    """Past the limits of :func:`request_code` (a busy resource: wait, as the message says)."""

    code = "too_many_code_requests"
    http_status = 429
    default_message = N_("Too many codes were asked for: try again in {minutes} minutes")

    def __init__(self, retry_after: int) -> None:
        super().__init__(type(self).default_message, minutes=max(1, math.ceil(retry_after / 60)))
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Requested:
    """What :func:`request_code` did (for the tests and the audit; the page says the same
    whatever it holds)."""

    request_id: int
    sent: bool


NO_DIGEST = "0" * 64
"""What a code is compared with when there is no live code (never a digest: it is not hex of
an HMAC anyone can make, and the comparison takes the same time)."""


def _key(secret: str | None) -> bytes:
    return (secret or DEVELOPMENT_SECRET).encode("utf-8")


def code_digest(secret: str | None, request_id: int, account_id: str, code: str) -> str:
    message = f"portal-code:{request_id}:{account_id}:{code}".encode()
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def _wait(times: list[datetime], limit: int, now: datetime) -> int | None:
    """Seconds until fewer than ``limit`` of ``times`` (oldest first) are within the window."""
    if len(times) < limit:
        return None
    freeing = times[len(times) - limit]
    return max(1, math.ceil((freeing + WINDOW - now).total_seconds()))


def _reachable_point(session: Session, customer_id: str | None) -> ContactPoint | None:
    """The customer's own working mobile (else e-mail), the primary first; read alike (one query)
    for an account that is not ours, whose customer is none."""
    points = session.scalars(
        select(ContactPoint)
        .where(
            ContactPoint.customer_id == (customer_id or ""),
            ContactPoint.party == "debtor",
            ContactPoint.type.in_(("mobile", "email")),
            ContactPoint.invalid_at.is_(None),
            ContactPoint.do_not_contact.is_(False),
        )
        .order_by(ContactPoint.id)
    ).all()
    ranked = sorted(points, key=lambda p: (p.type != "mobile", not p.is_primary, p.id))
    return ranked[0] if ranked else None


def _take_turn(session: Session, account_id: str) -> None:
    """Requests for one account number one after the other (see the module), before any read."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(LOCK + account_id, 0))))
    elif dialect == "sqlite":
        hold_chain(session)


def _recent(
    session: Session, column: InstrumentedAttribute[str | None], value: str, now: datetime
) -> list[PortalCode]:
    return list(
        session.scalars(
            select(PortalCode)
            .where(column == value, PortalCode.requested_at > now - WINDOW)
            .order_by(PortalCode.requested_at, PortalCode.id)
        )
    )


def request_code(
    session: Session,
    account_id: str,
    *,
    now: datetime,
    secret: str | None,
    client: str,
    language: str,
) -> Requested:
    """Ask for a code for ``account_id`` (see the module); :class:`TooManyCodeRequestsError`
    past the limits, else the same outcome whether the account is ours or not."""
    account_id = account_id.strip()[:ACCOUNT_LENGTH]
    client = (client or "unknown")[:64]
    _take_turn(session, account_id)
    by_account = _recent(session, PortalCode.account_id, account_id, now)
    by_client = _recent(session, PortalCode.client, client, now)
    waits = [
        w
        for w in (
            _wait([r.requested_at for r in by_account], REQUESTS_PER_HOUR, now),
            _wait([r.requested_at for r in by_client], CLIENT_REQUESTS_PER_HOUR, now),
        )
        if w is not None
    ]
    if waits:
        record(
            session,
            PORTAL,
            "portal.code_request",
            at=now,
            outcome=Outcome.REFUSED,
            object_type="account",
            object_id=account_id,
            reason="throttled",
        )
        raise TooManyCodeRequestsError(max(waits))

    # the same reads, the same draw and digest, the same rows whether the account is ours or not
    account = session.get(Account, account_id) if account_id else None
    point = _reachable_point(session, account.customer_id if account is not None else None)
    customer = session.get(Customer, account.customer_id if account is not None else "")
    fresh = [r for r in by_account if r.expires_at > now and r.used_at is None and r.failed < MAX_WRONG]
    on_its_way = bool(fresh) and (now - fresh[-1].requested_at).total_seconds() < RESEND_SECONDS
    if not on_its_way:
        # an older live code of the account ends here: only the newest works
        session.execute(
            update(PortalCode)
            .where(
                PortalCode.account_id == account_id, PortalCode.used_at.is_(None), PortalCode.expires_at > now
            )
            .values(expires_at=now)
        )
    reachable = account is not None and point is not None and not on_its_way
    row = PortalCode(
        account_id=account_id,
        customer_id=account.customer_id if reachable and account is not None else None,
        requested_at=now,
        # a request within RESEND_SECONDS of the live code is only counted: the code sent works
        expires_at=now if on_its_way else now + timedelta(minutes=CODE_MINUTES),
        failed=0,
        client=client,
    )
    session.add(row)
    session.flush()
    code = f"{secrets.randbelow(10**6):06d}"
    row.code_digest = code_digest(secret, row.id, account_id, code)
    said = (customer.language if customer is not None else None) or language
    said = said if said in LANGUAGES else language
    body = translate(CODE_TEXT, said, code=code, minutes=CODE_MINUTES)
    if reachable and account is not None and point is not None:
        channel = MessageChannel.SMS if point.type == "mobile" else MessageChannel.EMAIL
        message = queue_message(
            session,
            PORTAL,
            channel=str(channel),
            customer_id=account.customer_id,
            case_id=None,
            contact_point_id=point.id,
            language=said,
            subject=translate(CODE_SUBJECT, said) if channel == MessageChannel.EMAIL else None,
            body=body,
            purpose=PURPOSE,
            idempotency_key=f"portal-code:{row.id}",
            now=now,
            not_after=row.expires_at,
            late_policy=LatePolicy.EXPIRE,
            provider_params=dict(zip(PARAMS, (code, str(CODE_MINUTES)), strict=True)),
        )
        row.message_id = message.id
    session.flush()
    record(
        session,
        PORTAL,
        "portal.code_request",
        at=now,
        object_type="account",
        object_id=account_id,
        customer_id=row.customer_id,
        after={"request_id": row.id, "sent": row.message_id is not None, "client": client},
    )
    return Requested(row.id, row.message_id is not None)


def check_code(session: Session, account_id: str, code: str, *, now: datetime, secret: str | None) -> str:
    """The customer whose newest live code for ``account_id`` is ``code`` (that code is used
    up), else :class:`CodeRefusedError` after counting the wrong try against the live code.
    The digests are compared in constant time, also when there is nothing to compare with."""
    account_id = account_id.strip()[:ACCOUNT_LENGTH]
    code = code.strip()[:20]
    row = session.scalars(
        select(PortalCode)
        .where(
            PortalCode.account_id == account_id,
            PortalCode.used_at.is_(None),
            PortalCode.expires_at > now,
            PortalCode.failed < MAX_WRONG,
        )
        .order_by(PortalCode.requested_at.desc(), PortalCode.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    stored = row.code_digest if row is not None and row.code_digest is not None else NO_DIGEST
    given = code_digest(secret, row.id if row is not None else 0, account_id, code)
    same = hmac.compare_digest(stored, given)
    if not same or row is None or row.customer_id is None:
        if row is not None:
            row.failed += 1
        session.flush()
        record(
            session,
            PORTAL,
            "portal.code_check",
            at=now,
            outcome=Outcome.REFUSED,
            object_type="account",
            object_id=account_id,
            customer_id=row.customer_id if row is not None else None,
            reason="wrong_or_expired",
        )
        raise CodeRefusedError()
    row.used_at = now
    session.flush()
    record(
        session,
        PORTAL,
        "portal.code_check",
        at=now,
        object_type="account",
        object_id=account_id,
        customer_id=row.customer_id,
        after={"request_id": row.id},
    )
    return row.customer_id
