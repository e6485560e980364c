"""Throughput of the outbox on PostgreSQL: messages a second through ``arrears outbox work`` to a
loopback SMTP server and to the fake SMS provider, beside the floor measured in the same run.

    .venv/bin/python benchmarks/bench_outbox.py [--messages 5000] [--workers 1 2 4]
        [--channels email sms] [--night 100000] [--database-url URL] [--keep]

Builds a book in a fresh PostgreSQL schema (dropped afterwards): customers with an e-mail address
and a mobile number each and an open case, and an approved SMS template naming the provider's
template. The customers' time zone is one where it is early afternoon now, so that the compliance
gate (quiet hours 22:00–08:00) allows every send at the real time the workers run at.

The servers run in processes of their own, so that they share no interpreter with the measured
side: aiosmtpd (accepts everything, notes each Message-ID and when it came) and the fake of
Alibaba Cloud's SMS API (tests/channels/fake_sms.py, served by uvicorn: the signature checked,
every SendSms kept with its OutId).

For each channel and each number of workers:

  * outbox: ``--messages`` messages queued (``outbox.queue_many``), then that many real
    ``arrears outbox work --once --channel C`` processes started side by side, as a deployment
    runs them: claimed, put to the gate (a contact recorded), handed to the provider, marked sent;
  * floor: the same number of messages sent straight to the same server by the same number of
    processes through the same adapter (``SmtpProvider.send``, ``AliyunSms.send``): no database.

Printed: messages a second at the server (from its first message to its last: the processes'
start-up left out) and over the whole run (from the processes' start to their end), the ratio of
the outbox to the floor (the aim: within 2×), and what the server received (every message once).

``--breakdown N``: N messages through one worker in this process to a provider that takes each
at once, timed by step; ``--wait MS``: the provider takes MS milliseconds a message, waiting (a
relay at a distance: the send costs no CPU here, so what the worker's database work overlaps with
it shows even on a machine whose cores are busy).

``--night N``: N reminders queued in one transaction as the nightly step does (``queue_many``,
timed), then sent by the most workers asked for, timed, and projected on an 8-hour night.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from arrears.audit.trail import SYSTEM  # noqa: E402
from arrears.channels.models import OutboxMessage  # noqa: E402
from arrears.channels.outbox import queue_many  # noqa: E402
from arrears.channels.providers.base import Accepted, Outgoing  # noqa: E402
from arrears.db import make_engine, transaction  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402

NIGHT_HOURS = 8
SUBJECT = "还款提醒：您的账单已逾期"
BODY = "尊敬的客户，您的信用卡账单已逾期，请尽快还款。拒收请回复TD"
SMS_TEMPLATE = "SMS_400100"
SMS_PARAMS = {"name": "王小明", "product": "信用卡", "amount": "¥100.00", "hotline": "400-800-9588"}
SENDER = "collections@bank.example"
SPAWN = multiprocessing.get_context("spawn")


def afternoon_zone(now: datetime) -> str:
    """An IANA zone (Etc/GMT±h) where it is 13:00–14:00 now (as bench_casework's)."""
    offset = (13 - now.hour + 12) % 24 - 12  # -12 … +11
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def email_of(n: int) -> str:
    return f"c{n}@example.cn"


def mobile_of(n: int) -> str:
    return f"+86139{n:08d}"


# --- the book ------------------------------------------------------------------------------------


def build_book(engine: Engine, customers: int, zone: str) -> int:
    """``customers`` customers (B00000001 …) with an e-mail address, a mobile and an open case each,
    and the approved SMS template; answers the template's id."""
    numbers = "FROM generate_series(1, :count) AS k"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (customer_id, name, language, timezone) "
                f"SELECT 'B' || lpad(k::text, 8, '0'), '王小明', 'zh-CN', :zone {numbers}"
            ),
            {"count": customers, "zone": zone},
        )
        for kind, value in (
            ("email", "'c' || k || '@example.cn'"),
            ("mobile", "'+86139' || lpad(k::text, 8, '0')"),
        ):
            connection.execute(
                text(
                    "INSERT INTO contact_points (customer_id, type, value, is_primary, party, "
                    "do_not_contact) "
                    f"SELECT 'B' || lpad(k::text, 8, '0'), :kind, {value}, true, 'debtor', false {numbers}"
                ),
                {"count": customers, "kind": kind},
            )
        connection.execute(
            text(
                "INSERT INTO cases (case_id, customer_id, status, opened_on, worst_dpd, bucket, "
                "overdue_total, currency, account_count, updated_on) "
                "SELECT 'C-B' || lpad(k::text, 8, '0'), 'B' || lpad(k::text, 8, '0'), 'open', "
                f"DATE '2026-11-01', 40, 'M2', 10000, 'CNY', 1, CURRENT_DATE {numbers}"
            ),
            {"count": customers},
        )
        template_id = connection.execute(
            text(
                "INSERT INTO message_templates (code, channel, language, number, status, body, late_policy, "
                "settings, created_at, version) VALUES ('bench_reminder', 'sms', 'zh-CN', 1, 'approved', "
                ":body, 'wait', CAST(:settings AS JSON), :now, 1) RETURNING id"
            ),
            {"body": BODY, "settings": f'{{"template_code": "{SMS_TEMPLATE}"}}', "now": datetime.now(UTC)},
        ).scalar_one()
        connection.execute(text("ANALYZE"))
    return int(template_id)


@dataclass(frozen=True)
class Book:
    engine: Engine
    customers: int
    template_id: int
    points: dict[tuple[str, str], int]
    """(customer id, point type) → contact point id."""


def read_points(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT customer_id, type, id FROM contact_points"))
        return {(customer, kind): int(point) for customer, kind, point in rows}


def customer_of(n: int, book: Book) -> str:
    return f"B{n % book.customers + 1:08d}"


def message_specs(book: Book, channel: str, label: str, count: int) -> list[dict[str, Any]]:
    """``count`` messages of ``channel``, one customer after another, keys ``bench-<label>-<n>``."""
    specs = []
    for n in range(count):
        customer = customer_of(n, book)
        spec: dict[str, Any] = {
            "channel": channel,
            "customer_id": customer,
            "case_id": f"C-{customer}",
            "contact_point_id": book.points[(customer, "email" if channel == "email" else "mobile")],
            "language": "zh-CN",
            "subject": SUBJECT if channel == "email" else None,
            "body": BODY,
            "purpose": "promise_reminder",
            "idempotency_key": f"bench-{label}-{n:06d}",
        }
        if channel == "sms":
            spec |= {"template_id": book.template_id, "provider_params": SMS_PARAMS}
        specs.append(spec)
    return specs


def queue_messages(book: Book, specs: Sequence[dict[str, Any]]) -> float:
    """Queue ``specs`` in one transaction (as the nightly step does); answers the seconds it took."""
    started = time.perf_counter()
    with transaction(book.engine) as session:
        queue_many(session, SYSTEM, specs, now=datetime.now(UTC))
    return time.perf_counter() - started


def states_of(engine: Engine, label: str) -> dict[str, int]:
    with transaction(engine) as session:
        rows = session.execute(
            select(OutboxMessage.state, func.count())
            .where(OutboxMessage.idempotency_key.like(f"bench-{label}-%"))
            .group_by(OutboxMessage.state)
        )
        return {state: int(n) for state, n in rows}


# --- the servers, each in a process of its own ------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What a server received since it was last asked: each message's id, the first and last
    arrival (seconds on the server's own clock)."""

    ids: list[str]
    first: float
    last: float

    @property
    def rate(self) -> float:
        """Messages a second from the first arrival to the last."""
        span = self.last - self.first
        return (len(self.ids) - 1) / span if span > 0 and len(self.ids) > 1 else 0.0


class CountingRelay:
    """An aiosmtpd handler that accepts every message and notes its Message-ID (headers only)."""

    def __init__(self) -> None:
        self.arrived: list[tuple[str, float]] = []
        self.parser = BytesHeaderParser(policy=default_policy)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        headers = self.parser.parsebytes(envelope.original_content or envelope.content)
        self.arrived.append((str(headers["Message-ID"]), time.perf_counter()))
        return "250 Message accepted for delivery"

    def take(self) -> Received:
        arrived, self.arrived = self.arrived, []  # one swap: an arrival meanwhile lands in either list
        return _received(arrived)


def _received(arrived: list[tuple[str, float]]) -> Received:
    stamps = [at for _, at in arrived]
    return Received([key for key, _ in arrived], min(stamps, default=0.0), max(stamps, default=0.0))


def smtp_server_process(pipe: Connection) -> None:
    """The loopback SMTP server: answers its port, then what it received each time it is asked."""
    from aiosmtpd.controller import Controller

    from tests.channels.helpers import free_port

    relay = CountingRelay()
    controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    controller.start()
    pipe.send(controller.port)
    while pipe.recv() == "take":
        pipe.send(relay.take())
    controller.stop()


def sms_server_process(pipe: Connection) -> None:
    """The fake SMS provider on loopback: answers its URL, then what it received when asked."""
    from tests.api.conftest import serving
    from tests.channels.fake_sms import FakeSms

    fake = FakeSms()
    with serving(fake.app) as url:
        pipe.send(url + "/")
        while pipe.recv() == "take":
            with fake.lock:
                sent, fake.received = fake.received, []
                fake.nonces.clear()
            pipe.send(_received([(s.out_id, s.at.timestamp()) for s in sent]))


@dataclass
class Server:
    channel: str
    endpoint: str
    pipe: Connection
    process: Any

    def take(self) -> Received:
        self.pipe.send("take")
        received: Received = self.pipe.recv()
        return received

    def stop(self) -> None:
        self.pipe.send("stop")
        self.process.join(30)


@contextmanager
def server(channel: str) -> Iterator[Server]:
    ours, theirs = SPAWN.Pipe()
    target = smtp_server_process if channel == "email" else sms_server_process
    process = SPAWN.Process(target=target, args=(theirs,), daemon=True)
    process.start()
    if not ours.poll(60):
        raise RuntimeError(f"the {channel} server did not start")
    endpoint = ours.recv()
    started = Server(channel, str(endpoint), ours, process)
    try:
        yield started
    finally:
        started.stop()


# --- the outbox's workers: real ``arrears outbox work`` processes ----------------------------------


def worker_environment(database_url: str, servers: dict[str, Server], outbox_dir: str) -> dict[str, str]:
    from tests.channels.fake_sms import KEY_ID, KEY_SECRET, SIGN_NAME

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ARREARS_DATABASE_URL": database_url,
        "ARREARS_LANGUAGE": "en",
        "ARREARS_OUTBOX_DIR": outbox_dir,
    }
    if "email" in servers:
        env |= {
            "ARREARS_SMTP_HOST": "127.0.0.1",
            "ARREARS_SMTP_PORT": servers["email"].endpoint,
            "ARREARS_SMTP_SECURITY": "none",
            "ARREARS_MAIL_FROM": SENDER,
        }
    if "sms" in servers:
        env |= {
            "ARREARS_SMS_PROVIDER": "aliyun",
            "ARREARS_SMS_ENDPOINT": servers["sms"].endpoint,
            "ARREARS_SMS_ACCESS_KEY_ID": KEY_ID,
            "ARREARS_SMS_ACCESS_KEY_SECRET": KEY_SECRET,
            "ARREARS_SMS_SIGN_NAME": SIGN_NAME,
            "ARREARS_SMS_CODE_TEMPLATE": "SMS_000000001",  # the portal's sign-in code; none sent here
        }
    return env


def run_workers(channel: str, workers: int, env: dict[str, str]) -> float:
    """``workers`` ``arrears outbox work --once`` processes side by side until each is done;
    answers the seconds from their start to the last one's end."""
    command = [sys.executable, "-m", "arrears", "outbox", "work", "--once", "--channel", channel]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(workers)
    ]
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"arrears outbox work failed ({process.returncode}): {err[-2000:]}")
    return time.perf_counter() - started


# --- the floor: the same sends straight to the server ------------------------------------------------


def floor_outgoing(book: Book, channel: str, label: str, count: int) -> list[Outgoing]:
    """The messages as the worker would hand them over (``worker.outgoing``), built without a database."""
    made = []
    for n in range(count):
        number = n % book.customers + 1
        made.append(
            Outgoing(
                message_id=n + 1,
                idempotency_key=f"bench-{label}-{n:06d}",
                channel=channel,
                to=email_of(number) if channel == "email" else mobile_of(number),
                body=BODY,
                language="zh-CN",
                subject=SUBJECT if channel == "email" else None,
                recipient_name="王小明",
                queued_at=datetime.now(UTC),
                case_id=f"C-{customer_of(n, book)}",
                settings={"template_code": SMS_TEMPLATE} if channel == "sms" else {},
                params=SMS_PARAMS if channel == "sms" else {},
            )
        )
    return made


def floor_sender(channel: str, endpoint: str, messages: list[Outgoing]) -> None:
    """One process's share of the floor: each message sent through the adapter, one after another."""
    from arrears.channels.providers.sms_aliyun import AliyunSms
    from arrears.channels.providers.smtp import SmtpProvider
    from tests.channels.fake_sms import KEY_ID, KEY_SECRET, SIGN_NAME

    provider: SmtpProvider | AliyunSms = (
        SmtpProvider("127.0.0.1", int(endpoint), security="none", sender=SENDER)
        if channel == "email"
        else AliyunSms(endpoint, KEY_ID, KEY_SECRET, SIGN_NAME)
    )
    try:
        for message in messages:
            provider.send(message)
    finally:
        provider.close()


def run_floor(channel: str, endpoint: str, messages: list[Outgoing], senders: int) -> float:
    """``senders`` processes sharing ``messages``; answers the seconds from their start to the end."""
    started = time.perf_counter()
    processes = [
        SPAWN.Process(target=floor_sender, args=(channel, endpoint, messages[n::senders]))
        for n in range(senders)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a floor sender failed ({process.exitcode})")
    return time.perf_counter() - started


# --- the runs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    channel: str
    workers: int
    messages: int
    queue_seconds: float
    outbox_wall: float
    outbox: Received
    floor_wall: float
    floor: Received
    states: dict[str, int]


def measure(
    book: Book, servers: dict[str, Server], env: dict[str, str], channel: str, workers: int, count: int
) -> Measured:
    label = f"{channel}-{workers}"
    queued = queue_messages(book, message_specs(book, channel, label, count))
    servers[channel].take()  # anything left from before
    outbox_wall = run_workers(channel, workers, env)
    outbox = servers[channel].take()
    floor_wall = run_floor(
        channel, servers[channel].endpoint, floor_outgoing(book, channel, f"floor-{label}", count), workers
    )
    floor = servers[channel].take()
    return Measured(
        channel, workers, count, queued, outbox_wall, outbox, floor_wall, floor, states_of(book.engine, label)
    )


def received_line(received: Received, expected: int) -> str:
    counted = Counter(received.ids)
    duplicates = len(received.ids) - len(counted)
    ok = "ok" if len(counted) == expected and duplicates == 0 else "MISMATCH"
    return f"{len(received.ids)}/{expected} {ok}"


def report(rows: Sequence[Measured]) -> None:
    print()
    print(
        f"{'channel':<7} {'workers':>7} {'messages':>8} │ {'outbox/s':>9} {'(wall)':>8} │ "
        f"{'floor/s':>9} {'(wall)':>8} │ {'floor÷outbox':>12} │ {'received outbox':>15} {'floor':>12}"
    )
    for m in rows:
        ratio = m.floor.rate / m.outbox.rate if m.outbox.rate else float("inf")
        print(
            f"{m.channel:<7} {m.workers:>7} {m.messages:>8,} │ "
            f"{m.outbox.rate:>9,.0f} {m.messages / m.outbox_wall:>8,.0f} │ "
            f"{m.floor.rate:>9,.0f} {m.messages / m.floor_wall:>8,.0f} │ {ratio:>11.2f}× │ "
            f"{received_line(m.outbox, m.messages):>15} {received_line(m.floor, m.messages):>12}"
        )
        if m.states != {"sent": m.messages}:
            print(f"        outbox states: {m.states}")
    print(
        "msgs/s: at the server, its first message to its last; (wall): the processes' start to their end."
        "\nfloor÷outbox: the aim is 2.00× or less. Queueing (queue_many, one transaction): "
        + ", ".join(f"{m.channel}×{m.workers} {m.messages / m.queue_seconds:,.0f}/s" for m in rows)
    )


def night(
    book: Book, servers: dict[str, Server], env: dict[str, str], channel: str, workers: int, count: int
) -> None:
    """``count`` reminders queued as the nightly step queues them, then sent; projected on a night."""
    label = f"night-{channel}"
    specs = message_specs(book, channel, label, count)
    queued = queue_messages(book, specs)
    servers[channel].take()
    sent_wall = run_workers(channel, workers, env)
    received = servers[channel].take()
    states = states_of(book.engine, label)
    per_second = count / sent_wall
    night_seconds = NIGHT_HOURS * 3600
    print(
        f"\nthe night: {count:,} {channel} reminders queued in {queued:.1f} s ({count / queued:,.0f}/s), "
        f"sent by {workers} workers in {sent_wall:.1f} s ({per_second:,.0f}/s wall, "
        f"{received.rate:,.0f}/s at the server); "
        f"received {received_line(received, count)}; states {states}"
    )
    print(
        f"  queued and sent: {queued + sent_wall:,.0f} s, "
        f"{100 * (queued + sent_wall) / night_seconds:.1f}% of an "
        f"{NIGHT_HOURS}-hour night; at this rate a night sends {per_second * night_seconds:,.0f} messages"
    )


class AcceptAll:
    """A provider that takes every message at once: what is left of a send is the outbox's own work."""

    name = "accept-all"

    def __init__(self, channel: str, wait: float = 0.0) -> None:
        self.channel = channel
        self.finds = channel == "sms"  # as the real provider of the channel: settled by batch or each
        self.wait = wait

    def send(self, message: Outgoing) -> Accepted:
        if self.wait:
            time.sleep(self.wait)
        return Accepted(message.idempotency_key)

    def find(self, message: Outgoing) -> Accepted | None:
        return None


def breakdown(book: Book, channel: str, count: int, wait_ms: float = 0.0) -> None:
    """One worker in this process, to a provider that takes every message at once: where a
    message's time goes (the worker's steps), and the SQL statements and transactions it takes."""
    from arrears.channels import worker as worker_module
    from arrears.clock import SystemClock
    from arrears.config import load_settings

    label = f"breakdown-{channel}"
    queue_messages(book, message_specs(book, channel, label, count))
    steps = ("claim", "gate", "send", "settle", "settle_many", "reconcile")
    laps: dict[str, float] = dict.fromkeys(steps, 0.0)
    statements = {"n": 0, "commits": 0}
    event.listen(book.engine, "before_cursor_execute", lambda *_: statements.update(n=statements["n"] + 1))
    event.listen(book.engine, "commit", lambda *_: statements.update(commits=statements["commits"] + 1))
    originals = {name: getattr(worker_module.Worker, name) for name in laps}

    def timed(name: str, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                laps[name] += time.perf_counter() - started

        return call

    for name, method in originals.items():
        setattr(worker_module.Worker, name, timed(name, method))
    settings = load_settings(
        database_url=book.engine.url.render_as_string(hide_password=False), language="en"
    )
    started, cpu = time.perf_counter(), time.process_time()
    try:
        tally = worker_module.work(
            book.engine,
            {channel: AcceptAll(channel, wait_ms / 1000)},
            SystemClock(),
            once=True,
            settings=settings,
        )
    finally:
        for name, method in originals.items():
            setattr(worker_module.Worker, name, method)
    whole, cpu = time.perf_counter() - started, time.process_time() - cpu
    sent = max(tally.sent, 1)
    print(
        f"\none worker in process, {channel}, to a provider that takes every message "
        f"{f'in {wait_ms:g} ms (waiting)' if wait_ms else 'at once'}: "
        f"{tally.sent:,} sent, "
        f"{1000 * whole / sent:.1f} ms a message ({tally.sent / whole:,.0f}/s), "
        f"{statements['n'] / sent:.1f} SQL statements and "
        f"{statements['commits'] / sent:.1f} commits a message; this process's CPU (every thread) "
        f"{1000 * cpu / sent:.1f} ms a message"
    )
    for name, seconds in laps.items():
        print(f"  {name:<16} {1000 * seconds / sent:6.1f} ms a message")
    print(
        "  (claim includes gate: the batch's compliance gate facts and decisions, contacts and "
        "their audit entries. settle: each send on its own (e-mail); settle_many: a batch's at "
        "once (SMS, whose provider answers find))"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000, help="messages per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--channels", nargs="+", choices=["email", "sms"], default=["email", "sms"])
    parser.add_argument(
        "--night", type=int, default=0, metavar="N", help="also queue N reminders and send them"
    )
    parser.add_argument("--night-channel", choices=["email", "sms"], default="email")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ARREARS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL (a schema of its own is created there and dropped)",
    )
    parser.add_argument(
        "--breakdown",
        type=int,
        default=500,
        metavar="N",
        help="N messages through one worker in process, timed by step",
    )
    parser.add_argument(
        "--wait", type=float, default=0.0, metavar="MS", help="the breakdown's provider waits MS a message"
    )
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()

    schema = f"bench_outbox_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database_url = f"{args.database_url}?options=-csearch_path%3D{schema}"
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        customers = max(args.messages, args.night)
        zone = afternoon_zone(datetime.now(UTC))
        started = time.perf_counter()
        template_id = build_book(engine, customers, zone)
        book = Book(engine, customers, template_id, read_points(engine))
        print(
            f"book: {customers:,} customers (zone {zone}), "
            f"built in {time.perf_counter() - started:.1f} s (schema {schema})"
        )
        channels = sorted(set(args.channels) | ({args.night_channel} if args.night else set()))
        with tempfile.TemporaryDirectory() as outbox_dir, _servers(channels) as servers:
            env = worker_environment(database_url, servers, outbox_dir)
            rows = []
            for channel in args.channels:
                for workers in args.workers:
                    rows.append(measure(book, servers, env, channel, workers, args.messages))
                    print(f"  {channel} with {workers} workers done", flush=True)
            if rows:
                report(rows)
            for channel in args.channels if args.breakdown else []:
                breakdown(book, channel, args.breakdown, args.wait)
            if args.night:
                night(book, servers, env, args.night_channel, max(args.workers), args.night)
    finally:
        engine.dispose()
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def _servers(channels: Sequence[str]) -> Iterator[dict[str, Server]]:
    with ExitStack() as stack:
        yield {channel: stack.enter_context(server(channel)) for channel in channels}


if __name__ == "__main__":
    main()
