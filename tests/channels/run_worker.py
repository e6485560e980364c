"""A worker in a process of its own, for the kill test: ``python -m tests.channels.run_worker
DATABASE_URL SMTP_PORT INSTANT`` sends every due e-mail (as of the fixed INSTANT) to the SMTP
server on loopback, then exits."""

from __future__ import annotations

import sys
from datetime import datetime

from arrears.channels.providers.smtp import SmtpProvider
from arrears.channels.worker import work
from arrears.clock import FixedClock
from arrears.config import load_settings
from arrears.db import make_engine

BATCH = 10


def main(url: str, port: str, instant: str) -> None:
    engine = make_engine(url)
    settings = load_settings(database_url=url, language="en")
    provider = SmtpProvider(
        "127.0.0.1", int(port), security="none", sender="collections@bank.example", timeout=20
    )
    clock = FixedClock(datetime.fromisoformat(instant))
    tally = work(engine, {"email": provider}, clock, once=True, settings=settings, batch=BATCH)
    provider.close()
    print(tally.line(), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
