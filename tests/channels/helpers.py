"""What the channels tests share: customers with an e-mail address and an open case, messages
queued for them, a real SMTP server on loopback (aiosmtpd) and the worker's settings."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine, insert, select

from arrears.audit.trail import SYSTEM
from arrears.cases.models import Case
from arrears.channels.models import MessageEvent, OutboxMessage
from arrears.channels.outbox import queue_message
from arrears.config import Settings, load_settings
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint, Customer

SHANGHAI = timedelta(hours=8)
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
"""10:00 in Shanghai."""


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant given as Shanghai wall-clock time on 2026-11-``day``."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - SHANGHAI


def seed(
    engine: Engine, count: int = 1, *, language: str = "zh-CN", prefix: str = "M", point: str = "email"
) -> list[tuple[str, int]]:
    """``count`` customers in Shanghai, each with an e-mail address (``point="mobile"``: a mobile
    number, +86139…) and an open case; answers (customer id, contact point id) of each."""
    made: list[tuple[str, int]] = []
    with engine.begin() as connection:
        for n in range(count):
            customer_id = f"{prefix}{n:05d}"
            connection.execute(
                insert(Customer).values(
                    customer_id=customer_id, name="王小明", timezone="Asia/Shanghai", language=language
                )
            )
            point_id = connection.execute(
                insert(ContactPoint)
                .values(
                    customer_id=customer_id, type=point, value=_point_value(point, n, prefix), party="debtor"
                )
                .returning(ContactPoint.id)
            ).scalar_one()
            connection.execute(
                insert(Case).values(
                    case_id=f"C-{customer_id}",
                    customer_id=customer_id,
                    status="open",
                    opened_on=date(2026, 11, 1),
                    worst_dpd=40,
                    bucket="M2",
                    overdue_total=100_00,
                    currency="CNY",
                    account_count=1,
                    updated_on=date(2026, 11, 21),
                )
            )
            made.append((customer_id, int(point_id)))
    return made


def _point_value(point: str, n: int, prefix: str) -> str:
    if point == "mobile":
        return f"+86139{sum(map(ord, prefix)) % 100:02d}{n:06d}"
    return f"c{n}@example.cn"


TEXTS = {
    "zh-CN": ("还款提醒：您的账单已逾期", "尊敬的客户，您的信用卡账单已逾期，请尽快还款。"),
    "en": ("Payment reminder: your bill is overdue", "Dear customer, your card bill is overdue: please pay."),
}


def queue(
    engine: Engine,
    customer: tuple[str, int],
    key: str,
    *,
    now: datetime = NOW,
    language: str = "zh-CN",
    channel: str = "email",
    **more: Any,
) -> int:
    subject, body = TEXTS[language]
    with transaction(engine) as session:
        message = queue_message(
            session,
            SYSTEM,
            channel=channel,
            customer_id=customer[0],
            case_id=f"C-{customer[0]}",
            contact_point_id=customer[1],
            language=language,
            subject=subject if channel == "email" else None,
            body=body,
            purpose="manual",
            idempotency_key=key,
            now=now,
            **more,
        )
        return message.id


def message(engine: Engine, message_id: int) -> OutboxMessage:
    with transaction(engine) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        session.expunge(row)
        return row


def contact_point(engine: Engine, point_id: int) -> ContactPoint:
    with transaction(engine) as session:
        point = session.get(ContactPoint, point_id)
        assert point is not None
        session.expunge(point)
        return point


def events(engine: Engine, message_id: int) -> list[tuple[str, str | None]]:
    with transaction(engine) as session:
        rows = session.scalars(
            select(MessageEvent).where(MessageEvent.message_id == message_id).order_by(MessageEvent.id)
        )
        return [(r.kind, r.detail) for r in rows]


def settings_for(engine: Engine, **overrides: Any) -> Settings:
    return load_settings(
        database_url=engine.url.render_as_string(hide_password=False),
        language="en",
        outbox_backoff_seconds=60,
        outbox_max_attempts=3,
        **overrides,
    )


# --- the SMTP server -----------------------------------------------------------------------------


@dataclass
class Relay:
    """An aiosmtpd handler that keeps what it receives, or answers what the test tells it to."""

    received: list[EmailMessage] = field(default_factory=list)
    rcpt_answer: str | None = None
    hang_after: int | None = None
    """Keep the message after this many, then answer nothing until :meth:`release` (a relay that
    took a message and whose 250 never reached the sender)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.rcpt_answer is not None:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(parsed)
            hang = self.hang_after is not None and len(self.received) > self.hang_after
        if hang:
            self.hanging.set()
            while not self.released.is_set():
                await asyncio.sleep(0.01)
        return "250 Message accepted for delivery"

    def release(self) -> None:
        self.hang_after = None
        self.released.set()

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Relay, int]]:
    relay = Relay()
    controller = Controller(relay, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield relay, controller.port
    finally:
        controller.stop()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl (the tests' only TLS peer)."""
    cert, key = directory / "relay.pem", directory / "relay.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def tls_smtp_server(
    cert: Path, key: Path, *, implicit: bool, users: dict[str, str] | None = None
) -> Iterator[tuple[Relay, int]]:
    """The relay behind STARTTLS (required) or implicit TLS, with AUTH PLAIN/LOGIN for ``users``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    relay = Relay()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        known = users or {}
        ok = isinstance(data, LoginPassword) and known.get(data.login.decode()) == data.password.decode()
        return AuthResult(success=ok, handled=False)

    # implicit TLS: aiosmtpd only knows of TLS it started itself, so it is told not to ask for it
    options: dict[str, Any] = {
        "authenticator": authenticator if users else None,
        "auth_require_tls": not implicit,
    }
    if implicit:
        controller = Controller(relay, hostname="127.0.0.1", port=free_port(), ssl_context=context, **options)
    else:
        controller = Controller(
            relay,
            hostname="127.0.0.1",
            port=free_port(),
            tls_context=context,
            require_starttls=True,
            **options,
        )
    controller.start()
    try:
        yield relay, controller.port
    finally:
        controller.stop()
