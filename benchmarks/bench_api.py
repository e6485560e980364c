"""The HTTP API under load: a 1M-account book on PostgreSQL, real HTTP on loopback, 50 clients.

    .venv/bin/python benchmarks/bench_api.py [--accounts 1000000] [--open-cases 100000]
        [--clients 50] [--seconds 30] [--workers 2] [--postgres URL] [--keep]

Builds a book in a fresh PostgreSQL schema (customers with a mobile each, two accounts a customer,
open cases with their accounts, scores, teams, collectors and the assignment of every case),
starts `arrears serve --workers N` on a free loopback port, and runs the clients for the given
seconds, each a collector with its own bearer token, on a mix of:

  * case list   GET  /api/v1/cases?limit=50            (the collector's scoped, filtered list)
  * case page   GET  /api/v1/cases/{id}                (one of the collector's cases)
  * customer    GET  /api/v1/customers/{id}            (masked, and audited)
  * compliance  POST /api/v1/compliance/check          (may I call this customer now?)
  * floor       GET  /api/v1/auth/me                   (signed in, one row by key: the floor)

The floor runs in the same mix, so it sees the same load. Printed: requests per second and
p50/p95/p99 per route, the case page's p95 over the floor's, and the server's own time per route
(from /metrics, with --workers 1) beside the client's, which tells queueing from work. With --rate
the clients offer that many requests a second in all (each on its own schedule): latency below
saturation; without it, each client asks again as soon as answered: throughput at saturation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from arrears.auth import service as auth
from arrears.auth.models import CredentialKind, Team, TeamLeader, User
from arrears.auth.permissions import Role
from arrears.auth.service import Lifetimes
from arrears.db import make_engine, transaction
from arrears.db.arrow import insert_arrow
from arrears.db.migrate import upgrade

AS_OF = date(2026, 11, 20)
NOW = datetime.now(UTC)
TEAMS = 10
COLLECTORS_PER_TEAM = 5
BUCKETS = [(29, "M1"), (59, "M2"), (89, "M3"), (119, "M4"), (149, "M5"), (179, "M6"), (10**6, "M7+")]
SERVER_LOG = Path("bench_api.server.log")
"""The server's own log (JSON lines) of the last run, kept for a look after."""
MIX = {"case list": 3, "case page": 3, "customer": 2, "compliance": 1, "floor": 1}


@dataclass
class Book:
    collectors: list[tuple[str, list[str], list[str]]]
    """(token, its case ids, their customer ids) per collector."""
    build_seconds: float


def build_book(engine: Engine, accounts: int, open_cases: int, seed: int = 11) -> Book:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    customers = accounts // 2
    cust_idx = np.arange(customers)
    cust = np.char.add("C", np.char.zfill(cust_idx.astype(str), 8))
    acct_idx = np.arange(accounts)
    acct = np.char.add("A", np.char.zfill(acct_idx.astype(str), 9))
    acct_owner = cust[acct_idx // 2]
    stride = max(customers // open_cases, 1)
    case_cust_idx = cust_idx[::stride][:open_cases]
    case_cust = cust[case_cust_idx]
    case_ids = np.char.add(np.char.add("C-", case_cust), "-20261101")
    dpd = rng.integers(1, 200, size=len(case_ids))
    bucket = np.array([next(name for top, name in BUCKETS if d <= top) for d in dpd])
    overdue = rng.integers(10_000, 5_000_000, size=len(case_ids))
    with engine.begin() as connection:
        insert_arrow(
            connection,
            "customers",
            pa.table(
                {
                    "customer_id": cust,
                    "name": np.char.add("客户", cust_idx.astype(str)),
                    "national_id": np.char.add(
                        "1101011990", np.char.zfill((cust_idx % 10**8).astype(str), 8)
                    ),
                    "birth_date": pa.array([date(1990, 1, 1)] * customers, pa.date32()),
                    "language": np.full(customers, "zh-CN"),
                    "country": np.full(customers, "CN"),
                    "timezone": np.full(customers, "Asia/Shanghai"),
                }
            ),
        )
        insert_arrow(
            connection,
            "contact_points",
            pa.table(
                {
                    "customer_id": cust,
                    "type": np.full(customers, "mobile"),
                    "value": np.char.add("+86138", np.char.zfill(cust_idx.astype(str), 8)),
                    "is_primary": np.full(customers, True),
                    "party": np.full(customers, "debtor"),
                    "do_not_contact": np.full(customers, False),
                }
            ),
        )
        insert_arrow(
            connection,
            "accounts",
            pa.table(
                {
                    "account_id": acct,
                    "customer_id": acct_owner,
                    "product": np.array(["card", "loan"])[acct_idx % 2],
                    "currency": np.full(accounts, "CNY"),
                    "opened_on": pa.array([date(2024, 1, 1)] * accounts, pa.date32()),
                    "principal": rng.integers(100_000, 50_000_000, size=accounts),
                    "status": np.full(accounts, "active"),
                }
            ),
        )
        insert_arrow(
            connection,
            "cases",
            pa.table(
                {
                    "case_id": case_ids,
                    "customer_id": case_cust,
                    "status": np.full(len(case_ids), "open"),
                    "opened_on": pa.array([date(2026, 11, 1)] * len(case_ids), pa.date32()),
                    "worst_dpd": dpd,
                    "bucket": bucket,
                    "overdue_total": overdue,
                    "currency": np.full(len(case_ids), "CNY"),
                    "account_count": np.full(len(case_ids), 2),
                    "updated_on": pa.array([AS_OF] * len(case_ids), pa.date32()),
                }
            ),
        )
        first_account = case_cust_idx * 2
        member_case = np.repeat(case_ids, 2)
        member_account = acct[np.stack([first_account, first_account + 1], axis=1).ravel()]
        insert_arrow(
            connection,
            "case_accounts",
            pa.table(
                {
                    "case_id": member_case,
                    "account_id": member_account,
                    "joined_on": pa.array([date(2026, 11, 1)] * len(member_case), pa.date32()),
                    "delinquent": np.full(len(member_case), True),
                    "dpd": np.repeat(dpd, 2),
                    "bucket": np.repeat(bucket, 2),
                    "overdue_amount": np.repeat(overdue // 2, 2),
                    "currency": np.full(len(member_case), "CNY"),
                    "account_status": np.full(len(member_case), "active"),
                }
            ),
        )
        model_id = connection.execute(
            text(
                "INSERT INTO model_versions (purpose, version, kind, training_source, features, parameters, "
                "metrics, data_checksum, code_version, artifact_sha256, is_active, created_at, created_by, "
                "activated_at) VALUES ('cure', 1, 'scorecard', 'bench', '[]', '{}', '{}', :z, 'bench', :z, "
                "true, :now, 'bench', :now) RETURNING id"
            ),
            {"z": "0" * 64, "now": NOW},
        ).scalar_one()
        scores = rng.integers(500, 750, size=len(member_case))
        reasons = json.dumps(
            [
                {"feature": "repayment_status_now", "value": 2, "effect": -12.0},
                {"feature": "tenure_months", "value": 34, "effect": 8.0},
            ]
        )
        insert_arrow(
            connection,
            "account_scores",
            pa.table(
                {
                    "account_id": member_account,
                    "case_id": member_case,
                    "as_of": pa.array([AS_OF] * len(member_case), pa.date32()),
                    "model_version_id": np.full(len(member_case), model_id),
                    "score": scores,
                    "probability": scores / 1000.0,
                    "band": np.array(["A", "B", "C", "D", "E"])[np.minimum((749 - scores) // 50, 4)],
                    "reasons": np.full(len(member_case), reasons),
                }
            ),
        )
    collectors = _people_and_assignments(engine, case_ids, case_cust, rng)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return Book(collectors=collectors, build_seconds=time.perf_counter() - started)


def _people_and_assignments(
    engine: Engine, case_ids: np.ndarray, case_cust: np.ndarray, rng: np.random.Generator
) -> list[tuple[str, list[str], list[str]]]:
    lifetimes = Lifetimes(idle=timedelta(hours=12), total=timedelta(hours=12))
    collectors: list[tuple[int, str]] = []
    with transaction(engine) as session:
        for t in range(TEAMS):
            team = Team(code=f"T{t}", name=f"第{t}组", created_at=NOW)
            session.add(team)
            session.flush()
            lead = User(username=f"sup{t}", role=str(Role.SUPERVISOR), created_at=NOW, active=True)
            session.add(lead)
            session.flush()
            session.add(TeamLeader(team_id=team.id, user_id=lead.id))
            for c in range(COLLECTORS_PER_TEAM):
                user = User(
                    username=f"col{t}-{c}",
                    role=str(Role.COLLECTOR),
                    team_id=team.id,
                    created_at=NOW,
                    active=True,
                )
                session.add(user)
                session.flush()
                secret, _ = auth.issue(session, user, CredentialKind.TOKEN, now=NOW, lifetimes=lifetimes)
                collectors.append((team.id, secret))
                collectors[-1] = (team.id, secret)
        team_ids = sorted({team for team, _ in collectors})
        user_ids = (
            session.execute(text("SELECT id FROM users WHERE role = 'collector' ORDER BY id")).scalars().all()
        )
    n = len(case_ids)
    slot = np.arange(n) % len(user_ids)
    team_of_slot = np.array([team_ids[i // COLLECTORS_PER_TEAM] for i in range(len(user_ids))])
    pooled = rng.random(n) < 0.1
    collector_ids = np.array(user_ids)[slot]
    with engine.begin() as connection:
        insert_arrow(
            connection,
            "case_assignments",
            pa.table(
                {
                    "case_id": case_ids,
                    "team_id": team_of_slot[slot],
                    "collector_id": pa.array(np.where(pooled, 0, collector_ids), mask=pooled),
                    "assigned_at": pa.array([NOW] * n, pa.timestamp("us", tz="UTC")),
                    "reason": np.full(n, "bench"),
                }
            ),
        )
    out: list[tuple[str, list[str], list[str]]] = []
    for i, (_, secret) in enumerate(collectors):
        mine = (slot == i) & ~pooled
        out.append((secret, case_ids[mine].tolist(), case_cust[mine].tolist()))
    return out


def reuse_book(engine: Engine) -> Book:
    """The collectors of a book a --keep run left, each with a fresh token."""
    started = time.perf_counter()
    lifetimes = Lifetimes(idle=timedelta(hours=12), total=timedelta(hours=12))
    out: list[tuple[str, list[str], list[str]]] = []
    with transaction(engine) as session:
        users = session.execute(
            select(User).where(User.role == str(Role.COLLECTOR)).order_by(User.id)
        ).scalars()
        for user in users:
            secret, _ = auth.issue(
                session, user, CredentialKind.TOKEN, now=datetime.now(UTC), lifetimes=lifetimes
            )
            cases, customers = assigned(session, user.id)
            out.append((secret, cases, customers))
    return Book(collectors=out, build_seconds=time.perf_counter() - started)


def assigned(session: Session, user_id: int) -> tuple[list[str], list[str]]:
    """The open cases assigned to a collector now, and their customers (in the same order)."""
    rows = session.execute(
        text(
            "SELECT c.case_id, c.customer_id FROM case_assignments a JOIN cases c "
            "ON c.case_id = a.case_id WHERE a.collector_id = :id AND a.ended_at IS NULL"
        ),
        {"id": user_id},
    ).all()
    return [r[0] for r in rows], [r[1] for r in rows]


@dataclass
class Measured:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


async def client_loop(
    url: str,
    token: str,
    cases: list[str],
    customers: list[str],
    until: float,
    measure_from: float,
    out: Measured,
    pace: float = 0.0,
) -> None:
    """One client with its bearer token, on MIX."""
    rand = random.Random(token)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def ask(route: str) -> httpx.Response:
            pick = rand.randrange(len(cases))
            if route == "case list":
                return await client.get("/api/v1/cases", params={"limit": 50})
            if route == "case page":
                return await client.get(f"/api/v1/cases/{cases[pick]}")
            if route == "customer":
                return await client.get(f"/api/v1/customers/{customers[pick]}")
            if route == "compliance":
                return await client.post(
                    "/api/v1/compliance/check", json=compliance_question(customers[pick])
                )
            return await client.get("/api/v1/auth/me")

        await ask_in_turn(ask, MIX, rand, until, measure_from, out, pace)


async def ask_in_turn(
    ask: Callable[[str], Awaitable[httpx.Response]],
    mix: dict[str, int],
    rand: random.Random,
    until: float,
    measure_from: float,
    out: Measured,
    pace: float = 0.0,
) -> None:
    """One client's requests, a route of ``mix`` (drawn by weight) at a time: each as soon as the
    last is answered, or one every ``pace`` seconds when pace is set (the latency then is service
    time and queueing below saturation, not the queue of a closed loop). Kept in ``out`` from
    ``measure_from``: the seconds of each 200, the count of every other answer or failure."""
    routes = [name for name, weight in mix.items() for _ in range(weight)]
    next_at = time.perf_counter() + rand.random() * pace
    while (now := time.perf_counter()) < until:
        if pace:
            await asyncio.sleep(max(0.0, next_at - now))
            next_at += pace
            now = time.perf_counter()
        route = rand.choice(routes)
        started = time.perf_counter()
        try:
            answer = await ask(route)
        except httpx.TransportError as error:
            if now >= measure_from:
                out.errors[f"{route} {type(error).__name__}"] += 1
            continue
        elapsed = time.perf_counter() - started
        if now < measure_from:
            continue
        if answer.status_code != 200:
            out.errors[f"{route} {answer.status_code}"] += 1
        else:
            out.latencies[route].append(elapsed)


def compliance_question(customer_id: str) -> dict[str, object]:
    return {"customer_id": customer_id, "contact": {"channel": "call", "party": "debtor"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(database_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "ARREARS_DATABASE_URL": database_url, "ARREARS_LANGUAGE": "zh-CN"}
    arrears = Path(sys.executable).with_name("arrears")
    process = subprocess.Popen(
        [str(arrears), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=SERVER_LOG.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("arrears serve did not become ready within 60 s")


def server_seconds(url: str) -> dict[str, tuple[float, float]]:
    """(sum of seconds, count) per route template from the server's latency histogram."""
    found: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    body = httpx.get(f"{url}/metrics", timeout=10).text
    for line in body.splitlines():
        match = re.match(r"^(\w+)_(sum|count)\{(.*)\} ([0-9.e+-]+)$", line)
        if not match or "duration" not in match.group(1):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(3)))
        route = labels.get("route") or labels.get("path") or labels.get("handler")
        if route:
            found[route][0 if match.group(2) == "sum" else 1] += float(match.group(4))
    return {route: (total, count) for route, (total, count) in found.items()}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) * 1000


def database_options(parser: argparse.ArgumentParser) -> None:
    """--postgres, --keep and --reuse: where a run builds its book, and whether it stays."""
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ARREARS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--reuse", metavar="SCHEMA", help="a schema a --keep run left: skip the build")


def rate_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offered requests/s in all, spread over the clients (default: as fast as answered)",
    )


@dataclass
class Database:
    schema: str
    url: str
    """The database URL with the schema as its search path."""
    engine: Engine
    fresh: bool
    """A new, empty schema (no --reuse)."""


@contextmanager
def bench_database(args: argparse.Namespace, prefix: str) -> Iterator[Database]:
    """A fresh schema ``prefix_<hex>`` (or the --reuse one), dropped afterwards unless --keep or --reuse."""
    schema = args.reuse or f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.postgres)
    if not args.reuse:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database_url = f"{args.postgres}?options=-csearch_path%3D{schema}"
    engine = make_engine(database_url)
    try:
        yield Database(schema=schema, url=database_url, engine=engine, fresh=not args.reuse)
    finally:
        engine.dispose()
        if not args.keep and not args.reuse:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def served(database_url: str, workers: int) -> Iterator[str]:
    """``arrears serve`` on a loopback port (its URL) while the block runs, then stopped."""
    process, url = serve(database_url, workers)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    database_options(parser)
    rate_option(parser)
    args = parser.parse_args()

    with bench_database(args, "bench_api") as database:
        if database.fresh:
            upgrade(database.engine)
            book = build_book(database.engine, args.accounts, args.open_cases)
        else:
            book = reuse_book(database.engine)
        print(
            f"book: {args.accounts:,} accounts, {args.open_cases:,} open cases, "
            f"{len(book.collectors)} collectors; built in {book.build_seconds:.1f} s "
            f"(schema {database.schema})"
        )
        with served(database.url, args.workers) as url:
            measure(url, book, args)


def measure(url: str, book: Book, args: argparse.Namespace) -> None:
    """The clients' mix for the warm-up and the measured seconds, then the report."""
    before = server_seconds(url)
    measured = Measured()
    start = time.perf_counter()
    measure_from = start + args.warmup
    until = measure_from + args.seconds

    pace = args.clients / args.rate if args.rate else 0.0

    async def run() -> None:
        clients = [book.collectors[i % len(book.collectors)] for i in range(args.clients)]
        await asyncio.gather(
            *(
                client_loop(url, token, cases, custs, until, measure_from, measured, pace)
                for token, cases, custs in clients
            )
        )

    asyncio.run(run())
    after = server_seconds(url)
    report(measured, args, before, after)


def report(
    measured: Measured,
    args: argparse.Namespace,
    before: dict[str, tuple[float, float]],
    after: dict[str, tuple[float, float]],
) -> None:
    total = sum(len(v) for v in measured.latencies.values())
    print(
        f"{args.clients} clients, {args.workers} server workers, {args.seconds:.0f} s measured: "
        f"{total / args.seconds:,.0f} requests/s in all"
    )
    print(f"{'route':<12} {'n':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for route in MIX:
        values = measured.latencies.get(route, [])
        if not values:
            print(f"{route:<12} {'-':>7}")
            continue
        print(
            f"{route:<12} {len(values):>7} {len(values) / args.seconds:>8.1f} {percentile(values, 50):>8.1f} "
            f"{percentile(values, 95):>8.1f} {percentile(values, 99):>8.1f}"
        )
    if measured.latencies.get("case page") and measured.latencies.get("floor"):
        ratio = percentile(measured.latencies["case page"], 95) / percentile(measured.latencies["floor"], 95)
        print(f"case page p95 / floor p95: {ratio:.2f}x")
    if measured.errors:
        print("non-200 answers:", dict(measured.errors))
    if args.workers != 1:
        print("server time per route: run with --workers 1 (each worker counts its own requests)")
        return
    print("server time per route (mean ms, from /metrics; the rest of the client's time is queueing):")
    for route, (total_s, count) in sorted(after.items()):
        base_s, base_n = before.get(route, (0.0, 0.0))
        if count - base_n > 0:
            print(
                f"  {route:<40} {1000 * (total_s - base_s) / (count - base_n):8.2f} ms"
                f" over {count - base_n:.0f}"
            )


if __name__ == "__main__":
    main()
