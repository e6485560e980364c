"""Pay-now links and the payments their provider confirmed (docs/channels.md, "Pay now").

A link is stored by the hash of its token, never the token itself; it is single use, expires,
and fixes its amount when issued. A provider's confirmation is a **pending payment** until the
core system posts the same money (it then becomes ``confirmed``, naming that payment).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.concurrency import Versioned
from arrears.db import Base, UTCDateTime


class LinkStatus(StrEnum):
    ISSUED = "issued"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PendingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


class PayLink(Versioned, Base):
    """A link to the bank's payment page for a fixed amount of one account of one case."""

    __tablename__ = "pay_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the token, hex")
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), comment="accounts.account_id")
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units, fixed when issued")
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    provider_reference: Mapped[str] = mapped_column(
        String(64), unique=True, comment="the merchant's order number at the provider (out_trade_no)"
    )
    status: Mapped[str] = mapped_column(String(16), comment="issued, used, expired, cancelled")
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id"), index=True, comment="the reminder that carries it, if one"
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class PendingPayment(Versioned, Base):
    """Money the payment provider confirmed, counted by the case until the core system posts it."""

    __tablename__ = "pending_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trade_no: Mapped[str] = mapped_column(
        String(64), unique=True, comment="the provider's trade number: one confirmation taken once"
    )
    link_id: Mapped[int] = mapped_column(ForeignKey("pay_links.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    account_id: Mapped[str] = mapped_column(String(64), comment="accounts.account_id")
    amount: Mapped[int] = mapped_column(BigInteger, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column(
        UTCDateTime(timezone=True), comment="the provider's gmt_payment"
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), comment="pending, confirmed")
    payment_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="the core system's posted payment that confirmed it"
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
