"""The file sink writes a message once, whole, named by its key, and finds it: a worker that died
after writing it is reconciled without a second file. The command line works the outbox to the
file sink and shows the counts. The rate limit spaces sends evenly."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from arrears.channels.providers.base import Outgoing
from arrears.channels.providers.files import FileSink, file_name
from arrears.channels.worker import Policy, RateLimit, Tally, Worker, gatekeeping, work
from arrears.cli import app
from arrears.clock import FixedClock
from arrears.contacts.models import Contact
from arrears.db import transaction
from tests.channels.helpers import NOW, events, message, queue, seed, settings_for
from tests.conftest import DATABASES

ROOT = Path(__file__).resolve().parents[2]


def _outgoing(key: str) -> Outgoing:
    return Outgoing(
        message_id=1,
        idempotency_key=key,
        channel="sms",
        to="+8613800000000",
        body="您的账单已逾期",
        language="zh-CN",
    )


def test_the_file_sink_writes_once_and_finds(tmp_path: Path) -> None:
    sink = FileSink(tmp_path, "sms")
    assert sink.find(_outgoing("k-1")) is None
    accepted = sink.send(_outgoing("k-1"))
    assert accepted.provider_message_id == "k-1.txt"
    assert "您的账单已逾期" in (tmp_path / "sms" / "k-1.txt").read_text("utf-8")
    assert sink.find(_outgoing("k-1")) == accepted
    odd = sink.send(_outgoing("../promise:42/x"))
    assert len(odd.provider_message_id) == 64 + 4 and file_name("../promise:42/x") == odd.provider_message_id
    assert sorted(p.name for p in (tmp_path / "sms").iterdir()) == sorted(
        ["k-1.txt", odd.provider_message_id]
    )


def test_a_worker_dead_after_the_sink_wrote_is_reconciled_without_a_second_write(
    engine: Engine, tmp_path: Path
) -> None:
    first, second = seed(engine, 2)
    written, untouched = queue(engine, first, "f-1"), queue(engine, second, "f-2")
    clock = FixedClock(NOW)
    settings = settings_for(engine)
    sink = FileSink(tmp_path, "email")
    dying = Worker(engine, {"email": sink}, gatekeeping(settings, clock), Policy(3, 60))
    passed = dying.claim(10, Tally())
    assert [p.message_id for p in passed] == [written, untouched]
    sink.send(passed[0])  # … and the worker dies before recording it, the second one in hand
    before = (tmp_path / "email" / "f-1.txt").stat().st_mtime_ns
    assert work(engine, {"email": sink}, clock, once=True, settings=settings).claimed == 0  # lease holds
    clock.advance(timedelta(minutes=6))
    done = work(engine, {"email": sink}, clock, once=True, settings=settings, rng=random.Random(1))
    assert (done.reconciled, done.sent, done.claimed) == (2, 2, 1)
    assert (tmp_path / "email" / "f-1.txt").stat().st_mtime_ns == before
    assert (message(engine, written).state, message(engine, written).provider_message_id) == (
        "sent",
        "f-1.txt",
    )
    assert events(engine, written)[-1] == ("sent", "reconciled: the provider has it")
    assert [k for k, _ in events(engine, untouched)] == [
        "queued",
        "sending",
        "attempt",
        "queued",
        "sending",
        "attempt",
        "sent",
    ]
    with transaction(engine) as session:
        made = session.scalars(select(Contact.customer_id).order_by(Contact.id)).all()
    # one gated contact per attempt: the one the dead worker had in hand counts as made (the gate
    # is the stricter for it, never the laxer), and its resend was put to the gate again
    assert made == [first[0], second[0], second[0]]


def test_the_command_line_works_the_outbox_and_counts(
    command_line_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = command_line_database
    customer = seed(engine)[0]
    queue(engine, customer, "cli-1")
    monkeypatch.setenv("ARREARS_OUTBOX_DIR", str(tmp_path))
    runner = CliRunner()
    env = {"COLUMNS": "200", "ARREARS_LANGUAGE": "en"}
    status = runner.invoke(app, ["outbox", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "email" in status.output and "queued" in status.output
    # the message was queued at NOW (2026-11-21 10:00 in Shanghai): the system clock is later
    result = runner.invoke(app, ["outbox", "work", "--once", "--channel", "email"], env=env)
    assert result.exit_code == 0, result.output
    assert "Outbox worker stopped" in result.output
    sent_or_waiting = message(engine, 1).state
    assert sent_or_waiting in ("sent", "queued")  # the gate decides by the real time of day
    if sent_or_waiting == "sent":
        assert (tmp_path / "email" / "cli-1.txt").exists()


def test_the_rate_limit_spaces_sends() -> None:
    slept: list[float] = []
    now = [100.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(4, sleep=sleep, monotonic=lambda: now[0])
    for _ in range(5):
        limit.wait()
    assert slept == [0.25] * 4
    RateLimit(None, sleep=sleep).wait()
    assert len(slept) == 4


def test_an_acceptance_after_the_lease_ran_out_still_counts(engine: Engine, tmp_path: Path) -> None:
    first, second = seed(engine, 2)
    slow, other = queue(engine, first, "slow-1"), queue(engine, second, "slow-2")
    clock = FixedClock(NOW)
    settings = settings_for(engine)
    sink = FileSink(tmp_path, "email")
    stalled = Worker(engine, {"email": sink}, gatekeeping(settings, clock), Policy(3, 60))
    passed = stalled.claim(2, Tally())
    assert [p.message_id for p in passed] == [slow, other]
    clock.advance(timedelta(minutes=6))  # the worker stalls past its lease: another reconciles
    other_worker = Worker(
        engine,
        {"email": FileSink(tmp_path / "elsewhere", "email")},
        gatekeeping(settings, clock),
        Policy(3, 60),
    )
    assert other_worker.reconcile().reconciled == 2
    tally = Tally()
    for ident, outgoing in zip((slow, other), passed, strict=True):
        stalled.settle(ident, sink.send(outgoing), tally)
    assert tally.sent == 2
    assert [message(engine, i).state for i in (slow, other)] == ["sent", "sent"]
    assert events(engine, slow)[-1] == ("sent", "accepted after its lease ran out")
    assert work(engine, {"email": sink}, clock, once=True, settings=settings).claimed == 0


@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)
def test_the_worker_stops_cleanly_on_ctrl_c(command_line_database: Engine, tmp_path: Path) -> None:
    engine = command_line_database
    queue(engine, seed(engine)[0], "ctrl-c-1")
    worker = subprocess.Popen(
        [sys.executable, "-m", "arrears", "outbox", "work", "--channel", "email"],
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ARREARS_OUTBOX_DIR": str(tmp_path),
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
        },
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        first = worker.stdout.readline()  # the first batch's line: it is working
        assert "claimed 1" in first, first + (worker.stderr.read() if worker.poll() is not None else "")
        worker.send_signal(signal.SIGINT)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "Outbox worker stopped" in out and "Traceback" not in err
    assert message(engine, 1).state in ("sent", "queued")  # never left sending


def test_the_command_line_names_every_count_of_a_tally() -> None:
    from dataclasses import fields

    from arrears.channels.cli import TALLY_LABELS

    assert list(TALLY_LABELS) == [f.name for f in fields(Tally)]
