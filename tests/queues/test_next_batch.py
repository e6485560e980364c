"""The nightly batch computes next case's priorities (refresh_priorities) after the cases and the
scores, inside the date's transaction: each queued open case's expected recovery is its overdue in
its currency times the probability of paying (no score: one in two)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select

from arrears.auth.models import Team
from arrears.batch.orchestrator import run_batch
from arrears.cases.models import Case, CaseAccount
from arrears.delinquency.engines import DuckDBEngine
from arrears.queues.models import CaseQueue
from tests.scoring.own_history_book import CLOCK, LAST, RULES, backfilled_book

NEXT = LAST + timedelta(days=1)


def _expected(engine: Engine) -> dict[str, int]:
    """Half the overdue of each open case's accounts in the case's currency (no scores)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(CaseAccount.case_id, CaseAccount.overdue_amount)
            .join(Case, Case.case_id == CaseAccount.case_id)
            .where(Case.status == "open", CaseAccount.currency == Case.currency)
        ).all()
    expected: dict[str, int] = {}
    for case_id, overdue in rows:
        expected[case_id] = expected.get(case_id, 0) + overdue * 5000 // 10000
    return expected


def test_the_night_refreshes_the_priorities(engine: Engine) -> None:
    backfilled_book(engine)
    with engine.begin() as connection:
        team_id = connection.execute(
            insert(Team)
            .values(code="T1", name="T1", created_at=datetime(2024, 1, 1, tzinfo=UTC))
            .returning(Team.id)
        ).scalar_one()
        open_cases = connection.execute(
            select(Case.case_id, Case.opened_on).where(Case.status == "open")
        ).all()
        assert open_cases, "the book has open cases"
        connection.execute(
            insert(CaseQueue),
            [
                {"case_id": case_id, "queue": "all", "team_id": team_id, "queue_set": 1, "entered_on": opened}
                for case_id, opened in open_cases
            ],
        )
    steps: list[str] = []

    def stop_after_priorities(step: str) -> None:
        steps.append(step)
        if step == "queue priorities":
            raise RuntimeError("stopped after the priorities")

    duck = DuckDBEngine(memory_limit="1GB", threads=1)
    try:
        with pytest.raises(RuntimeError, match="stopped after the priorities"):
            run_batch(engine, [NEXT], duck, RULES, CLOCK, checkpoint=stop_after_priorities)
        assert steps[-2:] == ["queues assigned", "queue priorities"]
        assert steps.index("promises evaluated") < steps.index("queue priorities")
        with engine.connect() as connection:  # the priorities went with the date's transaction
            assert set(connection.execute(select(CaseQueue.priority_value)).scalars()) == {0}
        run_batch(engine, [NEXT], duck, RULES, CLOCK)
    finally:
        duck.close()
    expected = _expected(engine)
    with engine.connect() as connection:
        found = dict(
            connection.execute(
                select(CaseQueue.case_id, CaseQueue.priority_value)
                .join(Case, Case.case_id == CaseQueue.case_id)
                .where(Case.status == "open")
            ).all()
        )
    assert found == {case_id: expected.get(case_id, 0) for case_id in found}
    assert any(value > 0 for value in found.values())
