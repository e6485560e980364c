"""How long asking for a portal code and checking one take for an account that is ours and for
one that is not (the difference is what an attacker timing the sign-in would see), on SQLite
(and on PostgreSQL with --postgres URL). Each call is one transaction, committed, like a request.

    python benchmarks/bench_portal_codes.py --rounds 400
    python benchmarks/bench_portal_codes.py --rounds 400 --postgres postgresql://postgres@127.0.0.1/test

Requests alternate between the two accounts, each 13 minutes after the last in the clock's eyes
(under the hourly limit), from a new client address each time. Then the same through the route
(POST /portal/sign-in, in process), without and with the answer's floor
(``ARREARS_PORTAL_CODE_ANSWER_MS``): what a client timing the sign-in sees.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402

from arrears.channels import portal_codes  # noqa: E402
from arrears.db import make_engine, transaction  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.portfolio.models import Account, ContactPoint, Customer  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123456789"
START = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def _seed(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(Customer).values(customer_id="C1", name="王小明", language="zh-CN"))
        connection.execute(
            insert(ContactPoint).values(
                customer_id="C1", type="mobile", value="+8613812345678", party="debtor"
            )
        )
        connection.execute(
            insert(Account).values(
                account_id="A-1",
                customer_id="C1",
                product="credit_card",
                currency="CNY",
                opened_on=date(2024, 1, 1),
            )
        )


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    with contextlib.suppress(portal_codes.CodeRefusedError):
        work()
    return (time.perf_counter() - began) * 1000


def run(engine: Engine, rounds: int) -> None:
    upgrade(engine)
    _seed(engine)
    times: dict[str, list[float]] = {
        "ask ours": [],
        "ask not ours": [],
        "check ours": [],
        "check not ours": [],
    }
    for n in range(rounds):
        at = START + timedelta(minutes=13 * n)
        for name, account in (("ours", "A-1"), ("not ours", "A-NOBODY")):

            def ask(account: str = account, n: int = n, at: datetime = at) -> object:
                with transaction(engine) as session:
                    return portal_codes.request_code(
                        session, account, now=at, secret=SECRET, client=f"c{n}-{account}", language="en"
                    )

            def check(account: str = account, at: datetime = at) -> object:
                with transaction(engine) as session:
                    return portal_codes.check_code(session, account, "000000", now=at, secret=SECRET)

            times[f"ask {name}"].append(_timed(ask))
            times[f"check {name}"].append(_timed(check))
    print(f"{engine.dialect.name}, {rounds} rounds (ms per call: median, p90)")
    for name, measured in times.items():
        kept = measured[rounds // 10 :]  # the first tenth warms up
        p90 = statistics.quantiles(kept, n=10)[-1]
        print(f"  {name:15} {statistics.median(kept):7.2f} {p90:7.2f}")


def through_the_route(engine: Engine, rounds: int, floor_ms: int) -> None:
    from fastapi.testclient import TestClient

    from arrears.api.app import create_app
    from arrears.clock import FixedClock
    from arrears.config import load_settings

    clock = FixedClock(START + timedelta(days=30 + floor_ms))  # after every earlier run
    url = engine.url.render_as_string(hide_password=False)
    settings = load_settings(
        database_url=url, language="en", portal_code_answer_ms=floor_ms, session_cookie_secure=False
    )
    times: dict[str, list[float]] = {"ours": [], "not ours": []}
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        client.get("/portal/sign-in")
        token = client.cookies.get("arrears_form") or ""
        for _ in range(rounds):
            clock.advance(timedelta(minutes=13))
            for name, account in (("ours", "A-1"), ("not ours", "A-NOBODY")):
                began = time.perf_counter()
                answer = client.post(
                    "/portal/sign-in",
                    data={"account": account, "form_token": token},
                    follow_redirects=False,
                )
                times[name].append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 303, answer.text
    print(f"  POST /portal/sign-in, floor {floor_ms} ms (median, p90, max)")
    for name, measured in times.items():
        kept = measured[rounds // 10 :]
        p90 = statistics.quantiles(kept, n=10)[-1]
        print(f"    {name:13} {statistics.median(kept):7.2f} {p90:7.2f} {max(kept):7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--postgres", help="a PostgreSQL URL: run there too (a schema of its own)")
    parser.add_argument("--floor", type=int, default=400, help="the answer's floor in ms (the default's)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        run(engine, options.rounds)
        for floor in (0, options.floor):
            through_the_route(engine, options.rounds // 4, floor)
        engine.dispose()
    if options.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(options.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(options.postgres, connect_args={"options": f"-csearch_path={schema}"})
        try:
            run(engine, options.rounds)
            for floor in (0, options.floor):
                through_the_route(engine, options.rounds // 4, floor)
        finally:
            engine.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
