"""Workers side by side on PostgreSQL (``FOR UPDATE SKIP LOCKED``) never send one message twice:
two threads, 200 messages, what the SMTP server received counted."""

from __future__ import annotations

import collections
import random
import threading

import pytest
from sqlalchemy import Engine, event

from arrears.channels.providers.smtp import SmtpProvider
from arrears.channels.worker import Tally, work
from arrears.clock import FixedClock
from tests.channels.helpers import NOW, queue, seed, settings_for, smtp_server
from tests.conftest import DATABASES

MESSAGES = 200


@pytest.mark.parametrize("database_kind", [DATABASES[1]], indirect=True)
def test_two_workers_never_send_a_message_twice(engine: Engine) -> None:
    customers = seed(engine, 20)
    for n in range(MESSAGES):
        queue(engine, customers[n % len(customers)], f"pair-{n:04d}")
    settings = settings_for(engine)
    tallies: list[Tally] = []
    failures: list[BaseException] = []

    def one_worker(port: int, seed_value: int) -> None:
        provider = SmtpProvider(
            "127.0.0.1", port, security="none", sender="collections@bank.example", timeout=10
        )
        try:
            tallies.append(
                work(
                    engine,
                    {"email": provider},
                    FixedClock(NOW),
                    once=True,
                    batch=5,
                    settings=settings,
                    rng=random.Random(seed_value),
                )
            )
        except BaseException as error:
            failures.append(error)
        finally:
            provider.close()

    with smtp_server() as (relay, port):
        threads = [threading.Thread(target=one_worker, args=(port, n)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        ids = relay.ids()
    assert failures == []
    counted = collections.Counter(ids)
    assert len(ids) == MESSAGES and len(counted) == MESSAGES
    assert sorted(t.sent for t in tallies) != [0, MESSAGES]  # both worked
    assert sum(t.sent for t in tallies) == MESSAGES


@pytest.mark.parametrize("database_kind", [DATABASES[1]], indirect=True)
def test_outcomes_commit_lazily_and_the_claim_durably(engine: Engine) -> None:
    """PostgreSQL: a settled outcome's commit does not wait for the disk (worker._commit_lazily);
    the claim, which records the gate's contact, does."""
    customers = seed(engine, 3)
    for n in range(3):
        queue(engine, customers[n], f"lazy-{n}")
    transactions: list[list[str]] = [[]]

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        transactions[-1].append(statement)

    def ended(_conn: object) -> None:
        transactions.append([])

    event.listen(engine, "before_cursor_execute", seen)
    event.listen(engine, "commit", ended)
    try:
        with smtp_server() as (relay, port):
            provider = SmtpProvider("127.0.0.1", port, security="none", sender="c@bank.example", timeout=10)
            try:
                tally = work(
                    engine, {"email": provider}, FixedClock(NOW), once=True, settings=settings_for(engine)
                )
            finally:
                provider.close()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        event.remove(engine, "commit", ended)
    assert tally.sent == 3 and len(relay.ids()) == 3
    lazy = [t for t in transactions if any("synchronous_commit TO OFF" in s for s in t)]
    assert len(lazy) == 3 and all(any("SET state" in s for s in t) for t in lazy)
    claims = [t for t in transactions if any("INSERT INTO contacts" in s for s in t)]
    assert claims and not any("synchronous_commit" in s for t in claims for s in t)
