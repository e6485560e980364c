"""The opt-out link (#13 §4): the link of an e-mail received over SMTP opens a confirmation page in
the customer's language (plain HTML, nothing loaded from elsewhere) that records nothing; the
one-click POST records one opt-out for the e-mail at that address, as the system and audited,
however often it is followed; the next e-mail to that address is stopped by the gate at send
time. A tampered token, or one signed under another key, is a 400 that names nothing."""

from __future__ import annotations

import json
import random
import re

import httpx
from sqlalchemy import Engine, select

from arrears.audit.models import AuditEntry
from arrears.channels.providers.smtp import SmtpProvider, opt_out_token
from arrears.channels.signed import SIGNATURE_HEADER, signature
from arrears.channels.worker import Tally, work
from arrears.clock import FixedClock
from arrears.contacts.models import Contact, ContactPreference
from arrears.db import transaction
from tests.api.conftest import Api
from tests.channels.helpers import NOW, Relay, contact_point, message, queue, seed, settings_for, smtp_server


def _work(engine: Engine, port: int, public_url: str) -> Tally:
    provider = SmtpProvider(
        "127.0.0.1",
        port,
        security="none",
        sender="collections@bank.example",
        public_url=public_url,
        timeout=5,
    )
    try:
        return work(
            engine,
            {"email": provider},
            FixedClock(NOW),
            once=True,
            settings=settings_for(engine),
            rng=random.Random(5),
        )
    finally:
        provider.close()


def _link(relay: Relay) -> str:
    header = str(relay.received[-1]["List-Unsubscribe"])
    found = re.fullmatch(r"<(.+)>", header)
    assert found is not None, header
    return found.group(1)


def _opt_outs(engine: Engine) -> list[tuple[str, str | None, int | None, int | None]]:
    with transaction(engine) as session:
        rows = session.scalars(select(ContactPreference).order_by(ContactPreference.id))
        return [(r.kind, r.channel, r.contact_point_id, r.recorded_by) for r in rows]


def test_the_link_of_a_received_email_opts_out_and_the_gate_stops_the_next(api: Api) -> None:
    customer = seed(api.engine)[0]
    first = queue(api.engine, customer, "optout-1")
    with smtp_server() as (relay, port):
        assert _work(api.engine, port, api.url).sent == 1
        link = _link(relay)
        assert link.startswith(f"{api.url}/api/v1/opt-out?token=")
        client = api.client()

        page = client.get(link)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert '<html lang="zh-CN">' in page.text and "退订" in page.text
        assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert _opt_outs(api.engine) == []  # looking records nothing

        for _ in range(2):  # one-click, twice: one opt-out
            done = client.post(link, content=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            assert done.status_code == 200 and "已退订" in done.text
        assert _opt_outs(api.engine) == [("opt_out", "email", customer[1], None)]
        with transaction(api.engine) as session:
            actions = list(
                session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("contact_pref%")))
            )
        assert actions == ["contact_preference.record"]

        second = queue(api.engine, customer, "optout-2")
        done_tally = _work(api.engine, port, api.url)
        assert (done_tally.sent, done_tally.stopped) == (0, 1)
        assert len(relay.received) == 1
    assert message(api.engine, first).state == "sent"
    stopped = message(api.engine, second)
    assert (stopped.state, stopped.stop_reason) == ("stopped", "gate: OPT-OUT")


def test_a_tampered_or_foreign_token_is_a_400_that_names_nothing(api: Api) -> None:
    customer = seed(api.engine)[0]
    queue(api.engine, customer, "optout-3")
    good = opt_out_token("optout-3", None)
    payload, mac = good.split(".")
    tampered = [
        f"{payload}.{'0' * len(mac)}",
        f"{opt_out_token('optout-4', None).split('.')[0]}.{mac}",  # another key, this signature
        opt_out_token("optout-3", "another-secret-of-at-least-32-characters!"),
        opt_out_token("no-such-message", None),  # well signed, but no message of it
        "garbage",
    ]
    client = api.client(**{"Accept-Language": "en"})
    for token in tampered:
        for answer in (
            client.get("/api/v1/opt-out", params={"token": token}),
            client.post("/api/v1/opt-out", params={"token": token}),
        ):
            assert answer.status_code == 400, token
            problem = answer.json()
            assert problem["code"] == "invalid_opt_out_link"
            assert "optout" not in answer.text and customer[0] not in answer.text
    assert _opt_outs(api.engine) == []
    assert httpx.get(f"{api.url}/api/v1/opt-out", params={"token": good}).status_code == 200


# --- bounces ---------------------------------------------------------------------------------------

SECRET = "callback-secret-for-the-tests-0123456789"


def _bounce(api: Api, payload: dict[str, str], *, secret: str | None = SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    return api.client().post("/api/v1/channels/email/bounces", content=body, headers=headers)


def test_bounces_mark_the_message_and_a_permanent_one_its_address(api: Api) -> None:
    context = api.app.state.context
    context.settings = context.settings.model_copy(update={"channel_callback_secret": SECRET})
    customer = seed(api.engine)[0]
    soft = queue(api.engine, customer, "bounce-1")
    hard = queue(api.engine, customer, "bounce-2")
    with smtp_server() as (relay, port):
        assert _work(api.engine, port, api.url).sent == 2

        unsigned = _bounce(api, {"message_id": "<bounce-1@arrears>", "status": "5.1.1"}, secret=None)
        forged = _bounce(
            api, {"message_id": "<bounce-1@arrears>", "status": "5.1.1"}, secret="not-the-secret"
        )
        assert (unsigned.status_code, forged.status_code) == (400, 400)
        assert unsigned.json()["code"] == forged.json()["code"] == "bad_signature"
        assert _bounce(api, {"message_id": "<bounce-1@arrears>", "status": "2.0.0"}).status_code == 422
        assert _bounce(api, {"message_id": "<nothing@arrears>", "status": "5.1.1"}).status_code == 404
        assert message(api.engine, soft).state == "sent"

        transient = _bounce(
            api, {"message_id": "<bounce-1@arrears>", "status": "4.2.2", "diagnostic": "mailbox full"}
        )
        assert transient.status_code == 200, transient.text
        assert transient.json() == {"message_id": soft, "state": "bounced", "contact_point_invalid": False}
        assert contact_point(api.engine, customer[1]).invalid_at is None

        permanent = {
            "message_id": "<bounce-2@arrears>",
            "status": "5.1.1",
            "diagnostic": "550 <c0@example.cn> unknown",
        }
        for _ in range(2):  # the same bounce twice: one change
            answer = _bounce(api, permanent)
            assert answer.json() == {"message_id": hard, "state": "bounced", "contact_point_invalid": True}
        point = contact_point(api.engine, customer[1])
        assert point.invalid_at == NOW and point.invalid_reason == "bounce 5.1.1: 550 … unknown"
        assert message(api.engine, hard).last_error == "bounce 5.1.1: 550 … unknown"
        with transaction(api.engine) as session:
            told = session.get(Contact, message(api.engine, hard).contact_id)
            assert told is not None and (told.delivery, told.delivery_at) == ("bounced", NOW)

        later = queue(api.engine, customer, "bounce-3")
        assert _work(api.engine, port, api.url).stopped == 1
        assert len(relay.received) == 2
    stopped = message(api.engine, later)
    assert stopped.state == "stopped" and (stopped.stop_reason or "").startswith("contact_point_invalid")
    with transaction(api.engine) as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.in_(["message.bounce", "contact_point.invalidate"]))
                .order_by(AuditEntry.seq)
            )
        )
    assert actions == ["message.bounce", "message.bounce", "contact_point.invalidate"]


def test_a_browser_following_a_bad_link_gets_a_page_in_its_language(api: Api) -> None:
    client = api.client()
    for language, words in (("zh-CN", "此退订链接无效"), ("en", "This opt-out link is not valid")):
        headers = {"Accept": "text/html,*/*;q=0.8", "Accept-Language": language}
        for method in ("GET", "POST"):
            answer = client.request(method, "/api/v1/opt-out", params={"token": "forged"}, headers=headers)
            assert answer.status_code == 400
            assert answer.headers["content-type"].startswith("text/html")
            assert f'<html lang="{language}">' in answer.text and words in answer.text
            assert "<script" not in answer.text
