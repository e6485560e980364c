"""The strategy as SQL: segments (unique hit), the steps due since the last night, stop
conditions; the same answers on DuckDB and on Spark."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest

from arrears.strategy import evaluation
from arrears.strategy.document import StrategyDocument
from arrears.strategy.facts import FACTS_SCHEMA
from arrears.strategy.repository import parse_document

AS_OF = date(2026, 12, 4)
STRATEGY = """
strategy: t
names: {zh-CN: 测试, en: Test}
segments:
  - {code: held, names: {zh-CN: 暂停, en: Held}, when: {hold: [dispute, cease]}, path: quiet}
  - {code: early, names: {zh-CN: 早, en: Early}, when: {hold: [none], bucket: [M1], score_band: [A, B, none]}, path: gentle}
  - {code: risky, names: {zh-CN: 险, en: Risky}, when: {hold: [none], bucket: [M1], score: {max: 599}}, path: gentle}
  - {code: late, names: {zh-CN: 晚, en: Late}, when: {hold: [none], bucket: [M2], overdue: {currency: CNY, min: '100.00'}}, path: firm}
otherwise: {code: rest, names: {zh-CN: 其他, en: Rest}, path: quiet}
paths:
  quiet: {names: {zh-CN: 静, en: Quiet}}
  gentle:
    names: {zh-CN: 温, en: Gentle}
    steps:
      - {day: 1, action: sms, template: s}
      - {day: 3, action: call, window: best}
      - {day: 5, action: email, template: e}
  firm:
    names: {zh-CN: 严, en: Firm}
    stop_when: [paid, hold]
    steps:
      - {day: 1, action: call, window: best}
      - {day: 2, action: letter, template: l}
"""


def fact(case_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FACTS_SCHEMA.names)
    row.update(
        case_id=case_id,
        customer_id=f"cu-{case_id}",
        opened_on=AS_OF - timedelta(days=10),
        bucket="M1",
        dpd=10,
        overdue=50_000,
        currency="CNY",
        score_band="none",
        score_reason="none",
        product="card",
        broken_promises=0,
        promise="none",
        plan="none",
        hold="none",
        placed=False,
        language="zh-CN",
        country="CN",
        last_contact="none",
    )
    row.update(values)
    return row


FACTS = pa.Table.from_pylist(
    [
        fact("new-early"),
        fact("band-c", score_band="C", score=650),  # neither early (band) nor risky (score): rest
        fact("both", score_band="B", score=550),  # early and risky both take it
        fact("held", hold="dispute", bucket="M2"),
        fact("late", bucket="M2", dpd=40),
        fact("late-promised", bucket="M2", dpd=40, promise="open"),  # firm does not stop on promises
        fact("late-small", bucket="M2", dpd=40, overdue=5_000),  # below the 100.00 of late: rest
        fact("early-day3"),
        fact("early-missed"),
        fact("moved"),
    ],
    FACTS_SCHEMA,
)
STATE = pa.Table.from_pylist(
    [
        {"case_id": "early-day3", "segment": "early", "arm": "", "entered_on": AS_OF - timedelta(days=3)},
        {"case_id": "early-missed", "segment": "early", "arm": "", "entered_on": AS_OF - timedelta(days=6)},
        {"case_id": "moved", "segment": "late", "arm": "", "entered_on": AS_OF - timedelta(days=20)},
    ],
    evaluation.STATE_SCHEMA,
)


def run(
    engine: evaluation.StrategyEngine, doc: StrategyDocument, previous: date
) -> tuple[pa.Table, pa.Table]:
    engine.register("case_facts", FACTS)
    engine.register("case_segments", STATE)
    engine.register("strategy_steps", evaluation.steps_table(doc))
    engine.register("strategy_paths", evaluation.paths_table(doc))
    engine.register("case_arms", evaluation.ARMS_SCHEMA.empty_table())
    engine.materialise("segmented", evaluation.segments_sql(doc, AS_OF))
    segmented = engine.query("SELECT case_id, segment, matches, days_open FROM segmented ORDER BY case_id")
    due = engine.query(evaluation.due_sql(doc, AS_OF, previous) + " ORDER BY case_id, day")
    return segmented, due


def steps_of(due: pa.Table) -> dict[str, list[tuple[int | None, str | None]]]:
    found: dict[str, list[tuple[int | None, str | None]]] = {}
    for row in due.to_pylist():
        found.setdefault(row["case_id"], []).append((row["day"], row["action"]))
    return found


def check(segmented: pa.Table, due: pa.Table) -> None:
    segments = {r["case_id"]: (r["segment"], r["matches"]) for r in segmented.to_pylist()}
    assert segments["new-early"] == ("early", 1)
    assert segments["band-c"] == ("rest", 0)
    assert segments["both"][1] == 2  # the unique hit policy is broken: the case is left out
    assert segments["held"] == ("held", 1)
    assert segments["late"] == ("late", 1)
    assert segments["late-small"] == ("rest", 0)
    assert segmented.column("days_open").to_pylist()[0] == 11
    steps = steps_of(due)
    assert "both" not in steps
    assert steps["new-early"] == [(1, "sms")]  # entered tonight: day 1
    assert steps["early-day3"] == [(3, "call")]  # entered 3 nights ago: day 4 now, day 1 done then
    assert steps["early-missed"] == [(5, "email")]  # day 7 now; last night evaluated 3 days ago
    assert steps["moved"] == [(1, "sms")]  # left late for early: a new entry
    assert steps["late"] == [(1, "call")]
    assert steps["late-promised"] == [(1, "call")]
    assert steps["held"] == [(None, None)]  # quiet: no steps
    rows = {r["case_id"]: r for r in due.to_pylist()}
    assert rows["moved"]["segment_before"] == "late" and rows["moved"]["entered_on"] == AS_OF
    assert rows["early-day3"]["entered_on"] == AS_OF - timedelta(days=3)


def test_segments_and_due_steps_on_duckdb() -> None:
    engine = evaluation.DuckDBStrategyEngine()
    try:
        segmented, due = run(engine, parse_document(STRATEGY, "t.yaml"), AS_OF - timedelta(days=3))
    finally:
        engine.close()
    check(segmented, due)


def test_a_stop_condition_holds_the_path_back() -> None:
    doc = parse_document(STRATEGY.replace("stop_when: [paid, hold]", "stop_when: [promise_active]"), "t.yaml")
    engine = evaluation.DuckDBStrategyEngine()
    try:
        _, due = run(engine, doc, AS_OF - timedelta(days=1))
    finally:
        engine.close()
    rows = {r["case_id"]: r for r in due.to_pylist()}
    assert rows["late-promised"]["stopped_by"] == "promise_active"
    assert rows["late"]["stopped_by"] is None
    assert rows["new-early"]["stopped_by"] is None


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_gives_the_same_answers(spark: Any) -> None:
    doc = parse_document(STRATEGY, "t.yaml")
    on_spark = evaluation.SparkStrategyEngine(session=spark)
    on_duck = evaluation.DuckDBStrategyEngine()
    try:
        spark_segmented, spark_due = run(on_spark, doc, AS_OF - timedelta(days=3))
        duck_segmented, duck_due = run(on_duck, doc, AS_OF - timedelta(days=3))
    finally:
        on_spark.close()
        on_duck.close()
    check(spark_segmented, spark_due)
    assert spark_segmented.to_pylist() == duck_segmented.to_pylist()
    assert sorted(map(str, spark_due.to_pylist())) == sorted(map(str, duck_due.to_pylist()))
