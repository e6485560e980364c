"""The worker sends SMS through the Alibaba Cloud adapter to the fake provider on loopback: the
message arrives signed, under its template and parameters, with the outbox's key as OutId; the
provider's rate limit and a wrong key are retried, an illegal number is dead and marks its
contact point, and an answer lost after the provider took the message is reconciled by
QuerySendDetails, never sent twice."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select

from arrears.channels.models import MessageTemplate
from arrears.channels.providers.base import Outgoing, PermanentError, TransientError
from arrears.channels.providers.sms_aliyun import AliyunSms, provider_number, signature
from arrears.channels.worker import work
from arrears.clock import FixedClock
from arrears.contacts.models import Contact
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint
from tests.channels.fake_sms import (
    KEY_ID,
    KEY_SECRET,
    SIGN_NAME,
    FakeSms,
    Sent,
    expected_signature,
    fake_sms,
)
from tests.channels.helpers import NOW, events, message, queue, seed, settings_for

PARAMS = {"name": "王小明", "product": "信用卡", "amount": "¥100.00", "hotline": "400-800-9588"}


@pytest.fixture
def provider() -> Iterator[tuple[FakeSms, str]]:
    with fake_sms() as served:
        yield served


def adapter(url: str, *, secret: str = KEY_SECRET, timeout: float = 5.0) -> AliyunSms:
    return AliyunSms(url, KEY_ID, secret, SIGN_NAME, timeout=timeout)


def template(engine: Engine, code: str = "SMS_400100") -> int:
    with transaction(engine) as session:
        return int(
            session.execute(
                insert(MessageTemplate)
                .values(
                    code="first_delinquency",
                    channel="sms",
                    language="zh-CN",
                    number=1,
                    status="approved",
                    body="{{ customer_name }}您好 …",
                    late_policy="wait",
                    settings={"template_code": code, "param.name": "{{ customer_name }}"},
                    created_at=NOW,
                    version=1,
                )
                .returning(MessageTemplate.id)
            ).scalar_one()
        )


def queue_sms(engine: Engine, customer: tuple[str, int], key: str, template_id: int, **more: object) -> int:
    return queue(
        engine, customer, key, channel="sms", template_id=template_id, provider_params=PARAMS, **more
    )


def run(engine: Engine, sms: AliyunSms, clock: FixedClock) -> None:
    try:
        work(engine, {"sms": sms}, clock, once=True, settings=settings_for(engine), rng=random.Random(3))
    finally:
        sms.close()


def test_the_signature_is_alibaba_clouds_own() -> None:
    """The adapter's signature equals the one the fake computes on its own, and Alibaba Cloud's
    published example (RPC signature, HMAC-SHA1 under 'testsecret&')."""
    params = {
        "AccessKeyId": "testid",
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": "13800138000",
        "SignName": "示例银行",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_400100",
        "TemplateParam": '{"name": "王 小*明~"}',
        "Timestamp": "2026-11-21T02:00:00Z",
        "Version": "2017-05-25",
    }
    assert signature("POST", params, "testsecret") == expected_signature(params, "testsecret")
    assert signature("POST", params, "testsecret") != signature("POST", params, "othersecret")
    assert signature("POST", params | {"PhoneNumbers": "13800138001"}, "testsecret") != signature(
        "POST", params, "testsecret"
    )


def test_numbers_are_written_as_the_provider_wants_them() -> None:
    assert provider_number("+8613912345678") == "13912345678"
    assert provider_number("+85291234567") == "85291234567"
    with pytest.raises(PermanentError):
        provider_number("13912345678")


def test_a_message_reaches_the_provider_under_its_template_and_key(
    engine: Engine, provider: tuple[FakeSms, str]
) -> None:
    fake, url = provider
    [customer] = seed(engine, 1, point="mobile")
    ident = queue_sms(engine, customer, "sms-first-1", template(engine))
    run(engine, adapter(url), FixedClock(NOW))
    [sent] = fake.received
    assert (sent.out_id, sent.template_code, sent.params) == ("sms-first-1", "SMS_400100", PARAMS)
    assert sent.phone.startswith("139") and len(sent.phone) == 11
    assert "王小明您好" in sent.content
    row = message(engine, ident)
    assert (row.state, row.provider, row.provider_message_id) == ("sent", "aliyun-sms", sent.biz_id)
    with transaction(engine) as session:
        contact = session.get(Contact, row.contact_id)
        assert contact is not None and (contact.channel, contact.disposition) == ("sms", "message_sent")


def test_a_wrong_key_and_the_rate_limit_are_retried_and_sent_once(
    engine: Engine, provider: tuple[FakeSms, str]
) -> None:
    fake, url = provider
    customers = seed(engine, 2, point="mobile")
    tid = template(engine)
    wrong, throttled = (queue_sms(engine, c, f"sms-retry-{n}", tid) for n, c in enumerate(customers))
    clock = FixedClock(NOW)
    run(engine, adapter(url, secret="not-the-secret"), clock)
    assert fake.received == [] and fake.refused["SignatureDoesNotMatch"] == 2
    for ident in (wrong, throttled):
        row = message(engine, ident)
        assert (row.state, row.attempts) == ("queued", 1)
        assert row.last_error is not None and row.last_error.startswith("SignatureDoesNotMatch")
    fake.throttle = 1
    clock.advance(timedelta(minutes=5))
    run(engine, adapter(url), clock)
    assert fake.refused["Throttling.User"] == 1 and len(fake.received) == 1
    clock.advance(timedelta(minutes=10))
    run(engine, adapter(url), clock)
    assert sorted(fake.out_ids()) == ["sms-retry-0", "sms-retry-1"]
    assert {message(engine, i).state for i in (wrong, throttled)} == {"sent"}


def test_an_illegal_number_is_dead_and_its_contact_point_no_longer_tried(
    engine: Engine, provider: tuple[FakeSms, str]
) -> None:
    fake, url = provider
    [customer] = seed(engine, 1, point="mobile")
    with transaction(engine) as session:
        point = session.get(ContactPoint, customer[1])
        assert point is not None
        fake.illegal.add(point.value.removeprefix("+86"))
    tid = template(engine)
    first = queue_sms(engine, customer, "sms-illegal-1", tid)
    clock = FixedClock(NOW)
    run(engine, adapter(url), clock)
    row = message(engine, first)
    assert row.state == "dead" and (row.last_error or "").startswith("isv.MOBILE_NUMBER_ILLEGAL")
    with transaction(engine) as session:
        point = session.get(ContactPoint, customer[1])
        assert point is not None and point.invalid_at is not None
        assert point.invalid_reason == "aliyun-sms: isv.MOBILE_NUMBER_ILLEGAL"
    later = queue_sms(engine, customer, "sms-illegal-2", tid)
    clock.advance(timedelta(hours=1))
    run(engine, adapter(url), clock)
    assert message(engine, later).state == "stopped"
    assert fake.refused == {"isv.MOBILE_NUMBER_ILLEGAL": 1}


def test_a_message_the_provider_refuses_for_its_template_is_dead(
    engine: Engine, provider: tuple[FakeSms, str]
) -> None:
    fake, url = provider
    [customer] = seed(engine, 1, point="mobile")
    ident = queue(
        engine,
        customer,
        "sms-missing-param",
        channel="sms",
        template_id=template(engine),
        provider_params={"name": "王小明"},
    )
    run(engine, adapter(url), FixedClock(NOW))
    row = message(engine, ident)
    assert row.state == "dead" and (row.last_error or "").startswith("isv.TEMPLATE_MISSING_PARAMETERS")
    assert fake.received == []


def test_an_answer_lost_after_the_provider_took_it_is_asked_about_not_sent_again(
    engine: Engine, provider: tuple[FakeSms, str]
) -> None:
    fake, url = provider
    [customer] = seed(engine, 1, point="mobile")
    ident = queue_sms(engine, customer, "sms-lost-answer", template(engine))
    fake.hang_after = 0
    clock = FixedClock(NOW)
    run(engine, adapter(url, timeout=0.5), clock)
    fake.release()
    row = message(engine, ident)
    assert (row.state, row.attempts) == ("sending", 1)
    assert ("unsure", "ask the provider: connection: ReadTimeout") in events(engine, ident)
    clock.advance(timedelta(minutes=10))
    run(engine, adapter(url), clock)
    assert fake.out_ids() == ["sms-lost-answer"]
    row = message(engine, ident)
    assert (row.state, row.provider_message_id) == ("sent", "OutId:sms-lost-answer")
    assert ("sent", "reconciled: the provider has it") in events(engine, ident)


def test_a_connection_refused_is_retried_without_asking(engine: Engine) -> None:
    [customer] = seed(engine, 1, point="mobile")
    ident = queue_sms(engine, customer, "sms-refused", template(engine))
    run(engine, adapter("http://127.0.0.1:9/"), FixedClock(NOW))
    row = message(engine, ident)
    assert (row.state, row.last_error) == ("queued", "connection: ConnectError")


def test_the_adapter_answers_the_provider_errors_as_it_should(provider: tuple[FakeSms, str]) -> None:
    fake, url = provider
    sms = adapter(url)
    outgoing = Outgoing(
        message_id=1,
        idempotency_key="k-1",
        channel="sms",
        to="+8613912345678",
        body="…",
        language="zh-CN",
        settings={"template_code": "SMS_400100"},
        params=PARAMS,
    )
    fake.per_number_per_minute = 1
    assert sms.send(outgoing).provider_message_id.endswith("^0")
    with pytest.raises(TransientError) as limited:
        sms.send(outgoing)
    assert limited.value.code == "isv.BUSINESS_LIMIT_CONTROL" and limited.value.retry_after_seconds == 3600
    assert not limited.value.maybe_sent
    with pytest.raises(PermanentError) as no_code:
        sms.send(Outgoing(1, "k-2", "sms", "+8613912345678", "…", "zh-CN"))
    assert no_code.value.code == "no_template_code"
    assert sms.find(outgoing) is not None
    assert sms.find(Outgoing(1, "k-other", "sms", "+8613912345678", "…", "zh-CN")) is None
    sms.close()


def test_find_reads_every_page(provider: tuple[FakeSms, str]) -> None:
    fake, url = provider
    today = datetime.now(UTC)
    fake.received.extend(
        Sent(f"{n}^0", "13912345678", "SMS_400100", PARAMS, f"page-{n}", today) for n in range(120)
    )
    sms = adapter(url)
    found = sms.find(Outgoing(1, "page-119", "sms", "+8613912345678", "…", "zh-CN", queued_at=today))
    missing = sms.find(Outgoing(1, "page-120", "sms", "+8613912345678", "…", "zh-CN", queued_at=today))
    sms.close()
    assert found is not None and missing is None


def test_the_settings_need_every_part_of_the_aliyun_adapter() -> None:
    from arrears.config import ConfigurationError, load_settings

    with pytest.raises(ConfigurationError) as missing:
        load_settings(sms_provider="aliyun", sms_endpoint="https://dysmsapi.aliyuncs.com/")
    said = str(missing.value)
    assert "ARREARS_SMS_ACCESS_KEY_ID" in said and "ARREARS_SMS_SIGN_NAME" in said
    assert "ARREARS_SMS_ENDPOINT" not in said.split("needs", 1)[1]


def test_contacts_of_sms_are_recorded(engine: Engine, provider: tuple[FakeSms, str]) -> None:
    fake, url = provider
    customers = seed(engine, 3, point="mobile")
    tid = template(engine)
    for n, customer in enumerate(customers):
        queue_sms(engine, customer, f"sms-many-{n}", tid)
    run(engine, adapter(url), FixedClock(NOW))
    assert len(fake.received) == 3
    with transaction(engine) as session:
        channels = session.scalars(select(Contact.channel)).all()
    assert channels == ["sms", "sms", "sms"]
