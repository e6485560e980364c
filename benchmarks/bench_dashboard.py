"""The supervisor's dashboard over a million accounts (issue #14 §3): under a second of server time.

    .venv/bin/python benchmarks/bench_dashboard.py --postgres postgresql://postgres@127.0.0.1:5432/test
        [--accounts 1000000] [--days 90] [--renders 20] [--keep] [--schema bench_dashboard_…]

Builds a book in a fresh PostgreSQL schema of its own, straight in SQL: accounts (a third credit
cards), three snapshot ranges an account over ``--days`` daily snapshot dates (an account changes
bucket twice), a payment an account; the casework over twice the period (cases for 3 accounts in
10, ten batch events a case, promises, the open cases queued in 20 teams, 30 outbound contacts a
day per 1,000 accounts by 200 collectors). Payments and contacts are stored in the order of their
days, as they arrive. Then writes the dashboard's daily totals of the 13 snapshot dates the bucket
chart shows (arrears.reports.totals, the night's step: its time is printed) and the payments' and
contacts' totals, leaves today's payments and contacts and three earlier noted days to be read
live, and times, beside a floor (``SELECT 1`` in a session), the figures' queries before the totals (counted
from the ranges) and after (read from the totals), and the whole dashboard's service call
(``arrears.reports.dashboard.dashboard``: every figure, as the page renders it), p50 and p95 of
``--renders`` calls, and each section of the page alone (the service asked for one figure). The
schema is dropped afterwards (unless ``--keep``); ``--schema`` times a kept one again, without
building it.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.contacts.dispositions import dispositions
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.delinquency.rules import DelinquencyRules
from arrears.reports import dashboard, repository, totals
from arrears.reports.dashboard import Filters

RULES = DelinquencyRules()
LAST = date(2026, 11, 30)

# The bucket chart's query before the totals: a pass over the ranges' changes.
OLD_BUCKETS_SQL = """
WITH changes AS (
    SELECT valid_from AS day, bucket_rank, bucket, currency,
           COUNT(*) AS accounts, SUM(outstanding_amount) AS outstanding
    FROM delinquency_ranges WHERE valid_from <= :last
    GROUP BY valid_from, bucket_rank, bucket, currency
    UNION ALL
    SELECT valid_to, bucket_rank, bucket, currency, -COUNT(*), -SUM(outstanding_amount)
    FROM delinquency_ranges WHERE valid_to <= :last
    GROUP BY valid_to, bucket_rank, bucket, currency
)
SELECT s.as_of, c.bucket, c.currency, SUM(c.accounts), SUM(c.outstanding)
FROM snapshot_dates s JOIN changes c ON c.day <= s.as_of
WHERE s.as_of IN :dates
GROUP BY s.as_of, c.bucket_rank, c.bucket, c.currency
HAVING SUM(c.accounts) <> 0
"""

# The collections figure's query before the totals: a pass over the period's payments.
OLD_COLLECTED_SQL = """
SELECT paid_on, currency, SUM(CASE WHEN reverses IS NULL THEN amount ELSE -amount END),
       SUM(CASE WHEN reverses IS NULL THEN 1 ELSE 0 END)
FROM payments WHERE paid_on >= :first AND paid_on <= :last
GROUP BY paid_on, currency ORDER BY paid_on, currency
"""


def build(engine: Any, accounts: int, days: int) -> None:
    first = LAST - timedelta(days=days - 1)
    names = list(RULES.names)
    params = {"n": accounts, "first": first, "half": days // 2}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (customer_id, name, language, country) "
                "SELECT 'Q' || k, 'c' || k, 'zh-CN', 'CN' FROM generate_series(1, :n) k"
            ),
            params,
        )
        connection.execute(
            text(
                "INSERT INTO accounts (account_id, customer_id, product, currency, opened_on, status) "
                "SELECT 'A' || k, 'Q' || k, CASE WHEN k % 3 = 0 THEN 'credit_card' ELSE 'personal_loan' END,"
                " CASE WHEN k % 50 = 0 THEN 'USD' ELSE 'CNY' END, DATE '2025-01-01', 'active'"
                " FROM generate_series(1, :n) k"
            ),
            params,
        )
        # three ranges an account: [first, c1), [c1, c2), [c2, open), c1 and c2 spread over the days
        bucket = "(ARRAY[{}])[1 + (({{expr}}) % {})]".format(", ".join(f"'{b}'" for b in names), len(names))
        connection.execute(
            text(
                "INSERT INTO delinquency_ranges (account_id, valid_from, valid_to, customer_id, currency,"
                " status, overdue_since, bucket, bucket_rank, overdue_amount, outstanding_amount, roll) "
                "SELECT 'A' || k, b.valid_from, b.valid_to, 'Q' || k,"
                " CASE WHEN k % 50 = 0 THEN 'USD' ELSE 'CNY' END, 'active', NULL,"
                f" {bucket.format(expr='b.rank')}, b.rank % {len(names)},"
                " (k::bigint * 7919 + b.part) % 500000, 1000000 + (k::bigint * 104729 + b.part) % 9000000,"
                " CASE b.part WHEN 1 THEN 'new' ELSE 'forward' END "
                "FROM generate_series(1, :n) k CROSS JOIN LATERAL (VALUES"
                " (1, :first, :first + 1 + k % :half, k % 3),"
                " (2, :first + 1 + k % :half, :first + :half + 1 + (k * 7) % :half, (k / 3) % 4),"
                " (3, :first + :half + 1 + (k * 7) % :half, NULL::date, (k / 12) % 6)"
                ") AS b(part, valid_from, valid_to, rank)"
            ),
            params,
        )
        connection.execute(
            text(
                "INSERT INTO snapshot_dates (as_of) "
                "SELECT CAST(:first AS date) + d FROM generate_series(0, :days - 1) d"
            ),
            {"first": first, "days": days},
        )
        connection.execute(
            text(
                "INSERT INTO payments (payment_id, account_id, paid_on, currency, amount) "
                "SELECT 'P' || k, 'A' || k, CAST(:first AS date) + k % :days,"
                " CASE WHEN k % 50 = 0 THEN 'USD' ELSE 'CNY' END, 100 + k % 100000"
                " FROM generate_series(1, :n) k ORDER BY k % :days"  # stored as they arrive: by day
            ),
            {"n": accounts, "first": first, "days": days},
        )
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM ANALYZE")


CASEWORK_SQL = [
    # 20 teams, 200 collectors
    "INSERT INTO teams (code, name, created_at) "
    "SELECT 'T' || t, 'Team ' || t, now() FROM generate_series(1, 20) t",
    "INSERT INTO users (username, role, is_machine, active, created_at) "
    "SELECT 'c' || u, 'collector', false, true, now() FROM generate_series(1, 200) u",
    # a case for 3 accounts in 10, 5 in 6 of them open
    "INSERT INTO cases (case_id, customer_id, status, opened_on, worst_dpd, bucket, overdue_total, currency,"
    " account_count, updated_on) "
    "SELECT 'K' || k, 'Q' || k, CASE WHEN k % 6 = 0 THEN 'closed' ELSE 'open' END,"
    " CAST(:old AS date) + k % :span, 30, 'M1', 100000, 'CNY', 1, :last "
    "FROM generate_series(1, :n) k WHERE k % 10 < 3",
    # ten batch events a case over twice the period: opened, 8 bucket changes, cured or reopened
    "INSERT INTO case_events (case_id, occurred_on, kind, as_of) "
    "SELECT 'K' || k, d, e.kind, d FROM generate_series(1, :n) k CROSS JOIN LATERAL (VALUES"
    " (0, 'opened'), (1, 'bucket_changed'), (2, 'bucket_changed'), (3, 'bucket_changed'),"
    " (4, 'bucket_changed'), (5, 'bucket_changed'), (6, 'bucket_changed'), (7, 'bucket_changed'),"
    " (8, 'bucket_changed'), (9, CASE WHEN k % 2 = 0 THEN 'cured' ELSE 'reopened' END)) AS e(i, kind)"
    " CROSS JOIN LATERAL (SELECT CAST(:old AS date) + (k * 7 + e.i * 17) % :span AS d) AS x "
    "WHERE k % 10 < 3",
    # a promise for 4 cases in 10, settled (or not) over twice the period
    "INSERT INTO promises (case_id, currency, amount, paid_amount, status, taken_at, taken_on, first_due_on,"
    " last_due_on, closed_on, version) "
    "SELECT 'K' || k, 'CNY', 50000, 0,"
    " (ARRAY['kept','partially_kept','broken','superseded','open'])[1 + k % 5],"
    " now(), CAST(:old AS date) + k % :span, CAST(:old AS date) + k % :span, CAST(:old AS date) + k % :span,"
    " CASE WHEN k % 5 = 4 THEN NULL ELSE CAST(:old AS date) + (k * 3) % :span END, 1 "
    "FROM generate_series(1, :n) k WHERE k % 10 < 3 AND k % 3 <> 0",
    # the open cases in their teams' queues
    "INSERT INTO case_queues (case_id, queue, team_id, queue_set, entered_on) "
    "SELECT case_id, 'Q' || (hashtext(case_id) & 3), 1 + (hashtext(case_id) & 1023) % 20, 1,"
    " opened_on FROM cases WHERE status = 'open'",
    # 30 outbound contacts a day per 1,000 accounts (30,000 at 1M: 200 collectors) over twice the period
    "INSERT INTO contacts (case_id, customer_id, channel, direction, party, started_at, disposition,"
    " note_flags, violations, after_the_fact, review_status, source, recorded_at, started_on, team_id,"
    " recorded_by) "
    "SELECT 'K' || k, 'Q' || k, 'phone', 'outbound', 'debtor', now(),"
    " (ARRAY['no_answer','busy','right_party_contact','promise','wrong_party','voicemail'])[1 + c % 6],"
    " '[]', '[]', false, 'none', 'collector', now(), CAST(:old AS date) + c % :span, 1 + c % 20, 1 + c % 200 "
    "FROM generate_series(1, :contacts) c CROSS JOIN LATERAL (SELECT 10 * (c % (:n / 10)) + c % 3 AS k) AS x "
    "WHERE k >= 1 ORDER BY c % :span",  # stored as they are recorded: by day
]


def build_casework(engine: Any, accounts: int, days: int) -> None:
    """Cases, their batch events, promises, queues and contacts, over twice the period (the
    dashboard reads the last half): the figures of the casework over a book of ``accounts``."""
    span = 2 * days
    params = {
        "n": accounts,
        "old": LAST - timedelta(days=span - 1),
        "span": span,
        "last": LAST,
        "contacts": accounts * 30 * span // 1000,
    }
    with engine.begin() as connection:
        for sql in CASEWORK_SQL:
            connection.execute(text(sql), params)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM ANALYZE")


def timed(label: str, work: Callable[[], object], times: int, floor: float | None = None) -> float:
    seconds = []
    result: object = None
    for _ in range(times):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    p50 = statistics.median(seconds)
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    beside = "" if floor is None else f"   (floor + {1000 * (p50 - floor):7.1f} ms)"
    print(
        f"  {label:<34} p50 {1000 * p50:9.1f} ms   p95 {1000 * p95:9.1f} ms   n={times:<3}{beside}   {result}"
    )
    return p50


def main() -> None:  # noqa: PLR0915 (a script: the laps in order)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a PostgreSQL URL (a schema of its own)")
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument(
        "--schema", help="time the book of a schema kept by an earlier run (--keep) instead of building one"
    )
    args = parser.parse_args()

    reuse = args.schema is not None
    schema = args.schema or f"bench_dashboard_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.postgres)
    if not reuse:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        started = time.perf_counter()
        if not reuse:
            build(engine, args.accounts, args.days)
        with engine.connect() as connection:
            cased = connection.execute(text("SELECT count(*) FROM cases")).scalar_one()
        if not cased:
            build_casework(engine, args.accounts, args.days)
        with engine.connect() as connection:
            ranges = connection.execute(text("SELECT count(*) FROM delinquency_ranges")).scalar_one()
            work = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events),"
                    " (SELECT count(*) FROM promises), (SELECT count(*) FROM case_queues),"
                    " (SELECT count(*) FROM contacts)"
                )
            ).one()
        print(
            f"postgresql: {args.accounts:,} accounts, {ranges:,} snapshot ranges over {args.days} days, "
            f"{args.accounts:,} payments; built in {time.perf_counter() - started:.1f} s (schema {schema})"
        )
        print(
            f"casework over {2 * args.days} days: {work[0]:,} cases, {work[1]:,} case events, "
            f"{work[2]:,} promises, {work[3]:,} queued cases, {work[4]:,} contacts"
        )
        filters = Filters(LAST - timedelta(days=dashboard.DEFAULT_DAYS - 1), LAST)
        with Session(engine) as session:
            dates = dashboard.snapshot_dates(session, filters.first, filters.last)
        shown = dashboard.thin(dates)
        print(f"the night's totals of the {len(shown)} dates the chart shows (one transaction a night):")
        night_seconds = []
        for day in [] if reuse else shown:
            started = time.perf_counter()
            with engine.begin() as connection:
                totals.write_night(connection, day) if day == shown[-1] else totals.rebuild(connection, [day])
            night_seconds.append(time.perf_counter() - started)
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("ANALYZE bucket_day_totals; ANALYZE roll_day_cells")
            rows = connection.execute(
                text("SELECT (SELECT count(*) FROM bucket_day_totals), (SELECT count(*) FROM roll_day_cells)")
            ).one()
        print(
            f"  per night: median {statistics.median(night_seconds or [0]):.1f} s, "
            f"max {max(night_seconds or [0]):.1f} s; "
            f"rows: bucket_day_totals {rows[0]:,}, roll_day_cells {rows[1]:,}"
        )
        # The payments' and contacts' totals (the night's last steps): the days up to the last night.
        # Then today as the dashboard sees it during the day: the last day's payments and contacts
        # not in the totals yet (today's), and three earlier days noted as changed (backdated
        # postings, contacts recorded after the fact).
        for table, write in (("payment", totals.write_payments), ("contact", totals.write_contacts)):
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(text(f"DELETE FROM {table}_day_totals"))
                connection.execute(text(f"DELETE FROM {table}_day_changes"))
                write(connection, shown[-1])
            seconds = time.perf_counter() - started
            print(f"  the {table}s' totals, every day to the last (from empty): {seconds:.1f} s")
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM payment_day_totals WHERE paid_on = :last"), {"last": LAST})
            connection.execute(
                text("DELETE FROM contact_day_totals WHERE started_on = :last"), {"last": LAST}
            )
            connection.execute(
                text("INSERT INTO contact_day_changes (started_on) VALUES (:a), (:b), (:c)"),
                {
                    "a": LAST - timedelta(days=1),
                    "b": LAST - timedelta(days=10),
                    "c": LAST - timedelta(days=40),
                },
            )
            connection.execute(
                text("INSERT INTO payment_day_changes (paid_on) VALUES (:a), (:b), (:c)"),
                {
                    "a": LAST - timedelta(days=1),
                    "b": LAST - timedelta(days=10),
                    "c": LAST - timedelta(days=40),
                },
            )
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql(
                "ANALYZE payment_day_totals; ANALYZE payment_day_changes;"
                " ANALYZE contact_day_totals; ANALYZE contact_day_changes"
            )
            live = connection.execute(
                text(
                    "SELECT count(*) FROM payments WHERE paid_on = :last OR paid_on IN "
                    "(SELECT paid_on FROM payment_day_changes)"
                ),
                {"last": LAST},
            ).scalar_one()
            stored_rows = connection.execute(text("SELECT count(*) FROM payment_day_totals")).scalar_one()
            live_contacts = connection.execute(
                text(
                    "SELECT count(*) FROM contacts WHERE started_on = :last OR started_on IN "
                    "(SELECT started_on FROM contact_day_changes)"
                ),
                {"last": LAST},
            ).scalar_one()
            contact_rows = connection.execute(text("SELECT count(*) FROM contact_day_totals")).scalar_one()
        print(
            f"  payment_day_totals {stored_rows:,} rows; read live: today and 3 noted days, {live:,} payments"
        )
        print(
            f"  contact_day_totals {contact_rows:,} rows; read live: today and 3 noted days, "
            f"{live_contacts:,} contacts"
        )
        principal = Principal(user_id=1, username="bench", role=Role.ADMINISTRATOR)
        codes = dispositions()
        session = Session(engine)

        def floor() -> str:
            session.execute(text("SELECT 1")).scalar_one()
            return "SELECT 1"

        def old_buckets() -> str:
            query = text(OLD_BUCKETS_SQL).bindparams(bindparam("dates", expanding=True))
            rows = session.execute(query, {"last": shown[-1], "dates": shown}).all()
            return f"{len(rows)} rows"

        def new_buckets() -> str:
            return f"{len(dashboard.bucket_points(session, shown, None))} rows"

        def new_buckets_product() -> str:
            return f"{len(dashboard.bucket_points(session, shown, 'credit_card'))} rows"

        def old_roll() -> str:
            cells = repository.roll_cells(session.connection(), dates[0], dates[-1])
            return f"{sum(c[2] for c in cells):,} accounts"

        def new_roll() -> str:
            matrix = dashboard.roll_between(session, dates[0], dates[-1], RULES, None)
            return f"{sum(matrix.cells.values()):,} accounts"

        def old_collected() -> list[tuple[Any, ...]]:
            rows = session.execute(text(OLD_COLLECTED_SQL), {"first": filters.first, "last": filters.last})
            return [tuple(row) for row in rows]

        def old_collected_product() -> str:
            sql = OLD_COLLECTED_SQL.replace(
                "WHERE",
                "WHERE account_id IN (SELECT account_id FROM accounts WHERE product = 'credit_card') AND",
            )
            rows = session.execute(text(sql), {"first": filters.first, "last": filters.last}).all()
            return f"{len(rows)} rows"

        def new_collected() -> list[tuple[Any, ...]]:
            days = dashboard.collected(session, filters.first, filters.last, None)
            return [(d.day, d.currency, d.amount, d.payments) for d in days]

        def new_collected_product() -> str:
            return f"{len(dashboard.collected(session, filters.first, filters.last, 'credit_card'))} rows"

        def whole() -> str:
            dash = dashboard.dashboard(session, principal, codes, RULES, filters, today=LAST)
            return f"{len(dash.buckets)} bucket points, {len(dash.collected)} days collected"

        print(f"server time (p50/p95), beside the floor; {args.renders} calls each, 3 for the old queries:")
        base = timed("floor: SELECT 1", floor, args.renders)
        timed("buckets before: from the ranges", old_buckets, 3, base)
        timed("buckets: from the totals", new_buckets, args.renders, base)
        timed("buckets, one product", new_buckets_product, args.renders, base)
        timed("roll rates before: ranges' join", old_roll, 3, base)
        timed("roll rates: from the roll cells", new_roll, args.renders, base)
        assert old_roll() == new_roll(), "the roll cells differ from the ranges' count"
        timed("collected before: the payments", lambda: f"{len(old_collected())} rows", 3, base)
        timed("collected: totals + today's", lambda: f"{len(new_collected())} rows", args.renders, base)
        timed("collected before, one product", old_collected_product, 3, base)
        timed("collected, one product", new_collected_product, args.renders, base)
        assert old_collected() == new_collected(), "the payments' totals differ from the payments' count"
        timed("the whole dashboard (service)", whole, args.renders, base)
        print("the dashboard's sections, one at a time (the service with that figure only):")
        for figure in dashboard.FIGURES:

            def section(figure: str = figure) -> str:
                dashboard.dashboard(session, principal, codes, RULES, filters, today=LAST, figures=(figure,))
                return figure

            timed(f"section {figure}", section, args.renders, base)
        session.close()
    finally:
        engine.dispose()
        if not args.keep and not reuse:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
