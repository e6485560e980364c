"""The queue priorities of a night as the scores' history grows: ``next_case.refresh_priorities`` as
shipped (each account's latest score asked of the scores' index) against every score kept ranked
per account (the expected recovery as written before session 18, kept here as the peer), side
by side on the same book and history.

    .venv/bin/python benchmarks/bench_nightly.py --accounts 1000000 --keep-after-feed --orm-sample 0
    .venv/bin/python benchmarks/bench_priorities.py --accounts 1000000 --nights 0 7 30

Works on a copy of what ``--keep-after-feed`` kept (SQLite), its cases queued as the night before
left them: for each ``--nights`` K every open case's account gets a score for each
of the K nights before (the batch scores every open case's account every night), and both
ways refresh the priorities in a transaction rolled back, best of ``--repeat``. Printed: the
scores kept, each way's seconds, and whether both gave every case the same expected recovery
(the peer writes it alone; the shipped statement the levels as well).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import bench_nightly as bench
from sqlalchemy import Connection, func, select, text

from arrears.queues import next_case
from arrears.queues.models import CaseQueue

RANKED_SQL = """
UPDATE case_queues SET priority_level = 0, priority_value = COALESCE(e.value, 0)
FROM (
    SELECT ca.case_id AS case_id, SUM(ca.overdue_amount * COALESCE(s.bp, :default_bp) / 10000) AS value
    FROM case_accounts ca
    JOIN cases cc ON cc.case_id = ca.case_id AND cc.status = 'open' AND ca.currency = cc.currency
    LEFT JOIN (
        SELECT ranked.account_id AS account_id, ranked.bp AS bp FROM (
            SELECT s.account_id AS account_id, CAST(ROUND(s.probability * 10000) AS BIGINT) AS bp,
                ROW_NUMBER() OVER (PARTITION BY s.account_id ORDER BY s.as_of DESC, s.id DESC) AS n
            FROM account_scores s
            JOIN case_accounts sa ON sa.account_id = s.account_id
            JOIN cases sc ON sc.case_id = sa.case_id AND sc.status = 'open'
            WHERE s.as_of <= :as_of
        ) ranked WHERE ranked.n = 1
    ) s ON s.account_id = ca.account_id
    GROUP BY ca.case_id
) e
WHERE case_queues.case_id = e.case_id
"""
SCORES_SQL = """
INSERT INTO account_scores (account_id, case_id, as_of, model_version_id, score, probability, band, reasons)
SELECT ca.account_id, ca.case_id, :day, :model, 600, (abs(random()) % 1000) / 1000.0, 'C', '[]'
FROM case_accounts ca JOIN cases c ON c.case_id = ca.case_id AND c.status = 'open'
"""

MODEL_SQL = """
INSERT INTO model_versions (purpose, version, kind, training_source, features, parameters, metrics,
    data_checksum, code_version, artifact_sha256, is_active, created_at, created_by)
VALUES ('cure', 999, 'scorecard', 'bench', '[]', '{}', '{}', :zeros, 'bench', :zeros, 0,
    '2026-11-01 00:00:00.000000', 'bench')
"""


def ranked(connection: Connection, as_of: date) -> None:
    connection.execute(text(RANKED_SQL), {"as_of": as_of, "default_bp": next_case.DEFAULT_PROBABILITY_BP})


def timed(
    connection: Connection, refresh: Callable[[Connection, date], object], as_of: date, repeat: int
) -> tuple[float, dict[str, Any]]:
    best = float("inf")
    values: dict[str, Any] = {}
    for _ in range(repeat):
        with connection.begin_nested() as attempt:
            started = time.perf_counter()
            refresh(connection, as_of)
            best = min(best, time.perf_counter() - started)
            values = dict(connection.execute(select(CaseQueue.case_id, CaseQueue.priority_value)).all())
            attempt.rollback()
    return best, values


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--nights", type=int, nargs="+", default=[0, 7, 30])
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    bench.put_back_kept(options.accounts, None)
    database = bench.database_for(bench.folder_for(options.accounts, None), None)
    as_of = bench.NEXT_NIGHT
    with database.connect() as connection, connection.begin():
        queued = connection.execute(select(func.count()).select_from(CaseQueue)).scalar_one()
        model = connection.execute(text(MODEL_SQL + " RETURNING id"), {"zeros": "0" * 64}).scalar_one()
        kept = 0
        print(f"{options.accounts:,} accounts; {queued:,} cases queued (as the night before left them)")
        for nights in sorted(options.nights):
            while kept < nights:
                kept += 1
                connection.execute(text(SCORES_SQL), {"day": as_of - timedelta(days=kept), "model": model})
            scores = connection.execute(text("SELECT count(*) FROM account_scores")).scalar_one()
            asked, by_index = timed(connection, next_case.refresh_priorities, as_of, options.repeat)
            every, by_rank = timed(connection, ranked, as_of, options.repeat)
            print(
                f"  {nights:3d} nights of scores ({scores:,} kept): latest asked per account "
                f"{asked:6.2f} s; every score ranked (peer) {every:6.2f} s; "
                f"same priorities: {by_index == by_rank}"
            )
    database.dispose()


if __name__ == "__main__":
    main()
