"""The strategy step inside the nightly batch: after the cases, promises, plans and queues, in the
same transaction, on DuckDB and on Spark."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from arrears.batch.orchestrator import StrategyNight, dates_between, run_batch
from arrears.cases.models import Case
from arrears.clock import FixedClock
from arrears.compliance.packs import load_pack
from arrears.delinquency.engines import DuckDBEngine, SparkEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.strategy.models import CaseSegment, StrategyAction, StrategyRun
from tests.batch.book import insert_book
from tests.delinquency.portfolios import START, facts_of, generated_book
from tests.strategy.test_nightly import EXPERIMENT, approve

RULES = DelinquencyRules(materiality={"JPY": 100})
NIGHT = StrategyNight(load_pack("cn"), "Asia/Shanghai")


def nights(engine: Engine, snapshots: Any, clock: FixedClock) -> None:
    accounts, installments, payments = facts_of(generated_book(60, seed=5))
    insert_book(engine, accounts, installments, payments)
    days = dates_between(START + timedelta(days=40), START + timedelta(days=42))
    approve(
        engine,
        EXPERIMENT.replace("bucket: [M2]", "bucket: [M2, M3, M4, M5, M6, M7+]").replace(
            "starts_on: 2026-11-01", f"starts_on: {days[0].isoformat()}"
        ),
        active_from=days[0],
    )
    summaries = run_batch(engine, days, snapshots, RULES, clock, strategy=NIGHT)
    assert any(note.startswith("strategy 策略 night v1") for note in summaries[0].notes)
    with Session(engine) as session:
        open_cases = session.scalar(select(func.count()).where(Case.status == "open"))
        placed = session.scalar(select(func.count()).select_from(CaseSegment))
        runs = session.scalars(select(StrategyRun.as_of).order_by(StrategyRun.as_of)).all()
        chosen = session.scalars(select(func.count()).select_from(StrategyAction)).one()
        counted = session.scalars(select(StrategyRun.counts).order_by(StrategyRun.as_of)).all()
    assert open_cases and placed == open_cases  # every open case stands in a segment
    assert runs == days
    assert chosen > 0 and sum(c["strategy_actions"] for c in counted) == chosen
    with Session(engine) as session:
        split = set(session.scalars(select(CaseSegment.arm).where(CaseSegment.segment == "m1")))
    assert split <= {"m1-calls:champion", "m1-calls:quiet"} and split  # the experiment's arms, by the engine


def test_the_batch_runs_the_strategy_each_night(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    nights(engine, duck, clock)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_on_spark_too(engine: Engine, spark: Any, clock: FixedClock) -> None:
    snapshots = SparkEngine(session=spark)
    try:
        nights(engine, snapshots, clock)
    finally:
        snapshots.close()
