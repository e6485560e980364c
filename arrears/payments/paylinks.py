"""Pay-now links: a link to the bank's payment page for a fixed amount, and the money the payment
provider confirms through it (docs/channels.md, "Pay now").

The rules:

- issuing needs ``message.send`` (the link goes to the customer in a message, like any other
  text a collector may send) and a case in the issuer's scope (else 404, as a missing one); the
  case is open (else 409 ``case_closed``), the account is one of its accounts, the amount is
  above zero in the account's currency and **never more than the account's overdue in the
  case** (which pending payments have lowered already) less what its live links ask already
  (issued or used, not expired, not paid): the links out never ask more than is owed; issuing
  is audited (``paylink.issue``);
- the token is ``<nonce>.<signature>``: 16 random bytes and the first 16 bytes of their
  HMAC-SHA256 under the secret key, both base64url; only its SHA-256 is stored; a token whose
  signature fails is refused before any lookup;
- a link is **single use** and **expires** (``expires_at``): following it (``use_link``) marks
  it ``used`` in one conditional update, so two clicks never both pass; an unknown, tampered,
  used, expired or cancelled link is refused and the refusal names nothing of the customer; its
  use is audited (``paylink.use``, by an anonymous actor with the caller's address);
- a reminder's link (``issue_for_reminder``, by the system, for the nightly reminders) is for
  the case's worst account owing something in its currency, for the reminder's amount due capped
  at what that account owes less what its live links ask; it is tied to its message
  (``attach_to_messages``; one not queued is cancelled). A link whose message was stopped or
  expired unsent is withdrawn: it cannot be followed (gone, ``cancelled``) and asks nothing; a
  message stopped by a payment cancels its link outright (``cancel_message_links``);
- a link not used yet can be cancelled (``cancel_link``: ``message.send``, the case in scope,
  409 ``pay_link_used`` once used), audited (``paylink.cancel``);
- the provider's confirmation (``take_notify``) is verified (its signature), taken **once per
  provider trade number** (``trade_no``), must be for the link's amount, and records a
  **pending payment**: the case takes it at once (:func:`arrears.payments.effects.take_pending`:
  overdue down, rest in next case, moot reminders stopped) and it is audited (``paylink.paid``,
  by the payment provider);
- when the core system posts the same money (``confirm_posted``, called by the posting), the
  pending payment becomes ``confirmed`` with the payment's id, and the posting does not lower the
  overdue again: **a payment is never counted twice**. A posted payment matches a pending one
  of its account, currency and amount whose link's order number (``out_trade_no``, e.g.
  ``PL3f9a0c…``) is the payment's ``channel``; a payment whose channel is no order number (e.g.
  ``bank``) matches the oldest such pending payment (same account, currency and amount).

Nothing here commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from arrears.audit.trail import SYSTEM, Actor, record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.models import Case, CaseAccount, CaseStatus
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError
from arrears.channels.models import MessageState, OutboxMessage
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_, Text
from arrears.money import MoneyError, format_major, parse_major
from arrears.payments import effects
from arrears.payments.effects import Day
from arrears.payments.models import LinkStatus, PayLink, PendingPayment, PendingStatus
from arrears.payments.providers import PAID_STATUSES, PaymentProvider, parse_provider_time
from arrears.portfolio.models import Payment

REFERENCE_PREFIX = "PL"
"""The links' order numbers (``out_trade_no``): ``PL`` and 16 hex digits, short enough for a
posted payment's ``channel`` (32 characters) to carry one."""
MAX_TTL = timedelta(days=30)
WITHDRAWN = (MessageState.STOPPED, MessageState.EXPIRED)
"""States of a message that was never sent and never will be: its unused link is cancelled."""
PROVIDER = Actor(user_id=None, name="payment provider", role="system")
"""The actor of a provider's confirmation on the audit trail."""


class PayLinkUnknownError(NotFoundError):
    code = "pay_link_unknown"
    default_message = N_("This payment link is not valid")


class PayLinkGoneError(ConflictError):
    code = "pay_link_gone"
    http_status = 410
    default_message = N_("This payment link can no longer be used ({state}): ask for a new one")

    def __init__(self, state: str) -> None:
        super().__init__(state=state)
        self.extensions = {"state": state}


class AmountAboveDebtError(InvalidInputError):
    code = "amount_above_debt"
    http_status = 422
    default_message = N_("The amount {amount} is more than the {owed} the account owes")


class InvalidPayLinkError(InvalidInputError):
    code = "invalid_pay_link"
    http_status = 422
    default_message = N_("A payment link cannot be issued: {reason}")


class CaseClosedError(ConflictError):
    code = "case_closed"
    default_message = N_("Case {case_id} is closed: it takes no payment link")


class PayLinkNotFoundError(NotFoundError):
    code = "pay_link_not_found"
    default_message = N_("Payment link {link_id} was not found")


class PayLinkUsedError(ConflictError):
    code = "pay_link_used"
    default_message = N_("Payment link {link_id} was used already: it cannot be cancelled")


class InvalidNotifyError(InvalidInputError):
    code = "invalid_notify"
    default_message = N_("The payment confirmation was refused: {reason}")


@dataclass(frozen=True)
class Issued:
    link: PayLink
    token: str
    """Answered once, never stored."""


def issue_link(
    session: Session,
    actor: Principal,
    case_id: str,
    account_id: str,
    amount: int,
    currency: str,
    now: datetime,
    ttl: timedelta,
    *,
    today: date,
    secret: str,
) -> Issued:
    """A new link for ``amount`` of ``account_id`` in ``case_id``, valid for ``ttl``."""
    actor.require(Permission.MESSAGE_SEND)
    case = session.scalar(select(Case).where(Case.case_id == case_id, case_filter(actor, today)))
    if case is None:
        raise CaseNotFoundError(case_id=case_id)
    owed = _owed(session, case, account_id, currency) - _reserved(session, case.case_id, account_id, now)
    if not timedelta(minutes=1) <= ttl <= MAX_TTL:
        raise InvalidPayLinkError(reason=Text.of(N_("its lifetime must be between a minute and 30 days")))
    if amount <= 0:
        raise InvalidPayLinkError(reason=Text.of(N_("the amount must be above zero")))
    if amount > owed:
        raise AmountAboveDebtError(amount=format_major(amount, currency), owed=format_major(owed, currency))
    return _new_link(
        session, actor.actor(), case, account_id, amount, currency, now, now + ttl, secret=secret
    )


def _new_link(
    session: Session,
    actor: Actor,
    case: Case,
    account_id: str,
    amount: int,
    currency: str,
    now: datetime,
    expires_at: datetime,
    *,
    secret: str,
) -> Issued:
    """Store a link checked already, audited (``paylink.issue``)."""
    token = make_token(secret)
    link = PayLink(
        token_hash=token_hash(token),
        case_id=case.case_id,
        account_id=account_id,
        amount=amount,
        currency=currency,
        issued_at=now,
        issued_by=actor.user_id,
        expires_at=expires_at,
        provider_reference=f"{REFERENCE_PREFIX}{secrets.token_hex(8)}",
        status=LinkStatus.ISSUED,
    )
    session.add(link)
    session.flush()
    record(
        session,
        actor,
        "paylink.issue",
        at=now,
        object_type="pay_link",
        object_id=str(link.id),
        customer_id=case.customer_id,
        after={
            "case_id": case.case_id,
            "account_id": account_id,
            "amount": format_major(amount, currency),
            "currency": currency,
            "expires_at": link.expires_at.isoformat(),
            "provider_reference": link.provider_reference,
        },
    )
    return Issued(link, token)


def issue_for_reminder(
    session: Session, case_id: str, amount: int | None, now: datetime, expires_at: datetime, *, secret: str
) -> Issued | None:
    """A link for a reminder of the open case ``case_id``, issued by the system: for its worst
    account in its currency that owes something (highest DPD, then largest overdue), for
    ``amount`` (none: the account's overdue) capped at what the account owes less what its live
    links ask already; none when the case is not open or nothing is left to ask."""
    case = session.scalar(select(Case).where(Case.case_id == case_id, Case.status == CaseStatus.OPEN))
    if case is None:
        return None
    account = session.execute(
        select(CaseAccount.account_id, CaseAccount.overdue_amount)
        .where(
            CaseAccount.case_id == case_id,
            CaseAccount.currency == case.currency,
            CaseAccount.overdue_amount > 0,
        )
        .order_by(CaseAccount.dpd.desc(), CaseAccount.overdue_amount.desc(), CaseAccount.account_id)
        .limit(1)
    ).first()
    if account is None:
        return None
    account_id, overdue = str(account[0]), int(account[1])
    owed = overdue - _reserved(session, case_id, account_id, now)
    asked = owed if amount is None else min(amount, owed)
    if asked <= 0:
        return None
    expires_at = min(expires_at, now + MAX_TTL)
    return _new_link(session, SYSTEM, case, account_id, asked, case.currency, now, expires_at, secret=secret)


def _owed(session: Session, case: Case, account_id: str, currency: str) -> int:
    if case.status != CaseStatus.OPEN:
        raise CaseClosedError(case_id=case.case_id)
    row = session.execute(
        select(CaseAccount.overdue_amount, CaseAccount.currency).where(
            CaseAccount.case_id == case.case_id, CaseAccount.account_id == account_id
        )
    ).first()
    if row is None:
        raise InvalidPayLinkError(reason=Text.of(N_("the account is not one of the case's")))
    if row[1] != currency:
        raise InvalidPayLinkError(reason=Text.of(N_("the currency is not the account's")))
    return int(row[0] or 0)


def _reserved(session: Session, case_id: str, account_id: str, now: datetime) -> int:
    """What the account's live links ask already: issued or used, not expired, not paid (a paid
    link's pending payment has lowered the overdue itself)."""
    paid = select(PendingPayment.link_id)
    total = session.scalar(
        select(func.coalesce(func.sum(PayLink.amount), 0)).where(
            PayLink.case_id == case_id,
            PayLink.account_id == account_id,
            PayLink.status.in_([LinkStatus.ISSUED, LinkStatus.USED]),
            PayLink.expires_at > now,
            PayLink.id.not_in(paid),
            _not_withdrawn(),
        )
    )
    return int(total or 0)


def _not_withdrawn() -> ColumnElement[bool]:
    """The link's message, if it has one, was not stopped or expired unsent."""
    withdrawn = select(OutboxMessage.id).where(OutboxMessage.state.in_(WITHDRAWN))
    return or_(PayLink.message_id.is_(None), PayLink.message_id.not_in(withdrawn))


def make_token(secret: str) -> str:
    nonce = _b64(secrets.token_bytes(16))
    return f"{nonce}.{_signature(nonce, secret)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signature(nonce: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), f"paylink:{nonce}".encode(), hashlib.sha256).digest()[:16])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signed(token: str, secret: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and hmac.compare_digest(signature.encode(), _signature(nonce, secret).encode())


def use_link(session: Session, token: str, now: datetime, *, secret: str, actor: Actor) -> PayLink:
    """Mark the link of ``token`` used and answer it (audited: ``paylink.use``, by ``actor``, the
    anonymous caller); refused when unknown, tampered, used, expired or cancelled (nothing of the
    customer in the refusal)."""
    if not signed(token, secret):
        raise PayLinkUnknownError()
    hashed = token_hash(token)
    taken = session.execute(
        update(PayLink)
        .where(
            PayLink.token_hash == hashed,
            PayLink.status == LinkStatus.ISSUED,
            PayLink.expires_at > now,
            _not_withdrawn(),
        )
        .values(status=LinkStatus.USED, used_at=now, version=PayLink.version + 1)
        .execution_options(synchronize_session=False)
    )
    link = session.scalar(select(PayLink).where(PayLink.token_hash == hashed))
    if link is None:
        raise PayLinkUnknownError()
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        customer_id = session.scalar(select(Case.customer_id).where(Case.case_id == link.case_id))
        record(
            session,
            actor,
            "paylink.use",
            at=now,
            object_type="pay_link",
            object_id=str(link.id),
            customer_id=customer_id,
            after={"status": LinkStatus.USED.value},
        )
        return link
    raise PayLinkGoneError(_state(session, link, now).value)


def _state(session: Session, link: PayLink, now: datetime) -> LinkStatus:
    """Why a link that did not pass is gone: its stored status, or cancelled when its message was
    withdrawn, or expired."""
    if link.status != LinkStatus.ISSUED:
        return LinkStatus(link.status)
    withdrawn = session.scalar(select(PayLink.id).where(PayLink.id == link.id, ~_not_withdrawn()))
    return LinkStatus.CANCELLED if withdrawn is not None else LinkStatus.EXPIRED


def cancel_link(session: Session, actor: Principal, link_id: int, now: datetime, *, today: date) -> PayLink:
    """Cancel a link not used yet (audited: ``paylink.cancel``); who may issue it may cancel it,
    in the same scope (else 404, as a missing one). A used link is 409 ``pay_link_used``; a
    cancelled one is answered as it is."""
    actor.require(Permission.MESSAGE_SEND)
    found = session.execute(
        select(PayLink, Case.customer_id)
        .join(Case, Case.case_id == PayLink.case_id)
        .where(PayLink.id == link_id, case_filter(actor, today))
    ).first()
    if found is None:
        raise PayLinkNotFoundError(link_id=link_id)
    link, customer_id = found
    if link.status == LinkStatus.CANCELLED:
        return link
    if link.status != LinkStatus.ISSUED or not _cancelled(session, [link.id], now):
        raise PayLinkUsedError(link_id=link_id)
    session.refresh(link)
    _audit_cancel(session, actor.actor(), link.id, customer_id, now=now, reason="cancelled by hand")
    return link


def cancel_message_links(session: Session, message_ids: Sequence[int], *, now: datetime) -> list[int]:
    """Cancel the unused links of messages that were stopped (audited: ``paylink.cancel`` by the
    system); answers the links' ids."""
    if not message_ids:
        return []
    rows = session.execute(
        select(PayLink.id, Case.customer_id, PayLink.message_id)
        .join(Case, Case.case_id == PayLink.case_id)
        .where(PayLink.message_id.in_(list(message_ids)), PayLink.status == LinkStatus.ISSUED)
        .order_by(PayLink.id)
    ).all()
    done = _cancelled(session, [row[0] for row in rows], now)
    for link_id, customer_id, message_id in rows:
        if link_id in done:
            _audit_cancel(
                session, SYSTEM, link_id, customer_id, now=now, reason=f"message {message_id} stopped"
            )
    return sorted(done)


def cancel_withdrawn(session: Session, *, now: datetime) -> list[int]:
    """Cancel, as stored, the unused links of reminders withdrawn since (stopped or expired in the
    outbox: cancelled by hand, stopped or expired by the gate). Followed, such a link already
    answers ``cancelled``; this makes its stored status say so too. Answers the links' ids."""
    withdrawn = select(OutboxMessage.id).where(OutboxMessage.state.in_(WITHDRAWN))
    message_ids = session.scalars(
        select(PayLink.message_id).where(
            PayLink.status == LinkStatus.ISSUED, PayLink.message_id.in_(withdrawn)
        )
    ).all()
    return cancel_message_links(session, [m for m in message_ids if m is not None], now=now)


def attach_to_messages(session: Session, links: Mapping[int, int | None], *, now: datetime) -> None:
    """Tie each reminder's link to its message (``message_id``); a link whose reminder was not
    queued (none: it did not render, came too late, or another run queued it) is cancelled."""
    for link_id, message_id in links.items():
        if message_id is not None:
            session.execute(
                update(PayLink)
                .where(PayLink.id == link_id)
                .values(message_id=message_id)
                .execution_options(synchronize_session=False)
            )
    unsent = [link_id for link_id, message_id in links.items() if message_id is None]
    for link_id in sorted(_cancelled(session, unsent, now)):
        customer_id = session.scalar(
            select(Case.customer_id)
            .join(PayLink, PayLink.case_id == Case.case_id)
            .where(PayLink.id == link_id)
        )
        _audit_cancel(session, SYSTEM, link_id, customer_id, now=now, reason="its reminder was not queued")


def _cancelled(session: Session, link_ids: Sequence[int], now: datetime) -> set[int]:
    """Mark the links of ``link_ids`` that are still issued cancelled; answers those it marked."""
    if not link_ids:
        return set()
    changed = session.execute(
        update(PayLink)
        .where(PayLink.id.in_(list(link_ids)), PayLink.status == LinkStatus.ISSUED)
        .values(status=LinkStatus.CANCELLED, cancelled_at=now, version=PayLink.version + 1)
        .returning(PayLink.id)
        .execution_options(synchronize_session=False)
    )
    return {int(row[0]) for row in changed}


def _audit_cancel(
    session: Session, actor: Actor, link_id: int, customer_id: str | None, *, now: datetime, reason: str
) -> None:
    record(
        session,
        actor,
        "paylink.cancel",
        at=now,
        object_type="pay_link",
        object_id=str(link_id),
        customer_id=customer_id,
        before={"status": LinkStatus.ISSUED.value},
        after={"status": LinkStatus.CANCELLED.value},
        reason=reason,
    )


@dataclass(frozen=True)
class NotifyOutcome:
    taken: bool
    """False when nothing changed: a status that is not a payment, or a trade number taken already."""
    pending: PendingPayment | None = None


def take_notify(
    session: Session, provider: PaymentProvider, form: Mapping[str, str], *, day: Day
) -> NotifyOutcome:
    """Take the provider's confirmation (see the module's description)."""
    if not provider.verify(form):
        raise InvalidNotifyError(reason=Text.of(N_("the signature is not the provider's")))
    if form.get("trade_status") not in PAID_STATUSES:
        return NotifyOutcome(taken=False)
    trade_no = (form.get("trade_no") or "").strip()
    reference = (form.get("out_trade_no") or "").strip()
    if not trade_no or not reference:
        raise InvalidNotifyError(reason=Text.of(N_("trade_no and out_trade_no are required")))
    link = _locked_link(session, reference)
    if link is None:
        raise InvalidNotifyError(reason=Text.of(N_("no such order")))
    if session.scalar(select(PendingPayment).where(PendingPayment.trade_no == trade_no)) is not None:
        return NotifyOutcome(taken=False)
    _check_amount(form, link)
    pending = PendingPayment(
        trade_no=trade_no,
        link_id=link.id,
        case_id=link.case_id,
        account_id=link.account_id,
        amount=link.amount,
        currency=link.currency,
        paid_at=_paid_at(form, day.now),
        received_at=day.now,
        status=PendingStatus.PENDING,
    )
    session.add(pending)
    if link.status == LinkStatus.ISSUED:  # paid without our redirect (a link copied to the provider)
        link.status, link.used_at = LinkStatus.USED, day.now
    session.flush()
    effect = effects.take_pending(
        session, link.account_id, link.amount, link.currency, label=f"pay link {link.id}", day=day
    )
    cancel_message_links(session, effect.messages_stopped, now=day.now)
    _audit_paid(session, pending, link, effect, now=day.now)
    return NotifyOutcome(taken=True, pending=pending)


def _locked_link(session: Session, reference: str) -> PayLink | None:
    """The link of ``reference``, locked until the transaction ends (a write that changes nothing:
    a row lock on PostgreSQL, the database's write lock on SQLite), so that two deliveries of one
    confirmation take turns."""
    session.execute(
        update(PayLink)
        .where(PayLink.provider_reference == reference)
        .values(status=PayLink.status)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(select(PayLink).where(PayLink.provider_reference == reference))


def _check_amount(form: Mapping[str, str], link: PayLink) -> None:
    try:
        paid = parse_major((form.get("total_amount") or "").strip(), link.currency)
    except MoneyError:
        paid = None
    if paid != link.amount:
        raise InvalidNotifyError(reason=Text.of(N_("the amount is not the link's")))


def _paid_at(form: Mapping[str, str], now: datetime) -> datetime:
    try:
        return parse_provider_time(form.get("gmt_payment") or "")
    except ValueError:
        return now


def _audit_paid(
    session: Session, pending: PendingPayment, link: PayLink, effect: effects.PendingEffect, *, now: datetime
) -> None:
    customer_id = session.scalar(select(Case.customer_id).where(Case.case_id == link.case_id))
    record(
        session,
        PROVIDER,
        "paylink.paid",
        at=now,
        object_type="pending_payment",
        object_id=str(pending.id),
        customer_id=customer_id,
        after={
            "link_id": link.id,
            "trade_no": pending.trade_no,
            "account_id": pending.account_id,
            "amount": format_major(pending.amount, pending.currency),
            "currency": pending.currency,
            "paid_at": pending.paid_at.isoformat(),
            "case_id": effect.case_id,
            "overdue_before": effect.overdue_before,
            "overdue_after": effect.overdue_after,
            "messages_stopped": ",".join(str(i) for i in effect.messages_stopped) or None,
        },
    )


def confirm_posted(session: Session, posted: Sequence[Payment], *, now: datetime) -> set[str]:
    """Confirm the pending payments the core system's ``posted`` payments book; answers the ids of
    the posted payments whose money the case counted already."""
    counted: set[str] = set()
    for payment in posted:
        if payment.reverses is not None:
            continue
        pending = _matching_pending(session, payment)
        if pending is None:
            continue
        session.execute(
            update(PendingPayment)
            .where(PendingPayment.id == pending.id, PendingPayment.version == pending.version)
            .values(
                status=PendingStatus.CONFIRMED,
                payment_id=payment.payment_id,
                confirmed_at=now,
                version=PendingPayment.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        counted.add(payment.payment_id)
    return counted


def _matching_pending(session: Session, payment: Payment) -> PendingPayment | None:
    query = (
        select(PendingPayment)
        .where(
            PendingPayment.status == PendingStatus.PENDING,
            PendingPayment.account_id == payment.account_id,
            PendingPayment.currency == payment.currency,
            PendingPayment.amount == payment.amount,
        )
        .order_by(PendingPayment.received_at, PendingPayment.id)
        .limit(1)
        .with_for_update()
    )
    channel = payment.channel or ""
    if channel.startswith(REFERENCE_PREFIX):
        links = select(PayLink.id).where(PayLink.provider_reference == channel)
        query = query.where(PendingPayment.link_id.in_(links))
    return session.scalar(query)
