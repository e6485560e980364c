"""Case work under load: N collectors over real HTTP on PostgreSQL, each working case after case.

    .venv/bin/python benchmarks/bench_casework.py [--open-cases 100000] [--clients 50]
        [--seconds 30] [--warmup 5] [--workers 2] [--postgres URL] [--keep] [--reuse SCHEMA]

Builds a book in a fresh PostgreSQL schema with bench_api's builder (customers with a mobile each,
two accounts a customer, open cases, scores, 10 teams of 5 collectors, every case assigned, 10% to
a team's pool), puts every case in its team's queue and computes the priorities
(``refresh_priorities``), starts ``arrears serve --workers N`` on a loopback port, and runs the
clients for the given seconds. Each client is a collector doing, over and over:

  * next case     POST   /api/v1/queues/next
  * case page     GET    /api/v1/cases/{id}
  * log contact   POST   /api/v1/cases/{id}/contacts     (an outbound call, a promise disposition)
  * take promise  POST   /api/v1/cases/{id}/promises     (one installment, with an Idempotency-Key)
  * release       DELETE /api/v1/queues/lease            (done with the case)

A step whose route the server does not have (not in its OpenAPI document, or answered 404/405 as
an unknown route) is reported "not available" and left out; the other steps still run. Printed:
requests per second and p50/p95/p99 per step (client side), the server's own duration per step
(from its request log: the rest is queueing and the network), the answers that were not 2xx, and a
breakdown of next case measured in process (where its time goes: candidates, the gate's facts and
decisions, the lease, the assignment, the audit entry).

The compliance gate decides at the real time: the customers' zone is set so that it is early
afternoon for them now, which the default pack allows calls in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import (  # noqa: E402
    bench_database,
    build_book,
    database_options,
    percentile,
    reuse_book,
    served,
)

from arrears.db import transaction  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402

STEPS = ("next case", "case page", "log contact", "take promise", "release")
PATHS = {
    "next case": ("post", "/api/v1/queues/next"),
    "case page": ("get", "/api/v1/cases/{case_id}"),
    "log contact": ("post", "/api/v1/cases/{case_id}/contacts"),
    "take promise": ("post", "/api/v1/cases/{case_id}/promises"),
    "release": ("delete", "/api/v1/queues/lease"),
}
SERVER_LOG = Path("bench_api.server.log")
"""Where bench_api's ``serve`` writes the server's log (JSON lines, one per request)."""


@dataclass
class Measured:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answers: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    missing: set[str] = field(default_factory=set)
    handed: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def afternoon_zone(now: datetime) -> str:
    """An IANA zone (Etc/GMT±h) where it is 13:00–14:00 now."""
    offset = 13 - now.hour
    offset = (offset + 12) % 24 - 12  # -12 … +11
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def queue_the_book(engine: Engine, as_of: date) -> tuple[int, float]:
    """Every open case in its team's queue (as the nightly assignment would leave it), then the
    priorities computed; answers (rows refreshed, seconds the refresh took)."""
    from arrears.queues.next_case import refresh_priorities

    with engine.begin() as connection:
        # what the cases' accounts owe (one installment each, overdue): a promise has a debt to cover
        connection.execute(
            text(
                "INSERT INTO installments (account_id, seq, due_date, currency, amount_due) "
                "SELECT account_id, 1, :due, currency, overdue_amount FROM case_accounts"
            ),
            {"due": date(2026, 10, 1)},
        )
        connection.execute(
            text(
                "INSERT INTO case_queues (case_id, queue, team_id, queue_set, entered_on) "
                "SELECT a.case_id, c.bucket, a.team_id, 1, c.opened_on FROM case_assignments a "
                "JOIN cases c ON c.case_id = a.case_id WHERE a.ended_at IS NULL AND c.status = 'open'"
            )
        )
        connection.execute(
            text("UPDATE customers SET timezone = :zone"), {"zone": afternoon_zone(datetime.now(UTC))}
        )
    started = time.perf_counter()
    with engine.begin() as connection:
        refreshed = refresh_priorities(connection, as_of)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return refreshed, seconds


def contact_points(engine: Engine) -> dict[str, int]:
    """case → the id of its customer's mobile."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.case_id, min(p.id) FROM cases c "
                "JOIN contact_points p ON p.customer_id = c.customer_id "
                "WHERE c.status = 'open' GROUP BY c.case_id"
            )
        )
        return {case_id: int(point) for case_id, point in rows}


def available_steps(url: str) -> set[str]:
    paths = httpx.get(f"{url}/api/v1/openapi.json", timeout=30).json().get("paths", {})
    return {step for step, (method, path) in PATHS.items() if method in paths.get(path, {})}


def unknown_route(answer: httpx.Response) -> bool:
    """A 404/405 that says the route does not exist (not a case that is not found)."""
    if answer.status_code == 405:
        return True
    if answer.status_code != 404:
        return False
    try:
        return str(answer.json().get("code", "")).startswith("http_")
    except ValueError:
        return True


async def collector_loop(
    url: str,
    token: str,
    points: dict[str, int],
    until: float,
    measure_from: float,
    out: Measured,
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
    rand = random.Random(token)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def step(name: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
            if name in out.missing:
                return None
            started = time.perf_counter()
            answer = await client.request(method, path, **kwargs)
            elapsed = time.perf_counter() - started
            if unknown_route(answer) and name not in {"next case", "release"}:
                out.missing.add(name)
                return None
            if started >= measure_from:
                out.answers[name][answer.status_code] += 1
                if answer.is_success:
                    out.latencies[name].append(elapsed)
            return answer

        while time.perf_counter() < until:
            got = await step("next case", "POST", PATHS["next case"][1])
            if got is None or got.status_code != 200:
                await asyncio.sleep(0.05)
                continue
            case_id = got.json()["case_id"]
            if time.perf_counter() >= measure_from:
                out.handed[case_id] += 1
            await step("case page", "GET", f"/api/v1/cases/{case_id}")
            now = datetime.now(UTC)
            await step(
                "log contact",
                "POST",
                f"/api/v1/cases/{case_id}/contacts",
                json={
                    "channel": "call",
                    "direction": "outbound",
                    "contact_point_id": points.get(case_id),
                    "party": "debtor",
                    "started_at": (now - timedelta(minutes=3)).isoformat(),
                    "ended_at": now.isoformat(),
                    "disposition": "promise",
                    "note": "客户同意下周还款",
                },
            )
            await step(
                "take promise",
                "POST",
                f"/api/v1/cases/{case_id}/promises",
                json={
                    "installments": [
                        {
                            "due_on": (now.date() + timedelta(days=3)).isoformat(),
                            "amount": f"{rand.randint(100, 900)}.00",
                        }
                    ],
                    "currency": "CNY",
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            await step("release", "DELETE", PATHS["release"][1])


def server_durations(since: float, paths: dict[str, tuple[str, str]] | None = None) -> dict[str, list[float]]:
    """Milliseconds per step from the server's request log (lines logged after ``since``);
    ``paths``: step → (method, route template), PATHS unless given."""
    found: dict[str, list[float]] = defaultdict(list)
    if not SERVER_LOG.exists():
        return found
    templates = {(method.upper(), path): step for step, (method, path) in (paths or PATHS).items()}
    for line in SERVER_LOG.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        route, method = record.get("route"), record.get("method")
        step = templates.get((method, route))
        if step is None or "duration_ms" not in record:
            continue
        stamp = record.get("timestamp") or record.get("time")
        if stamp is not None:
            try:
                if datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp() < since:
                    continue
            except ValueError:
                pass
        found[step].append(float(record["duration_ms"]))
    return found


@contextmanager
def timed(module: Any, names: list[str], laps: dict[str, list[float]]) -> Iterator[None]:
    """Wrap ``module``'s functions ``names`` so that each call's seconds are kept in ``laps``."""
    originals = {name: getattr(module, name) for name in names}

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                laps[name].append(time.perf_counter() - started)

        return timed_call

    for name, function in originals.items():
        setattr(module, name, wrap(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(module, name, function)


def breakdown(engine: Engine, calls: int) -> tuple[dict[str, list[float]], list[float]]:
    """Next case called in process ``calls`` times (each then released), its parts timed."""
    from arrears.auth.models import User
    from arrears.auth.service import principal_of
    from arrears.config import get_settings
    from arrears.contacts.gate import pack_of
    from arrears.queues import next_case

    settings = get_settings()
    pack = pack_of(settings.compliance_pack, settings.compliance_policy)
    laps: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    parts = [
        "_serialise",
        "_live_lease",
        "_candidates",
        "facts_for",
        "_workable",
        "_reachable",
        "_take",
        "_assign_if_pooled",
        "audit",
    ]
    with transaction(engine) as session:
        user_ids = (
            session.execute(text("SELECT id FROM users WHERE role = 'collector' ORDER BY id")).scalars().all()
        )
    with timed(next_case, parts, laps):
        for n in range(calls):
            with transaction(engine) as session:
                user = session.get(User, user_ids[n % len(user_ids)])
                assert user is not None
                principal = principal_of(session, user)
                now = datetime.now(UTC)
                started = time.perf_counter()
                try:
                    next_case.next_case(
                        session, principal, now=now, today=now.date(), lease_minutes=15, pack=pack
                    )
                    next_case.release(session, principal, now=now)
                except next_case.NoCaseToWorkError:
                    pass
                totals.append(time.perf_counter() - started)
    return laps, totals


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--breakdown", type=int, default=200, help="in-process next-case calls timed by part")
    database_options(parser)
    args = parser.parse_args()

    with bench_database(args, "bench_casework") as database:
        engine = database.engine
        os.environ["ARREARS_DATABASE_URL"] = database.url
        if database.fresh:
            upgrade(engine)
            book = build_book(engine, 2 * args.open_cases, args.open_cases)
            refreshed, refresh_seconds = queue_the_book(engine, datetime.now(UTC).date())
            print(
                f"book: {args.open_cases:,} open cases, {len(book.collectors)} collectors; built in "
                f"{book.build_seconds:.1f} s (schema {database.schema}); priorities of {refreshed:,} "
                f"queued cases computed in {refresh_seconds:.2f} s"
            )
        else:
            book = reuse_book(engine)
            print(f"book reused (schema {database.schema}): {len(book.collectors)} collectors")
        points = contact_points(engine)
        with served(database.url, args.workers) as url:
            available = available_steps(url)
            measured = Measured(missing={step for step in STEPS if step not in available})
            start = time.perf_counter()
            measure_from = start + args.warmup
            until = measure_from + args.seconds
            wall_from = time.time() + args.warmup

            async def run() -> None:
                tokens = [book.collectors[i % len(book.collectors)][0] for i in range(args.clients)]
                await asyncio.gather(
                    *(collector_loop(url, token, points, until, measure_from, measured) for token in tokens)
                )

            asyncio.run(run())
            report(measured, args, server_durations(wall_from))
        if args.breakdown:
            laps, totals = breakdown(engine, args.breakdown)
            print(f"next case in process, {len(totals)} calls (each then released), one at a time:")
            mean = 1000 * sum(totals) / len(totals)
            print(f"  {'whole call':<20} mean {mean:7.2f} ms  p95 {percentile(totals, 95):7.2f} ms")
            for name, values in sorted(laps.items(), key=lambda item: -sum(item[1])):
                each, times = 1000 * sum(values) / len(values), len(values) / len(totals)
                print(
                    f"  {name:<20} mean {each:7.2f} ms  x{times:4.1f} a call  = {each * times:7.2f} ms a call"
                )


def report(measured: Measured, args: argparse.Namespace, server: dict[str, list[float]]) -> None:
    total = sum(len(v) for v in measured.latencies.values())
    print(
        f"{args.clients} collectors, {args.workers} server workers, {args.seconds:.0f} s measured: "
        f"{total / args.seconds:,.0f} requests/s in all, {sum(measured.handed.values()):,} cases handed out"
    )
    twice = [case for case, times in measured.handed.items() if times > 1]
    if twice:
        print(f"  {len(twice)} cases were handed out more than once (released, then taken again)")
    print(
        f"{'step':<13} {'n':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   "
        f"{'server p50':>10} {'server p95':>10}"
    )
    for step in STEPS:
        if step in measured.missing:
            print(f"{step:<13} not available (the server has no such route)")
            continue
        values = measured.latencies.get(step, [])
        if not values:
            print(f"{step:<13} {'-':>7}")
            continue
        own = server.get(step, [])
        seconds = [v / 1000 for v in own]
        own_text = (
            f"{percentile(seconds, 50):>10.1f} {percentile(seconds, 95):>10.1f}"
            if own
            else f"{'-':>10} {'-':>10}"
        )
        print(
            f"{step:<13} {len(values):>7} {len(values) / args.seconds:>8.1f} {percentile(values, 50):>8.1f} "
            f"{percentile(values, 95):>8.1f} {percentile(values, 99):>8.1f}   {own_text}"
        )
    other = {
        step: {status: count for status, count in codes.items() if not 200 <= status < 300}
        for step, codes in measured.answers.items()
    }
    other = {step: codes for step, codes in other.items() if codes}
    if other:
        print("answers that were not 2xx:", json.dumps(other))
    print("server p50/p95: the route's own time (request log); the rest of the client's is queueing")


if __name__ == "__main__":
    main()
