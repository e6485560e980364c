"""The portal's one-time codes as a service, on SQLite and PostgreSQL: an account number that is
not ours takes the same path as one that is (the same statements, but for the outbox's message),
the code's digest is compared in constant time whatever is found, two requests for one account
at once send one code, and the code's SMS goes to Alibaba Cloud under the template the settings
name (ARREARS_SMS_CODE_TEMPLATE), with its parameters."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select

from arrears.channels import portal_codes
from arrears.channels.models import OutboxMessage, PortalCode
from arrears.channels.providers.configured import providers_for
from arrears.channels.providers.sms_aliyun import AliyunSms
from arrears.channels.worker import work
from arrears.clock import FixedClock
from arrears.config import ConfigurationError, load_settings
from arrears.db import transaction
from arrears.errors import ConflictError, PermissionDeniedError
from arrears.portfolio.models import Account
from tests.channels.fake_sms import KEY_ID, KEY_SECRET, SIGN_NAME, FakeSms, fake_sms
from tests.channels.helpers import NOW, seed, settings_for

SECRET = "a-test-secret-of-some-length-000000000000"
CODE_TEMPLATE = "SMS_400300"


def _account(engine: Engine, point: str = "mobile") -> str:
    """One customer (a mobile, Chinese) with the account A-1; answers the account number."""
    ((customer_id, _),) = seed(engine, 1, point=point)
    with engine.begin() as connection:
        connection.execute(
            insert(Account).values(
                account_id="A-1",
                customer_id=customer_id,
                product="credit_card",
                currency="CNY",
                opened_on=date(2024, 1, 1),
                status="active",
            )
        )
    return "A-1"


def _ask(engine: Engine, account: str, *, at: Any = NOW, client: str = "10.0.0.1") -> portal_codes.Requested:
    with transaction(engine) as session:
        return portal_codes.request_code(
            session, account, now=at, secret=SECRET, client=client, language="en"
        )


def _statements(engine: Engine, action: Callable[[], object]) -> list[str]:
    """The statements ``action`` sends, each as its verb and first table."""
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.split(maxsplit=1)[0].upper()
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.I)
        seen.append(f"{verb} {table[1] if table else ''}".strip())

    event.listen(engine, "before_cursor_execute", keep)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return seen


def test_an_account_not_ours_takes_the_same_path_but_for_the_message(engine: Engine) -> None:
    account = _account(engine)
    ours = _statements(engine, lambda: _ask(engine, account, client="10.0.0.1"))
    not_ours = _statements(engine, lambda: _ask(engine, "A-NOBODY", client="10.0.0.2"))
    # the same statements up to the code's digest, and the same audit entry at the end
    step = len(not_ours) - 3
    assert ours[:step] == not_ours[:step] and ours[-3:] == not_ours[-3:]
    assert "SELECT customers" in not_ours and "INSERT portal_codes" in not_ours
    # between them, for the account that is ours only: the message, its event and its audit
    # entry, and the code row's link to the message
    extra = ours[step:-3]
    assert "INSERT outbox_messages" in extra
    assert {s.split()[-1] for s in extra} <= {
        "outbox_messages",
        "message_events",
        "audit_entries",
        "portal_codes",
        "SAVEPOINT",
        "RELEASE",
        "SELECT",  # the audit trail's lock on PostgreSQL
    }, extra
    assert extra.count("UPDATE portal_codes") == 1
    with transaction(engine) as session:
        rows = session.scalars(select(PortalCode).order_by(PortalCode.id)).all()
        assert [(r.account_id, r.customer_id is not None, r.message_id is not None) for r in rows] == [
            ("A-1", True, True),
            ("A-NOBODY", False, False),
        ]
        assert all(r.code_digest is not None and len(r.code_digest) == 64 for r in rows)


def test_the_digest_is_compared_in_constant_time_whatever_is_found(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _account(engine)
    _ask(engine, account)
    compared: list[tuple[str, str]] = []
    real = portal_codes.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(portal_codes.hmac, "compare_digest", spy)
    for who, code in (
        (account, "000000"),
        ("A-NOBODY", "123456"),
        ("A-NEVER-ASKED", "1"),
        (account, "x" * 30),
    ):
        with transaction(engine) as session, pytest.raises(portal_codes.CodeRefusedError):
            portal_codes.check_code(session, who, code, now=NOW, secret=SECRET)
    assert len(compared) == 4  # once for each: a live code, a code of no one, no code at all
    assert all(len(a) == len(b) == 64 for a, b in compared)
    assert issubclass(portal_codes.CodeRefusedError, PermissionDeniedError)
    assert issubclass(portal_codes.TooManyCodeRequestsError, ConflictError)


def test_a_request_again_within_seconds_sends_nothing_more_and_the_first_code_still_works(
    engine: Engine,
) -> None:
    account = _account(engine)
    first = _ask(engine, account)
    again = _ask(engine, account, at=NOW + timedelta(seconds=portal_codes.RESEND_SECONDS - 1))
    later = _ask(engine, account, at=NOW + timedelta(seconds=portal_codes.RESEND_SECONDS + 1))
    assert (first.sent, again.sent, later.sent) == (True, False, True)
    with transaction(engine) as session:
        counted = session.scalars(select(PortalCode.id)).all()
    assert len(counted) == 3  # the double request is counted by the throttle all the same


@pytest.mark.parametrize("_round", range(3))
def test_two_requests_for_one_account_at_once_send_one_code(engine: Engine, _round: int) -> None:
    account = _account(engine)
    start = threading.Barrier(2)
    answers: list[portal_codes.Requested | BaseException] = []

    def ask(client: str) -> None:
        start.wait()
        try:
            answers.append(_ask(engine, account, client=client))
        except BaseException as error:
            answers.append(error)

    threads = [threading.Thread(target=ask, args=(f"10.0.0.{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(a, portal_codes.Requested) for a in answers), answers
    assert sorted(a.sent for a in answers if isinstance(a, portal_codes.Requested)) == [False, True]
    with transaction(engine) as session:
        assert len(session.scalars(select(OutboxMessage.id)).all()) == 1
        assert len(session.scalars(select(PortalCode.id)).all()) == 2


def test_the_throttle_holds_under_requests_at_once(engine: Engine) -> None:
    """Ten requests for one account at once, a minute apart in the clock's eyes (no double
    request): no more than the limit pass."""
    account = _account(engine)
    start = threading.Barrier(10)
    passed: list[bool] = []

    def ask(n: int) -> None:
        start.wait()
        try:
            _ask(engine, account, at=NOW + timedelta(minutes=n), client=f"10.0.1.{n}")
            passed.append(True)
        except portal_codes.TooManyCodeRequestsError:
            passed.append(False)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(passed) == 10
    assert passed.count(True) == portal_codes.REQUESTS_PER_HOUR


@pytest.fixture
def provider() -> Iterator[tuple[FakeSms, str]]:
    with fake_sms() as served:
        yield served


def test_the_code_goes_to_aliyun_under_the_template_of_the_settings(
    engine: Engine, provider: tuple[FakeSms, str]
) -> None:
    fake, url = provider
    account = _account(engine)
    _ask(engine, account)
    settings = settings_for(
        engine,
        sms_provider="aliyun",
        sms_endpoint=url,
        sms_access_key_id=KEY_ID,
        sms_access_key_secret=KEY_SECRET,
        sms_sign_name=SIGN_NAME,
        sms_code_template=CODE_TEMPLATE,
    )
    sms = providers_for(settings)["sms"]
    assert isinstance(sms, AliyunSms)
    try:
        work(engine, {"sms": sms}, FixedClock(NOW), once=True, settings=settings, rng=random.Random(3))
    finally:
        sms.close()
    (sent,) = fake.received
    assert sent.template_code == CODE_TEMPLATE
    assert set(sent.params) == set(portal_codes.PARAMS) and sent.params["minutes"] == "10"
    assert re.fullmatch(r"\d{6}", sent.params["code"])
    assert sent.params["code"] in sent.content
    with transaction(engine) as session:
        assert session.scalars(select(OutboxMessage.state)).one() == "sent"


def test_aliyun_needs_the_code_template_setting() -> None:
    with pytest.raises(ConfigurationError) as missing:
        load_settings(
            sms_provider="aliyun",
            sms_endpoint="https://dysmsapi.aliyuncs.com/",
            sms_access_key_id=KEY_ID,
            sms_access_key_secret=KEY_SECRET,
            sms_sign_name=SIGN_NAME,
        )
    assert "ARREARS_SMS_CODE_TEMPLATE" in str(missing.value)


def test_one_client_is_throttled_across_account_numbers(engine: Engine) -> None:
    """Trying account numbers one after another from one address: the client's limit stops it,
    whether the numbers are ours or not; another address is not held back."""
    account = _account(engine)
    numbers = [account] + [f"A-GUESS-{n}" for n in range(portal_codes.CLIENT_REQUESTS_PER_HOUR - 1)]
    for n, number in enumerate(numbers):
        _ask(engine, number, at=NOW + timedelta(seconds=n), client="10.9.9.9")
    for number in (account, "A-GUESS-NEXT"):
        with pytest.raises(portal_codes.TooManyCodeRequestsError) as refused:
            _ask(engine, number, at=NOW + timedelta(minutes=1), client="10.9.9.9")
        assert int(refused.value.headers["Retry-After"]) > 0
    assert _ask(engine, "A-GUESS-NEXT", at=NOW + timedelta(minutes=1), client="10.9.9.10").sent is False
