"""The compliance gate is asked again at send time: an e-mail queued at 21:50 and worked after
22:00 waits for 08:00 (or expires, per its late policy or its not_after); an opt-out or a hold
recorded meanwhile stops it. Every refusal is a contact record."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import Engine, insert, select

from arrears.channels.models import LatePolicy
from arrears.channels.providers.smtp import SmtpProvider
from arrears.channels.worker import Tally, work
from arrears.clock import FixedClock
from arrears.contacts.models import Contact, ContactPreference
from arrears.db import transaction
from arrears.disputes.models import Hold
from tests.channels.helpers import events, local, message, queue, seed, settings_for, smtp_server


def _work(engine: Engine, port: int, clock: FixedClock) -> Tally:
    provider = SmtpProvider("127.0.0.1", port, security="none", sender="collections@bank.example", timeout=5)
    try:
        return work(
            engine, {"email": provider}, clock, once=True, settings=settings_for(engine), rng=random.Random(3)
        )
    finally:
        provider.close()


def _contacts(engine: Engine) -> list[tuple[str, str | None]]:
    with transaction(engine) as session:
        rows = session.scalars(select(Contact).order_by(Contact.id))
        return [(r.disposition, r.gate_verdict) for r in rows]


def test_a_message_worked_after_the_quiet_hour_waits_for_the_morning(engine: Engine) -> None:
    customer = seed(engine)[0]
    ident = queue(engine, customer, "late-1", now=local(21, 21, 50))
    clock = FixedClock(local(21, 22, 5))
    with smtp_server() as (relay, port):
        done = _work(engine, port, clock)
        assert (done.claimed, done.deferred, done.sent) == (1, 1, 0)
        row = message(engine, ident)
        assert (row.state, row.attempts, row.next_attempt_at) == ("queued", 0, local(22, 8, 0))
        assert "CN-TIME-1" in (events(engine, ident)[-1][1] or "")
        assert _contacts(engine) == [("refused_by_gate", "block")]
        clock.advance(timedelta(hours=9))  # 07:05: still quiet, and not due
        assert _work(engine, port, clock).claimed == 0
        clock.advance(timedelta(minutes=55))  # 08:00
        assert _work(engine, port, clock).sent == 1
        assert relay.ids() == ["<late-1@arrears>"]
    assert message(engine, ident).state == "sent"
    assert _contacts(engine) == [("refused_by_gate", "block"), ("message_sent", "allow")]


def test_a_late_message_expires_by_its_policy_or_its_deadline(engine: Engine) -> None:
    customer = seed(engine)[0]
    now = local(21, 21, 50)
    expiring = queue(engine, customer, "late-expire", now=now, late_policy=LatePolicy.EXPIRE)
    bounded = queue(engine, customer, "late-bounded", now=now, not_after=local(21, 23, 59))
    with smtp_server() as (relay, port):
        done = _work(engine, port, FixedClock(local(21, 22, 5)))
        assert relay.received == []
    assert done.expired == 2
    for ident in (expiring, bounded):
        row = message(engine, ident)
        assert (row.state, row.settled_at) == ("expired", local(21, 22, 5))


def test_an_opt_out_or_a_hold_recorded_meanwhile_stops_the_message(engine: Engine) -> None:
    opted, held = seed(engine, 2)
    now = local(21, 10, 0)
    first = queue(engine, opted, "opted-1", now=now)
    second = queue(engine, held, "held-1", now=now)
    with engine.begin() as connection:
        connection.execute(
            insert(ContactPreference).values(
                customer_id=opted[0],
                kind="opt_out",
                channel="email",
                contact_point_id=opted[1],
                recorded_at=now,
            )
        )
        connection.execute(
            insert(Hold).values(
                customer_id=held[0], kind="cease", evidence="letter", placed_at=now, version=1
            )
        )
    with smtp_server() as (relay, port):
        done = _work(engine, port, FixedClock(now + timedelta(minutes=5)))
        assert relay.received == []
    assert done.stopped == 2
    assert message(engine, first).stop_reason == "gate: OPT-OUT"
    assert (message(engine, second).state, message(engine, second).stop_reason) == (
        "stopped",
        "gate: HOLD-CEASE",
    )
    assert _contacts(engine) == [("refused_by_gate", "block")] * 2
    assert {message(engine, first).contact_id, message(engine, second).contact_id} != {None}
