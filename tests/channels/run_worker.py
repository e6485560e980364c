"""A worker in a process of its own, for the kill tests: ``python -m tests.channels.run_worker
DATABASE_URL SMTP_PORT INSTANT`` sends every due e-mail (as of the fixed INSTANT) to the SMTP
server on loopback, then exits.

For the random kills (test_kill_random.py), ``--since EPOCH --lease SECONDS``: the clock is
INSTANT at the wall-clock time EPOCH and moves on with the real one (every worker of a test
agrees on it), and a message is held ``sending`` for SECONDS instead of five minutes; ``--sms``:
SMTP_PORT is the fake SMS provider's URL, and SMS is sent through the Alibaba Cloud adapter."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from arrears.channels.providers.base import Provider
from arrears.channels.providers.sms_aliyun import AliyunSms
from arrears.channels.providers.smtp import SmtpProvider
from arrears.channels.worker import LEASE, work
from arrears.clock import Clock, FixedClock
from arrears.config import load_settings
from arrears.db import make_engine
from tests.channels.fake_sms import KEY_ID, KEY_SECRET, SIGN_NAME

BATCH = 10


class ShiftedClock:
    """The real clock, shifted so that it said ``instant`` at the wall-clock time ``since``."""

    def __init__(self, instant: datetime, since: float) -> None:
        self.shift = instant - datetime.fromtimestamp(since, UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("endpoint")
    parser.add_argument("instant", type=datetime.fromisoformat)
    parser.add_argument("--since", type=float)
    parser.add_argument("--lease", type=float)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--sms", action="store_true")
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    settings = load_settings(database_url=args.url, language="en")
    provider: SmtpProvider | AliyunSms = (
        AliyunSms(args.endpoint, KEY_ID, KEY_SECRET, SIGN_NAME)
        if args.sms
        else SmtpProvider(
            "127.0.0.1", int(args.endpoint), security="none", sender="collections@bank.example", timeout=20
        )
    )
    clock: Clock = FixedClock(args.instant) if args.since is None else ShiftedClock(args.instant, args.since)
    providers: dict[str, Provider] = {provider.channel: provider}
    lease = LEASE if args.lease is None else timedelta(seconds=args.lease)
    tally = work(engine, providers, clock, once=True, settings=settings, batch=args.batch, lease=lease)
    provider.close()
    print(tally.line(), flush=True)


if __name__ == "__main__":
    main()
