"""A worker SIGKILLed while it hands a message to the SMTP relay (the relay kept it, its 250 never
came back), restarted after its lease: no message is lost, each is sent, and the one in the
window between the relay's acceptance and our commit is sent again under the same Message-ID,
which receivers de-duplicate on (docs/channels.md, "Exactly once, for e-mail")."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from arrears.channels.models import OutboxMessage
from arrears.db import transaction
from tests.channels.helpers import NOW, queue, seed, smtp_server
from tests.conftest import command_line_url

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 120
HANG_AFTER = 45


def _states(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
        return {state: int(n) for state, n in rows}


def _worker(url: str, port: int, instant: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.channels.run_worker", url, str(port), instant],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_worker_loses_nothing(engine: Engine) -> None:
    customers = seed(engine, 6)
    for n in range(MESSAGES):
        queue(engine, customers[n % len(customers)], f"kill-{n:04d}")
    url = command_line_url(engine)
    with smtp_server() as (relay, port):
        relay.hang_after = HANG_AFTER
        first = _worker(url, port, NOW.isoformat())
        try:
            assert relay.hanging.wait(30), first.stderr.read() if first.poll() is not None else "no message"
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL
        left = _states(engine)
        assert left.get("sending", 0) >= 1 and left.get("sent", 0) == HANG_AFTER, left
        relay.release()
        # restarted once the dead worker's lease (5 minutes) has run out
        second = _worker(url, port, (NOW + timedelta(minutes=6)).isoformat())
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        ids = relay.ids()
    assert _states(engine) == {"sent": MESSAGES}
    counted = collections.Counter(ids)
    distinct, duplicates = len(counted), len(ids) - len(counted)
    print(
        f"\nkill test: {len(ids)} e-mails received, {distinct} distinct Message-IDs, {duplicates} duplicates"
    )
    assert distinct == MESSAGES
    assert duplicates == 1  # the message in the relay's hands when the worker died
    assert [key for key, n in counted.items() if n > 1] == [f"<kill-{HANG_AFTER:04d}@arrears>"]
    assert "reconciled 0" not in out
