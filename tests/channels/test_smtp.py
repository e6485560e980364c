"""The worker sends e-mail through a real SMTP server on loopback (aiosmtpd): the message arrives
with its headers in zh-CN and en; 4xx and a server down are retried with backoff, then dead; 5xx is
dead at once."""

from __future__ import annotations

import random
import shutil
import ssl
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from arrears.channels.providers.base import Outgoing, ProviderError, TransientError
from arrears.channels.providers.smtp import SmtpProvider, message_id
from arrears.channels.worker import work
from arrears.clock import FixedClock
from arrears.contacts.models import Contact
from arrears.db import transaction
from tests.channels.helpers import (
    NOW,
    TEXTS,
    events,
    free_port,
    message,
    queue,
    seed,
    self_signed,
    settings_for,
    smtp_server,
    tls_smtp_server,
)

PUBLIC = "https://arrears.bank.example"


def smtp(port: int) -> SmtpProvider:
    return SmtpProvider(
        "127.0.0.1", port, security="none", sender="collections@bank.example", public_url=PUBLIC, timeout=5
    )


def _work(engine: Engine, provider: SmtpProvider, clock: FixedClock) -> None:
    try:
        work(
            engine, {"email": provider}, clock, once=True, settings=settings_for(engine), rng=random.Random(7)
        )
    finally:
        provider.close()


def test_an_email_arrives_with_its_headers_in_both_languages(engine: Engine) -> None:
    zh, en = seed(engine, 2)
    first = queue(engine, zh, "reminder-zh-1", language="zh-CN")
    second = queue(engine, en, "reminder-en-1", language="en")
    clock = FixedClock(NOW)
    with smtp_server() as (relay, port):
        _work(engine, smtp(port), clock)
    by_id = {str(m["Message-ID"]): m for m in relay.received}
    assert sorted(by_id) == ["<reminder-en-1@arrears>", "<reminder-zh-1@arrears>"]
    for key, language, unsubscribe in (
        ("reminder-zh-1", "zh-CN", "退订"),
        ("reminder-en-1", "en", "unsubscribe"),
    ):
        mail = by_id[f"<{key}@arrears>"]
        subject, body = TEXTS[language]
        assert mail["Subject"] == subject
        assert mail["Content-Language"] == language
        assert str(mail["List-Unsubscribe"]).startswith(f"<{PUBLIC}/api/v1/opt-out?token=")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = mail.get_content()
        assert body in text and unsubscribe in text and f"{PUBLIC}/api/v1/opt-out?token=" in text
    assert by_id["<reminder-zh-1@arrears>"]["To"].addresses[0].display_name == "王小明"
    for ident, key in ((first, "reminder-zh-1"), (second, "reminder-en-1")):
        row = message(engine, ident)
        assert (row.state, row.provider, row.provider_message_id, row.sent_at) == (
            "sent",
            "smtp",
            f"<{key}@arrears>",
            NOW,
        )
        assert [kind for kind, _ in events(engine, ident)] == ["queued", "sending", "attempt", "sent"]
    with transaction(engine) as session:
        contacts = session.scalars(select(Contact).order_by(Contact.id)).all()
        assert [(c.channel, c.disposition, c.source, c.gate_verdict) for c in contacts] == [
            ("email", "message_sent", "outbox", "allow")
        ] * 2
        assert {c.id for c in contacts} == {
            message(engine, first).contact_id,
            message(engine, second).contact_id,
        }


def test_a_key_unfit_for_a_message_id_is_hashed() -> None:
    assert message_id("promise-42.2026-11-21") == "<promise-42.2026-11-21@arrears>"
    made = message_id("promise:42/2026-11-21")
    assert made.startswith("<") and made.endswith("@arrears>") and ":" not in made and len(made) == 64 + 10


def test_transient_errors_are_retried_with_backoff_then_dead(engine: Engine) -> None:
    customer = seed(engine)[0]
    ident = queue(engine, customer, "m-transient")
    clock = FixedClock(NOW)
    _work(engine, smtp(free_port()), clock)  # nobody listens there: the server is down
    row = message(engine, ident)
    assert (row.state, row.attempts) == ("queued", 1)
    assert row.last_error is not None and row.last_error.startswith("connection")
    assert NOW + timedelta(seconds=30) <= row.next_attempt_at <= NOW + timedelta(seconds=60)
    with smtp_server() as (relay, port):
        relay.rcpt_answer = "451 4.3.0 Mailbox temporarily unavailable"
        _work(engine, smtp(port), clock)  # not due yet: nothing happens
        assert message(engine, ident).attempts == 1
        clock.advance(timedelta(seconds=60))
        _work(engine, smtp(port), clock)
        row = message(engine, ident)
        assert (row.state, row.attempts, row.last_error) == (
            "queued",
            2,
            "smtp_451: 4.3.0 Mailbox temporarily unavailable",
        )
        assert (
            clock.now() + timedelta(seconds=60) <= row.next_attempt_at <= clock.now() + timedelta(seconds=120)
        )
        clock.advance(timedelta(seconds=120))
        _work(engine, smtp(port), clock)
        assert relay.received == []
    row = message(engine, ident)
    assert (row.state, row.attempts, row.settled_at) == ("dead", 3, clock.now())
    kinds = [kind for kind, _ in events(engine, ident)]
    assert kinds == ["queued"] + ["sending", "attempt", "queued"] * 2 + ["sending", "attempt", "dead"]


def test_a_permanent_error_is_dead_at_once(engine: Engine) -> None:
    customer = seed(engine)[0]
    ident = queue(engine, customer, "m-permanent")
    with smtp_server() as (relay, port):
        relay.rcpt_answer = "550 5.1.1 No such user here"
        _work(engine, smtp(port), FixedClock(NOW))
    row = message(engine, ident)
    assert (row.state, row.attempts, row.last_error) == ("dead", 1, "smtp_550: 5.1.1 No such user here")
    assert events(engine, ident)[-1] == ("dead", "smtp_550: 5.1.1 No such user here")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl makes the relay's certificate")
    return self_signed(tmp_path_factory.mktemp("tls"))


def _tls_provider(port: int, cert: Path, security: str, password: str) -> SmtpProvider:
    return SmtpProvider(
        "127.0.0.1",
        port,
        security=security,
        username="arrears",
        password=password,
        sender="collections@bank.example",
        timeout=5,
        tls=ssl.create_default_context(cafile=cert),
    )


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_implicit_tls_and_auth(security: str, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    mail = Outgoing(1, "tls-1", "email", "c1@example.cn", "正文", "zh-CN", subject="主题")
    with tls_smtp_server(cert, key, implicit=security == "tls", users={"arrears": "s3cret"}) as (relay, port):
        provider = _tls_provider(port, cert, security, "s3cret")
        try:
            assert provider.send(mail).provider_message_id == "<tls-1@arrears>"
        finally:
            provider.close()
        wrong = _tls_provider(port, cert, security, "wrong")
        with pytest.raises(TransientError) as refused:
            wrong.send(mail)
        assert refused.value.code == "smtp_setup"
        plain = SmtpProvider("127.0.0.1", port, security="none", sender="collections@bank.example", timeout=1)
        with pytest.raises(ProviderError):  # no TLS: the relay refuses (STARTTLS required) or talks TLS
            plain.send(mail)
        plain.close()
    assert relay.ids() == ["<tls-1@arrears>"]
