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
- Only an HMAC-SHA256 of the code (keyed by ``ARREARS_SECRET_KEY``, with the request's id and
  account number) is stored. A code lives :data:`CODE_MINUTES` minutes, is single use, and dies
  after :data:`MAX_WRONG` wrong tries; a newer request for the same account ends the older code.
- Throttling: at most :data:`REQUESTS_PER_HOUR` requests per account number and
  :data:`CLIENT_REQUESTS_PER_HOUR` per client address in the last hour
  (:class:`TooManyCodeRequestsError`, 429 with the wait), counted alike for accounts that are not
  ours.
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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, Outcome, record
from arrears.channels.models import LatePolicy, MessageChannel, PortalCode
from arrears.channels.outbox import queue_message
from arrears.channels.providers.smtp import DEVELOPMENT_SECRET
from arrears.errors import ArrearsError
from arrears.i18n import LANGUAGES, N_, translate
from arrears.portfolio.models import Account, ContactPoint, Customer

CODE_MINUTES = 10
MAX_WRONG = 5
REQUESTS_PER_HOUR = 5
CLIENT_REQUESTS_PER_HOUR = 30
WINDOW = timedelta(hours=1)
PURPOSE = "one_time_code"
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


class CodeRefusedError(ArrearsError):
    """The one answer to a wrong, expired, used or dead code, or an account that is not ours."""

    code = "code_refused"
    http_status = 401
    exit_code = 4
    default_message = N_("The code is wrong or has expired: ask for a new code")


class TooManyCodeRequestsError(ArrearsError):
    code = "too_many_code_requests"
    http_status = 429
    exit_code = 3
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


def _reachable_point(session: Session, customer_id: str) -> ContactPoint | None:
    points = session.scalars(
        select(ContactPoint)
        .where(
            ContactPoint.customer_id == customer_id,
            ContactPoint.party == "debtor",
            ContactPoint.type.in_(("mobile", "email")),
            ContactPoint.invalid_at.is_(None),
            ContactPoint.do_not_contact.is_(False),
        )
        .order_by(ContactPoint.id)
    ).all()
    ranked = sorted(points, key=lambda p: (p.type != "mobile", not p.is_primary, p.id))
    return ranked[0] if ranked else None


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
    since = now - WINDOW
    by_account = list(
        session.scalars(
            select(PortalCode.requested_at)
            .where(PortalCode.account_id == account_id, PortalCode.requested_at > since)
            .order_by(PortalCode.requested_at)
        )
    )
    by_client = list(
        session.scalars(
            select(PortalCode.requested_at)
            .where(PortalCode.client == client, PortalCode.requested_at > since)
            .order_by(PortalCode.requested_at)
        )
    )
    waits = [
        w
        for w in (_wait(by_account, REQUESTS_PER_HOUR, now), _wait(by_client, CLIENT_REQUESTS_PER_HOUR, now))
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

    account = session.get(Account, account_id) if account_id else None
    point = _reachable_point(session, account.customer_id) if account is not None else None
    # an older live code of the account ends here: only the newest works
    session.execute(
        update(PortalCode)
        .where(PortalCode.account_id == account_id, PortalCode.used_at.is_(None), PortalCode.expires_at > now)
        .values(expires_at=now)
    )
    row = PortalCode(
        account_id=account_id,
        customer_id=account.customer_id if point is not None and account is not None else None,
        requested_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
        failed=0,
        client=client,
    )
    session.add(row)
    session.flush()
    if account is not None and point is not None:
        code = f"{secrets.randbelow(10**6):06d}"
        row.code_digest = code_digest(secret, row.id, account_id, code)
        customer = session.get(Customer, account.customer_id)
        said = (customer.language if customer is not None else None) or language
        said = said if said in LANGUAGES else language
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
            body=translate(CODE_TEXT, said, code=code, minutes=CODE_MINUTES),
            purpose=PURPOSE,
            idempotency_key=f"portal-code:{row.id}",
            now=now,
            not_after=row.expires_at,
            late_policy=LatePolicy.EXPIRE,
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
    up), else :class:`CodeRefusedError` after counting the wrong try against the live code."""
    account_id = account_id.strip()[:ACCOUNT_LENGTH]
    code = code.strip()
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
    right = (
        row is not None
        and row.code_digest is not None
        and row.customer_id is not None
        and len(code) <= 20
        and hmac.compare_digest(row.code_digest, code_digest(secret, row.id, account_id, code))
    )
    if not right or row is None or row.customer_id is None:
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
