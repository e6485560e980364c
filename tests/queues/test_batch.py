"""The queues step inside the nightly batch: after the cases step, in the same transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from arrears.batch.orchestrator import dates_between, run_batch
from arrears.cases.models import Case, CaseAssignment
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.queues.models import CaseQueue
from tests.batch.book import insert_book
from tests.delinquency.portfolios import START, facts_of, generated_book
from tests.queues.helpers import Desk, queue, queue_set

RULES = DelinquencyRules(materiality={"JPY": 100})


def test_the_batch_places_and_assigns_the_open_cases(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    accounts, installments, payments = facts_of(generated_book(60, seed=5))
    insert_book(engine, accounts, installments, payments)
    days = dates_between(START + timedelta(days=40), START + timedelta(days=41))
    first = run_batch(engine, days[:1] * 3, duck, RULES, clock)  # the same night three times
    assert any("queues: nothing done: no active queue set" in note for note in first[0].notes)
    assert not any("queues: nothing done" in note for day in first[1:] for note in day.notes)
    desk = Desk(engine)
    desk.team("T")
    collector = desk.collector("k", "T", capacity=1000)
    desk.activate(queue_set(queue("all", "T")))
    second = run_batch(engine, days[1:], duck, RULES, clock)
    assert any(note.startswith("queues (set 1)") for note in second[0].notes)
    with Session(engine) as session:
        open_cases = session.execute(select(func.count()).where(Case.status == "open")).scalar_one()
        queued = session.execute(select(func.count()).select_from(CaseQueue)).scalar_one()
        mine = session.execute(
            select(func.count()).where(
                CaseAssignment.collector_id == collector, CaseAssignment.ended_at.is_(None)
            )
        ).scalar_one()
    assert open_cases > 0 and queued == open_cases == mine
