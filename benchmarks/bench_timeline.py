"""The case timeline on a long case in a big book: the cost of a page, first and deep.

    .venv/bin/python benchmarks/bench_timeline.py [--cases 20000] [--per-case 10]
        [--contacts 5000] [--payments 2000] [--assignments 300] [--pages 20] [--postgres URL]

Builds, in a fresh SQLite file (or a fresh PostgreSQL schema), ``--cases`` cases with
``--per-case`` contacts, payments and assignments each (the tables the timeline reads are big),
and one long case with ``--contacts`` contacts, ``--payments`` payments and ``--assignments``
assignments, then reads its timeline through the service (the route's work without HTTP): the
first page, and ``--pages`` pages of 50 following the cursors; then the case page's first 20
entries of 200 ordinary cases, with the SQL statements a page costs. Printed: the median and the
worst page, per database.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

from arrears.auth.models import Team, User
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.cases.models import Case, CaseAccount, CaseAssignment
from arrears.contacts.models import Contact
from arrears.db import make_engine, transaction
from arrears.db.migrate import upgrade
from arrears.portfolio.models import Account, ContactPoint, Customer, Payment
from arrears.timeline import service

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 21)
ZONE = "Asia/Shanghai"
LONG = "LONG"


def build(engine: Engine, cases: int, per_case: int, long: dict[str, int]) -> None:
    with engine.begin() as c:
        c.execute(insert(Team), [{"id": 1, "code": "T1", "name": "T1", "created_at": NOW}])
        c.execute(
            insert(User),
            [
                {
                    "id": 1,
                    "username": "c1",
                    "role": "collector",
                    "created_at": NOW,
                    "active": True,
                    "team_id": 1,
                }
            ],
        )
    ids = [f"K{n:07d}" for n in range(cases)] + [LONG]
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        with engine.begin() as c:
            c.execute(insert(Customer), [{"customer_id": i, "name": i, "timezone": ZONE} for i in chunk])
            c.execute(
                insert(ContactPoint),
                [
                    {"customer_id": i, "type": "mobile", "value": "+8613812345678", "party": "debtor"}
                    for i in chunk
                ],
            )
            c.execute(
                insert(Account),
                [
                    {
                        "account_id": f"A-{i}",
                        "customer_id": i,
                        "product": "personal_loan",
                        "currency": "CNY",
                        "opened_on": date(2025, 1, 1),
                        "status": "active",
                    }
                    for i in chunk
                ],
            )
            c.execute(insert(Case), [_case(i) for i in chunk])
            c.execute(insert(CaseAccount), [_case_account(i) for i in chunk])
            c.execute(
                insert(CaseAssignment),
                [row for i in chunk for row in _assignments(i, _n(i, "assignments", long, per_case))],
            )
            c.execute(
                insert(Contact),
                [row for i in chunk for row in _contacts(i, _n(i, "contacts", long, per_case))],
            )
            c.execute(
                insert(Payment),
                [row for i in chunk for row in _payments(i, _n(i, "payments", long, per_case))],
            )


def _n(case: str, what: str, long: dict[str, int], per_case: int) -> int:
    return long[what] if case == LONG else per_case


def _case(i: str) -> dict[str, Any]:
    return {
        "case_id": f"C-{i}",
        "customer_id": i,
        "status": "open",
        "opened_on": date(2025, 6, 1),
        "worst_dpd": 45,
        "bucket": "M2",
        "overdue_total": 100000,
        "currency": "CNY",
        "account_count": 1,
        "updated_on": TODAY,
    }


def _case_account(i: str) -> dict[str, Any]:
    return {
        "case_id": f"C-{i}",
        "account_id": f"A-{i}",
        "joined_on": date(2025, 6, 1),
        "delinquent": True,
        "dpd": 45,
        "bucket": "M2",
        "overdue_amount": 100000,
        "currency": "CNY",
        "account_status": "active",
    }


def _assignments(i: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "case_id": f"C-{i}",
            "team_id": 1,
            "collector_id": 1,
            "assigned_at": NOW - timedelta(hours=n - k),
            "reason": "bench",
            "ended_at": None if k == n - 1 else NOW - timedelta(hours=n - k - 1),
        }
        for k in range(n)
    ]


def _contacts(i: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "case_id": f"C-{i}",
            "customer_id": i,
            "channel": "call",
            "direction": "outbound",
            "party": "debtor",
            "started_at": NOW - timedelta(minutes=7 * k + 3),
            "started_on": (NOW - timedelta(minutes=7 * k + 3)).date(),
            "disposition": "no_answer",
            "note_flags": [],
            "violations": [],
            "after_the_fact": False,
            "review_status": "none",
            "source": "collector",
            "recorded_at": NOW - timedelta(minutes=7 * k + 3),
        }
        for k in range(n)
    ]


def _payments(i: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": f"P-{i}-{k:06d}",
            "account_id": f"A-{i}",
            "paid_on": TODAY - timedelta(days=k % 500),
            "currency": "CNY",
            "amount": 100 + k,
        }
        for k in range(n)
    ]


PRINCIPAL = Principal(user_id=1, username="analyst", role=Role.STRATEGY_ANALYST)


def _page(session: Any, customer: str, after: Any, limit: int) -> list[Any]:
    entries, _ = service.timeline(
        session,
        PRINCIPAL,
        f"C-{customer}",
        after=after,
        limit=limit,
        today=TODAY,
        now=NOW,
        bank_zone=ZONE,
        language="zh-CN",
    )
    return entries


def pages(engine: Engine, count: int) -> list[float]:
    """``count`` pages of 50 of the long case, each following the last one's cursor."""
    laps, after = [], None
    for _ in range(count):
        with transaction(engine) as session:
            started = time.perf_counter()
            entries = _page(session, LONG, after, 51)
            laps.append(time.perf_counter() - started)
            after = entries[49].key
    return laps


def first_pages(engine: Engine, cases: int) -> tuple[list[float], float]:
    """The case page's first 20 entries of ``cases`` ordinary cases, and the SQL statements a page
    costs (its look's audit entry included)."""
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    laps = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for n in range(cases):
            with transaction(engine) as session:
                started = time.perf_counter()
                _page(session, f"K{n:07d}", None, 20)
                laps.append(time.perf_counter() - started)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return laps, statements / cases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--per-case", type=int, default=10)
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--payments", type=int, default=2_000)
    parser.add_argument("--assignments", type=int, default=300)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument(
        "--postgres", default=None, help="a PostgreSQL URL: a fresh schema there, dropped after"
    )
    args = parser.parse_args()
    long = {"contacts": args.contacts, "payments": args.payments, "assignments": args.assignments}
    with tempfile.TemporaryDirectory() as directory:
        schema = None
        if args.postgres:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with make_engine(args.postgres).begin() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine = make_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
        else:
            engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            upgrade(engine)
            started = time.perf_counter()
            build(engine, args.cases, args.per_case, long)
            built = time.perf_counter() - started
            print(f"{engine.dialect.name}: {args.cases + 1} cases built in {built:.0f} s")
            laps = pages(engine, args.pages)
            ms = [lap * 1000 for lap in laps]
            print(
                f"timeline of a case with {sum(long.values())} entries: first page {ms[0]:.1f} ms, "
                f"median {statistics.median(ms):.1f} ms, worst {max(ms):.1f} ms over {len(ms)} pages of 50"
            )
            short, statements = first_pages(engine, 200)
            ms = [lap * 1000 for lap in short]
            print(
                f"first page (20 entries) of 200 cases with {3 * args.per_case} entries each: "
                f"median {statistics.median(ms):.1f} ms, p95 {statistics.quantiles(ms, n=20)[-1]:.1f} ms, "
                f"{statements:.0f} SQL statements a page"
            )
        finally:
            engine.dispose()
            if schema is not None:
                with make_engine(args.postgres).begin() as c:
                    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
