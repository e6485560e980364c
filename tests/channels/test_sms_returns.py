"""What comes back from the SMS provider, over HTTP as its batch push sends it (SmsReport, SmsUp),
signed: receipts make messages delivered or failed and tell their contact record, once however
often pushed; a number that does not exist marks its contact point; the replies TD, 退订, STOP …
opt the number out of SMS, and the gate stops the next message to it."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from arrears.audit.models import AuditEntry
from arrears.channels import sms_returns
from arrears.channels.sms_returns import is_opt_out
from arrears.channels.worker import work
from arrears.clock import FixedClock
from arrears.contacts.models import Contact, ContactPreference
from arrears.db import transaction
from tests.api.conftest import Api
from tests.channels.fake_sms import FakeSms, fake_sms, push
from tests.channels.helpers import NOW, contact_point, events, message, seed, settings_for
from tests.channels.test_sms import adapter, queue_sms, template

SECRET = "callback-secret-for-the-sms-tests-0123"


@pytest.fixture
def provider() -> Iterator[tuple[FakeSms, str]]:
    with fake_sms() as served:
        yield served


def _secret(api: Api) -> None:
    context = api.app.state.context
    context.settings = context.settings.model_copy(update={"channel_callback_secret": SECRET})


def _send(engine: Engine, url: str) -> None:
    sms = adapter(url)
    try:
        work(
            engine,
            {"sms": sms},
            FixedClock(NOW),
            once=True,
            settings=settings_for(engine),
            rng=random.Random(1),
        )
    finally:
        sms.close()


def _contact(engine: Engine, contact_id: int | None) -> Contact:
    with transaction(engine) as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        session.expunge(contact)
        return contact


def test_receipts_mark_messages_and_their_contact_records_once(
    api: Api, provider: tuple[FakeSms, str]
) -> None:
    _secret(api)
    fake, url = provider
    good, gone = seed(api.engine, 2, point="mobile")
    tid = template(api.engine)
    delivered, failed = queue_sms(api.engine, good, "r-1", tid), queue_sms(api.engine, gone, "r-2", tid)
    _send(api.engine, url)
    receipts = f"{api.url}/api/v1/channels/sms/receipts"
    batch = [fake.report(fake.received[0]), fake.report(fake.received[1], success=False, err_code="MN:0001")]

    assert push(receipts, batch, None).status_code == 400
    assert push(receipts, batch, "not-the-secret").json()["code"] == "bad_signature"
    assert message(api.engine, delivered).state == "sent"

    answers = [push(receipts, batch, SECRET) for _ in range(2)]  # pushed again: it did not hear us
    counts = [
        {k: a.json()[k] for k in ("code", "delivered", "failed", "repeated", "unknown")} for a in answers
    ]
    assert counts == [
        {"code": 0, "delivered": 1, "failed": 1, "repeated": 0, "unknown": 0},
        {"code": 0, "delivered": 0, "failed": 0, "repeated": 2, "unknown": 0},
    ]

    first, second = message(api.engine, delivered), message(api.engine, failed)
    assert first.state == "delivered" and ("receipt", "receipt DELIVERED: 用户接收成功") in events(
        api.engine, delivered
    )
    assert second.state == "failed" and second.last_error == "receipt MN:0001: 失败"
    assert (
        _contact(api.engine, first.contact_id).delivery,
        _contact(api.engine, second.contact_id).delivery,
    ) == (
        "delivered",
        "failed",
    )
    assert contact_point(api.engine, good[1]).invalid_at is None
    assert contact_point(api.engine, gone[1]).invalid_reason == "receipt MN:0001: 失败"
    with transaction(api.engine) as session:
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.in_(["message.receipt", "contact_point.invalidate"]))
            .order_by(AuditEntry.seq)
        ).all()
    assert actions == ["message.receipt", "contact_point.invalidate", "message.receipt"]


def test_a_receipt_faster_than_the_worker_is_taken(api: Api, provider: tuple[FakeSms, str]) -> None:
    """The receipt of a message still ``sending`` (the worker's settle not yet committed)."""
    _secret(api)
    fake, url = provider
    [customer] = seed(api.engine, 1, point="mobile")
    ident = queue_sms(api.engine, customer, "fast-1", template(api.engine))
    fake.hang_after = 0
    sms = adapter(url, timeout=0.5)
    work(api.engine, {"sms": sms}, FixedClock(NOW), once=True, settings=settings_for(api.engine))
    sms.close()
    fake.release()
    assert message(api.engine, ident).state == "sending"
    answer = push(f"{api.url}/api/v1/channels/sms/receipts", [fake.report(fake.received[0])], SECRET)
    assert answer.json()["delivered"] == 1
    row = message(api.engine, ident)
    assert (row.state, row.provider_message_id) == ("delivered", fake.received[0].biz_id)


def test_bad_batches_are_named_and_unknown_messages_counted(api: Api) -> None:
    _secret(api)
    receipts = f"{api.url}/api/v1/channels/sms/receipts"
    not_array = push(receipts, {"success": True}, SECRET)  # type: ignore[arg-type]
    assert not_array.status_code == 422 and not_array.json()["code"] == "invalid_callback"
    no_success = push(receipts, [{"biz_id": "1^0"}], SECRET)
    assert no_success.status_code == 422 and "0.success" in no_success.json()["detail"]
    unknown = push(receipts, [{"success": True, "biz_id": "999^0", "out_id": "not-ours"}], SECRET)
    assert unknown.status_code == 200 and unknown.json()["unknown"] == 1


@pytest.mark.parametrize(
    ("text", "stops"),
    [
        ("TD", True),
        ("td", True),
        (" 退订 ", True),
        ("ＴＤ", True),
        ("Stop.", True),
        ("T", True),
        ("我明天还款", False),
        ("TD我明天还", False),
        ("", False),
    ],
)
def test_what_counts_as_asking_to_stop(text: str, stops: bool) -> None:
    assert is_opt_out(text) is stops


def test_replies_opt_the_number_out_and_the_gate_stops_the_next(
    api: Api, provider: tuple[FakeSms, str]
) -> None:
    _secret(api)
    fake, url = provider
    stopper, talker = seed(api.engine, 2, point="mobile")
    tid = template(api.engine)
    queue_sms(api.engine, stopper, "up-1", tid)
    first_talk = queue_sms(api.engine, talker, "up-2", tid)
    _send(api.engine, url)
    stop_number, talk_number = (fake.received[n].phone for n in (0, 1))
    replies = f"{api.url}/api/v1/channels/sms/replies"
    batch = [fake.reply(stop_number, "退订", 101), fake.reply(talk_number, "我明天还款", 102)]
    for _ in range(2):
        answer = push(replies, batch, SECRET)
        assert answer.status_code == 200, answer.text
    assert answer.json()["repeated"] == 2
    with transaction(api.engine) as session:
        replies_in = session.scalars(
            select(Contact).where(Contact.direction == "inbound").order_by(Contact.id)
        )
        heard = [(c.case_id, c.channel, c.disposition, c.note, c.contact_point_id) for c in replies_in]
        assert heard == [
            (f"C-{stopper[0]}", "sms", "message_reply", "退订", stopper[1]),
            (f"C-{talker[0]}", "sms", "message_reply", "我明天还款", talker[1]),
        ]
        standing = session.scalars(select(ContactPreference)).all()
        assert [(p.kind, p.channel, p.contact_point_id) for p in standing] == [("opt_out", "sms", stopper[1])]
        first_reply = session.scalars(select(Contact.id).where(Contact.note == "退订")).one()
        assert standing[0].contact_id == first_reply
    assert ("reply", "我明天还款") in events(api.engine, first_talk)

    stopped, talked = queue_sms(api.engine, stopper, "up-3", tid), queue_sms(api.engine, talker, "up-4", tid)
    _send(api.engine, url)
    row = message(api.engine, stopped)
    assert row.state == "stopped" and "OPT-OUT" in (row.stop_reason or "")
    assert message(api.engine, talked).state == "sent"
    assert fake.out_ids() == ["up-1", "up-2", "up-4"]


def test_a_reply_taken_by_a_racing_push_is_counted_once(
    api: Api, provider: tuple[FakeSms, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two pushes of one reply at the same moment: both pass the "seen" check, the second's event
    meets the first's on the unique index, and it is answered as a repeat, nothing doubled."""
    _secret(api)
    fake, url = provider
    [customer] = seed(api.engine, 1, point="mobile")
    queue_sms(api.engine, customer, "race-1", template(api.engine))
    _send(api.engine, url)
    replies = f"{api.url}/api/v1/channels/sms/replies"
    batch = [fake.reply(fake.received[0].phone, "我明天还款", 201)]
    assert push(replies, batch, SECRET).json()["replies"] == 1
    monkeypatch.setattr(sms_returns, "_seen", lambda session, event_id: False)  # the race's window
    again = push(replies, batch, SECRET)
    assert again.status_code == 200 and (again.json()["replies"], again.json()["repeated"]) == (0, 1)
    with transaction(api.engine) as session:
        heard = session.scalars(select(Contact).where(Contact.direction == "inbound")).all()
    assert len(heard) == 1
