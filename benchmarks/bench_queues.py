"""The nightly queues step at scale: place and assign a book of open cases, set-based.

    .venv/bin/python benchmarks/bench_queues.py [--cases 100000] [--collectors 200]
        [--postgres URL] [--path DIR]

Builds a book straight in SQL (customers, one account each, an open case each with its account,
two teams of collectors with profiles, an active queue set of five queues with skills, capacity
and reassignment), then times, in one transaction each:

  * preview         the plan of the queue set over today's open cases, written nowhere;
  * first night     every case placed and dealt (every case moves: the worst night);
  * second night    sticky: the same book the next day (nothing should move);
  * shuffled night  after a tenth of the cases changed bucket (they change queue and are dealt).

Printed beside each lap: the cases placed and moved, and the floor: one ``UPDATE`` that touches
every open case (the cost of reading and writing the book once on this database).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text

from arrears.audit.trail import SYSTEM
from arrears.db import transaction
from arrears.db.migrate import upgrade
from arrears.queues import nightly, service

AS_OF = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
QUEUES = """
default_capacity: 100
queues:
  - code: big
    name: {zh-CN: 大额, en: Big}
    team: LATE
    rule: {balance: {min: 4000000, currency: CNY}}
  - code: m1-en
    name: {zh-CN: M1 英语, en: M1 English}
    team: EARLY
    rule: {buckets: [M1], languages: [en]}
  - code: m1
    name: {zh-CN: M1, en: M1}
    team: EARLY
    rule: {buckets: [M1]}
    assignment: {reassign_after_days: 14}
  - code: m2
    name: {zh-CN: M2, en: M2}
    team: LATE
    rule: {buckets: [M2]}
  - code: rest
    name: {zh-CN: 其他, en: Rest}
    team: LATE
"""


def build(engine: Engine, cases: int, collectors: int) -> None:
    numbers = "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < :count) "
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (customer_id, name, language, country) "
                + numbers
                + "SELECT 'Q' || k, 'c' || k, CASE WHEN k % 10 = 0 THEN 'en' ELSE 'zh-CN' END, 'CN' FROM n"
            ),
            {"count": cases},
        )
        connection.execute(
            text(
                "INSERT INTO accounts (account_id, customer_id, product, currency, opened_on, status) "
                + numbers
                + "SELECT 'A' || k, 'Q' || k,"
                " CASE WHEN k % 3 = 0 THEN 'credit_card' ELSE 'personal_loan' END,"
                " 'CNY', :opened, 'active' FROM n"
            ),
            {"count": cases, "opened": date(2025, 1, 1)},
        )
        connection.execute(
            text(
                "INSERT INTO cases (case_id, customer_id, status, opened_on, worst_dpd, bucket,"
                " overdue_total, currency, account_count, broken_promises, updated_on) "
                + numbers
                + "SELECT 'C' || k, 'Q' || k, 'open', :opened, 1 + k % 120,"
                " CASE WHEN k % 120 < 30 THEN 'M1' WHEN k % 120 < 60 THEN 'M2' ELSE 'M3' END,"
                " (k * 7919) % 5000000, 'CNY', 1, 0, :opened FROM n"
            ),
            {"count": cases, "opened": AS_OF},
        )
        connection.execute(
            text(
                "INSERT INTO case_accounts (case_id, account_id, joined_on, delinquent, dpd, bucket,"
                " overdue_amount, currency, account_status) "
                "SELECT c.case_id, 'A' || substr(c.case_id, 2), c.opened_on, true, c.worst_dpd, c.bucket,"
                " c.overdue_total, 'CNY', 'active' FROM cases c"
            )
        )
        staff(connection, collectors, 2 * cases // collectors)
    activate(engine, NOW)


def staff(connection: Connection, collectors: int, capacity: int, now: datetime = NOW) -> None:
    """Two teams (EARLY, LATE) and their ``collectors``, each with a profile (one in ten speaks
    English) and room for ``capacity`` open cases."""
    for code in ("EARLY", "LATE"):
        connection.execute(
            text("INSERT INTO teams (code, name, created_at) VALUES (:code, :code, :at)"),
            {"code": code, "at": now},
        )
    for k in range(collectors):
        team = "EARLY" if k % 2 else "LATE"
        user_id = connection.execute(
            text(
                "INSERT INTO users (username, role, is_machine, team_id, active, created_at) "
                "SELECT :name, 'collector', false, id, true, :at FROM teams WHERE code = :team"
                " RETURNING id"
            ),
            {"name": f"k{k}", "team": team, "at": now},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO collector_profiles"
                " (user_id, languages, products, capacity, updated_at, version)"
                " VALUES (:id, :languages, '[]', :capacity, :at, 1)"
            ),
            {
                "id": user_id,
                "languages": '["en"]' if k % 10 == 1 else "[]",
                "capacity": capacity,
                "at": now,
            },
        )


def activate(engine: Engine, now: datetime, document: str = QUEUES) -> None:
    """The queue set ``document`` drafted and made active."""
    with transaction(engine) as session:
        row = service.draft(session, SYSTEM, document, "bench", note=None, now=now)
        service.activate(session, SYSTEM, row.number, expected=None, now=now)


def lap(label: str, work: object) -> None:
    started = time.perf_counter()
    result = work() if callable(work) else None
    print(f"  {label:<16} {time.perf_counter() - started:8.2f} s   {result or ''}")


def night(engine: Engine, as_of: date) -> str:
    with engine.begin() as connection:
        outcome = nightly.assign_book(connection, as_of, NOW + (as_of - AS_OF))
    return outcome.note()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--collectors", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL URL (its public schema is replaced)")
    parser.add_argument("--path", type=Path, help="where the SQLite file goes")
    args = parser.parse_args()
    if args.postgres:
        engine = create_engine(args.postgres)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        folder = args.path or Path(tempfile.mkdtemp(prefix="bench-queues-"))
        engine = create_engine(f"sqlite:///{folder / 'queues.db'}")
    upgrade(engine)
    started = time.perf_counter()
    build(engine, args.cases, args.collectors)
    print(
        f"{engine.dialect.name}: {args.cases:,} open cases, {args.collectors} collectors, "
        f"built in {time.perf_counter() - started:.1f} s"
    )

    def floor() -> str:
        with engine.begin() as connection:
            connection.execute(text("UPDATE cases SET updated_on = updated_on WHERE status = 'open'"))
        return "one UPDATE over every open case"

    def preview() -> str:
        with transaction(engine) as session:
            plan = service.preview(session, SYSTEM, 1, AS_OF)
        return f"{sum(plan.cases.values()):,} placed, {plan.collector_moves:,} would move"

    lap("floor", floor)
    lap("preview", preview)
    lap("first night", lambda: night(engine, AS_OF))
    lap("second night", lambda: night(engine, AS_OF + timedelta(1)))
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE cases SET bucket = 'M2', worst_dpd = 45"
                " WHERE bucket = 'M1' AND overdue_total % 10 = 3"
            )
        )
    lap("shuffled night", lambda: night(engine, AS_OF + timedelta(2)))


if __name__ == "__main__":
    main()
