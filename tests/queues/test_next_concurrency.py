"""Many collectors asking for their next case at once, over real HTTP: no case is handed to two of
them, and no lease is lost (each one's live lease is the case it was last given).

On PostgreSQL: 20 clients, 600 calls in all, over more cases than calls, all in one team's pool
(every collector competes for the same top cases). On SQLite, a smaller run of the same."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select, text

from arrears.cases.models import CaseAssignment
from arrears.queues.models import Lease
from tests.api.conftest import Api, Person
from tests.conftest import DATABASES
from tests.queues.test_next import NEXT, Queued, add_cases, collector


@dataclass
class Run:
    person: Person
    given: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _work(api: Api, run: Run, calls: int, start: threading.Barrier) -> None:
    client = api.as_(run.person)
    start.wait()
    for n in range(calls):
        body = None if n == 0 else {"skip": True, "reason": "load test: the next one"}
        answer = client.post(NEXT, json=body)
        if answer.status_code != 200:
            run.failures.append(f"{answer.status_code} {answer.text[:200]}")
            continue
        run.given.append(answer.json())


def hammer(api: Api, *, clients: int, calls: int, cases: int) -> None:
    team = api.team("T-load")
    rng = random.Random(12)
    add_cases(
        api.engine,
        [Queued(f"{n:05d}", team, None, overdue=rng.randrange(1_000, 1_000_000)) for n in range(cases)],
    )
    if api.engine.dialect.name == "postgresql":  # a bank's tables are analysed (autovacuum); a
        # bulk load this moment old is not yet, and the planner would scan them blind. Only this
        # test's schema: a bare ANALYZE takes every schema's tables, and two tests doing so at once
        # deadlock on each other's
        with api.engine.begin() as connection:
            tables = connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).all()
            for table in tables:
                connection.execute(text(f'ANALYZE "{table}"'))
    runs = [Run(collector(api, team, f"collector-{n:02d}")) for n in range(clients)]
    start = threading.Barrier(clients)
    threads = [threading.Thread(target=_work, args=(api, run, calls // clients, start)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [failure for run in runs for failure in run.failures] == []
    handed = Counter(got["case_id"] for run in runs for got in run.given)
    assert sum(handed.values()) == calls
    assert [case_id for case_id, times in handed.items() if times > 1] == []  # never twice
    assert all(not got["repeated"] for run in runs for got in run.given)

    with api.engine.connect() as connection:
        live_rows = connection.execute(
            select(Lease.collector_id, Lease.case_id).where(Lease.released_at.is_(None))
        ).all()
        live = dict(live_rows)
        assert len(live_rows) == len(live) == clients  # one live lease each
        current = dict(
            connection.execute(
                select(CaseAssignment.case_id, CaseAssignment.collector_id).where(
                    CaseAssignment.case_id.in_(list(handed)), CaseAssignment.ended_at.is_(None)
                )
            ).all()
        )
    for run in runs:
        last = run.given[-1]["case_id"]
        assert live[run.person.user_id] == last  # no lease lost
        again = api.as_(run.person).post(NEXT).json()
        assert (again["case_id"], again["repeated"]) == (last, True)
        for got in run.given:
            assert current[got["case_id"]] == run.person.user_id  # taken from the pool: theirs now


@pytest.mark.slow
@pytest.mark.parametrize("database_kind", [DATABASES[1]], indirect=True)
def test_twenty_collectors_six_hundred_calls_postgresql(api: Api) -> None:
    """30 calls each (2,000 took 200 s of the suite; the contention is the same 20 at once)."""
    hammer(api, clients=20, calls=600, cases=800)


@pytest.mark.slow
@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)
def test_five_collectors_on_sqlite(api: Api) -> None:
    hammer(api, clients=5, calls=200, cases=260)
