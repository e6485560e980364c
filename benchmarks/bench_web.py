"""The web pages under load: 100k open cases on PostgreSQL, real HTTP on loopback, signed-in browsers.

    .venv/bin/python benchmarks/bench_web.py [--open-cases 100000] [--collectors 8] [--supervisors 2]
        [--seconds 30] [--warmup 5] [--workers 1] [--rate R] [--postgres URL] [--keep] [--reuse SCHEMA]

Builds a book in a fresh PostgreSQL schema with bench_api's builder (customers with a mobile each,
two accounts a customer, open cases, scores, 10 teams of 5 collectors and a supervisor each, every
case assigned, 10% to a team's pool), puts every case in its team's queue (bench_casework's
``queue_the_book``) under an active queue set, gives the people a password, starts
``arrears serve --workers N`` on a loopback port, and signs each client in through the sign-in
form (``POST /sign-in`` with its form token: a web session cookie, as a browser). Then, for the
given seconds:

  * collectors   my work    GET /                   (queues with their counts, my day)
                 case page  GET /cases/{id}         (one of the collector's own cases)
  * supervisors  dashboard  GET /dashboard          (their teams' figures)
  * everyone     floor      GET /api/v1/auth/me     (signed in, one row by key: the floor)

The floor runs in the same mix and the same sessions, so it sees the same load. Printed per page
and for the floor: n, p50/p95/p99 as the client saw them and p50/p95 of the server's own time (its
request log: the rest is queueing and the network), each page's p95 over the floor's; then the
case page's weight: its HTML and the assets it links (CSS, JS), as sent and gzip-compressed (the
server sends them uncompressed; a proxy in front may compress), against the aim of 300 KB.
With --rate the clients offer that many requests a second in all (latency below saturation);
without it each asks again as soon as answered (saturation).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import (  # noqa: E402
    BUCKETS,
    Measured,
    ask_in_turn,
    assigned,
    bench_database,
    build_book,
    database_options,
    percentile,
    rate_option,
    served,
)
from bench_casework import queue_the_book, server_durations  # noqa: E402
from bench_queues import activate  # noqa: E402

from arrears.auth import passwords  # noqa: E402
from arrears.auth.models import Team, TeamLeader, User  # noqa: E402
from arrears.auth.permissions import Role  # noqa: E402
from arrears.db import transaction  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402

PASSWORD = "bench-web-Pa55word-长城"
ROUTES = {
    "my work": ("get", "/"),
    "case page": ("get", "/cases/{case_id}"),
    "dashboard": ("get", "/dashboard"),
    "floor": ("get", "/api/v1/auth/me"),
}
COLLECTOR_MIX = {"my work": 1, "case page": 3, "floor": 1}
SUPERVISOR_MIX = {"dashboard": 1, "floor": 1}
AIM_BYTES = 300 * 1024
"""The issue's aim for the case page with its assets."""
_HIDDEN = re.compile(r'<input type="hidden" name="form_token" value="(?P<value>[^"]*)">')
_ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="(?P<url>/static/[^"]+)"')


@dataclass
class Person:
    username: str
    cases: list[str]
    """Their own open cases (a collector's), none for a supervisor."""


def queue_document(team_codes: list[str]) -> str:
    """A queue set with a queue per bucket (the codes ``queue_the_book`` files the cases under,
    lower-cased), each worked by one of the teams in turn."""
    lines = ["default_capacity: 100000", "queues:"]
    for k, (_, bucket) in enumerate(BUCKETS):
        code = queue_code(bucket)
        lines += [
            f"  - code: {code}",
            f"    name: {{zh-CN: {bucket} 队列, en: {bucket} queue}}",
            f"    team: {team_codes[k % len(team_codes)]}",
            f"    rule: {{buckets: [{bucket}]}}" if k < len(BUCKETS) - 1 else "",
        ]
    return "\n".join(line for line in lines if line) + "\n"


def queue_code(bucket: str) -> str:
    return bucket.lower().replace("+", "-plus")


def queues_and_passwords(engine: Engine, fresh: bool) -> tuple[list[Person], list[Person]]:
    """On a fresh book, every case in its team's queue under an active queue set; then the
    collectors (with their cases) and the team leaders, each given PASSWORD."""
    if fresh:
        queue_the_book(engine, datetime.now(UTC).date())
        with engine.begin() as connection:
            for _, bucket in BUCKETS:
                connection.execute(
                    text("UPDATE case_queues SET queue = :code WHERE queue = :bucket"),
                    {"code": queue_code(bucket), "bucket": bucket},
                )
        with transaction(engine) as session:
            teams = list(session.execute(select(Team.code).order_by(Team.id)).scalars())
        activate(engine, datetime.now(UTC), queue_document(teams))
    hashed = passwords.hash_password(PASSWORD)
    collectors: list[Person] = []
    supervisors: list[Person] = []
    with transaction(engine) as session:
        leaders = set(session.execute(select(TeamLeader.user_id)).scalars())
        for user in session.execute(select(User).order_by(User.id)).scalars():
            if user.role == str(Role.COLLECTOR):
                user.password_hash = hashed
                collectors.append(Person(user.username, assigned(session, user.id)[0]))
            elif user.role == str(Role.SUPERVISOR) and user.id in leaders:
                user.password_hash = hashed
                supervisors.append(Person(user.username, []))
    return collectors, supervisors


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    """Through the sign-in form, as a browser: its form token, then POST /sign-in (303)."""
    form = await client.get("/sign-in")
    found = _HIDDEN.search(form.text)
    if form.status_code != 200 or found is None:
        raise SystemExit(f"no sign-in form: {form.status_code}")
    answer = await client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "next": "/", "form_token": found["value"]},
    )
    if answer.status_code != 303 or "arrears_session" not in client.cookies:
        raise SystemExit(f"{username} could not sign in: {answer.status_code}")


def browser(url: str) -> httpx.AsyncClient:
    """A client that keeps its cookies, in Chinese, and does not follow redirects."""
    return httpx.AsyncClient(base_url=url, headers={"Accept-Language": "zh-CN"}, timeout=120)


async def client_loop(
    client: httpx.AsyncClient,
    person: Person,
    mix: dict[str, int],
    until: float,
    measure_from: float,
    out: Measured,
    pace: float = 0.0,
) -> None:
    """One signed-in browser on ``mix``: a page after the other, or one every ``pace`` seconds."""
    rand = random.Random(person.username)

    async def ask(route: str) -> httpx.Response:
        if route == "case page":
            return await client.get(f"/cases/{person.cases[rand.randrange(len(person.cases))]}")
        return await client.get(ROUTES[route][1])

    await ask_in_turn(ask, mix, rand, until, measure_from, out, pace)


async def page_weight(url: str, person: Person) -> list[tuple[str, int, int]]:
    """(what, bytes as sent, bytes gzip-compressed) of the case page's HTML and each asset it links."""
    async with browser(url) as client:
        await sign_in(client, person.username)
        page = await client.get(f"/cases/{person.cases[0]}", headers={"Accept-Encoding": "identity"})
        page.raise_for_status()
        parts = [("HTML (case page)", page.content)]
        for link in dict.fromkeys(m["url"] for m in _ASSET.finditer(page.text)):
            asset = await client.get(link, headers={"Accept-Encoding": "identity"})
            asset.raise_for_status()
            parts.append((link.rsplit("/", 1)[-1], asset.content))
    return [(what, len(body), len(gzip.compress(body, 6))) for what, body in parts]


async def measure(
    url: str, clients: list[tuple[Person, dict[str, int]]], args: argparse.Namespace
) -> tuple[Measured, float]:
    """Every client signed in (before the clock: argon2 is slow on purpose), then the mix run for
    the warm-up and the measured seconds; answers what was measured and when (wall clock) it began."""
    measured = Measured()
    pace = len(clients) / args.rate if args.rate else 0.0
    browsers = [browser(url) for _ in clients]
    try:
        for client, (person, _) in zip(browsers, clients, strict=True):
            await sign_in(client, person.username)
        measure_from = time.perf_counter() + args.warmup
        until = measure_from + args.seconds
        wall_from = time.time() + args.warmup
        await asyncio.gather(
            *(
                client_loop(client, person, mix, until, measure_from, measured, pace)
                for client, (person, mix) in zip(browsers, clients, strict=True)
            )
        )
    finally:
        for client in browsers:
            await client.aclose()
    return measured, wall_from


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--collectors", type=int, default=8, help="signed-in collector clients")
    parser.add_argument("--supervisors", type=int, default=2, help="signed-in supervisor clients")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (on a busy machine uvicorn may kill a worker slow to start: 1 is safe)",
    )
    rate_option(parser)
    database_options(parser)
    args = parser.parse_args()
    # the server speaks plain HTTP on loopback: a Secure cookie would never come back
    os.environ["ARREARS_SESSION_COOKIE_SECURE"] = "false"
    with bench_database(args, "bench_web") as database:
        engine = database.engine
        build_seconds = 0.0
        if database.fresh:
            upgrade(engine)
            build_seconds = build_book(engine, 2 * args.open_cases, args.open_cases).build_seconds
        collectors, supervisors = queues_and_passwords(engine, fresh=database.fresh)
        with engine.connect() as connection:
            open_cases = connection.execute(text("SELECT count(*) FROM cases WHERE status = 'open'")).scalar()
        print(
            f"book: {open_cases:,} open cases, {len(collectors)} collectors "
            f"(~{sum(len(c.cases) for c in collectors) // max(len(collectors), 1):,} cases each), "
            f"{len(supervisors)} supervisors; built in {build_seconds:.1f} s (schema {database.schema})"
        )
        with served(database.url, args.workers) as url:
            weight = asyncio.run(page_weight(url, collectors[0]))
            clients = [(collectors[i % len(collectors)], COLLECTOR_MIX) for i in range(args.collectors)]
            clients += [(supervisors[i % len(supervisors)], SUPERVISOR_MIX) for i in range(args.supervisors)]
            measured, wall_from = asyncio.run(measure(url, clients, args))
        report(measured, args, server_durations(wall_from, ROUTES), weight)


def report(
    measured: Measured,
    args: argparse.Namespace,
    server: dict[str, list[float]],
    weight: list[tuple[str, int, int]],
) -> None:
    total = sum(len(v) for v in measured.latencies.values())
    offered = f"offered {args.rate:g} requests/s" if args.rate else "each client as fast as answered"
    print(
        f"{args.collectors} collectors + {args.supervisors} supervisors signed in, {args.workers} server "
        f"workers, {args.seconds:.0f} s measured, {offered}: {total / args.seconds:,.1f} requests/s in all"
    )
    print(
        f"{'route':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   "
        f"{'server p50':>10} {'server p95':>10}   {'p95/floor':>9} {'server p95/floor':>16}"
    )
    floor = measured.latencies.get("floor", [])
    floor_own = [v / 1000 for v in server.get("floor", [])]
    for route in ROUTES:
        values = measured.latencies.get(route, [])
        if not values:
            print(f"{route:<10} {'-':>6}")
            continue
        own = [v / 1000 for v in server.get(route, [])]
        own_text = f"{percentile(own, 50):>10.1f} {percentile(own, 95):>10.1f}" if own else f"{'-':>21}"
        ratio = f"{percentile(values, 95) / percentile(floor, 95):>8.1f}x" if floor else f"{'-':>9}"
        own_ratio = (
            f"{percentile(own, 95) / percentile(floor_own, 95):>15.1f}x"
            if own and floor_own
            else f"{'-':>16}"
        )
        print(
            f"{route:<10} {len(values):>6} {percentile(values, 50):>8.1f} {percentile(values, 95):>8.1f} "
            f"{percentile(values, 99):>8.1f}   {own_text}   {ratio} {own_ratio}"
        )
    if measured.errors:
        print("answers that were not 200:", dict(measured.errors))
    print("server p50/p95: the route's own time (request log); the rest of the client's is queueing")
    print(f"case page weight ({'as sent':>9} {'gzip':>9}):")
    for what, raw, packed in weight:
        print(f"  {what:<28} {raw / 1024:>7.1f} KB {packed / 1024:>7.1f} KB")
    raw_total, packed_total = sum(w[1] for w in weight), sum(w[2] for w in weight)
    verdict = (
        "under" if raw_total < AIM_BYTES else ("under (compressed)" if packed_total < AIM_BYTES else "over")
    )
    print(
        f"  {'total':<28} {raw_total / 1024:>7.1f} KB {packed_total / 1024:>7.1f} KB"
        f"   aim {AIM_BYTES // 1024} KB: {verdict}"
    )


if __name__ == "__main__":
    main()
