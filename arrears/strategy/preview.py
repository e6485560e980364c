"""What a strategy would do to today's open cases, before anyone approves it: how many cases each
segment takes, the cases no segment takes or several do (with a few of their ids), and for each
step of each path how many cases would take it and what that costs, counted as if every case
entered its segment today and stayed (the stop conditions as they stand today hold some back).
The same SQL as the night's (:mod:`evaluation`); nothing is written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
from sqlalchemy import Connection

from arrears.strategy import evaluation
from arrears.strategy.document import StrategyDocument
from arrears.strategy.facts import read_case_facts

EXAMPLES = 5
"""Case ids shown for each kind of misplaced case."""


@dataclass(frozen=True)
class StepTaken:
    path: str
    day: int
    action: str
    cases: int
    cost_minor: int | None


@dataclass
class Preview:
    as_of: date
    cases: int = 0
    segments: dict[str, int] = field(default_factory=dict)
    stopped: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per segment, the cases a stop condition holds back today, by condition."""
    in_no_segment: int = 0
    in_several: int = 0
    examples_none: list[str] = field(default_factory=list)
    examples_several: list[str] = field(default_factory=list)
    steps: list[StepTaken] = field(default_factory=list)
    currency: str | None = None

    @property
    def total_cost_minor(self) -> int | None:
        costs = [s.cost_minor for s in self.steps if s.cost_minor is not None]
        return sum(costs) if costs or self.currency else None


def preview(
    connection: Connection, engine: evaluation.StrategyEngine, document: StrategyDocument, as_of: date
) -> Preview:
    facts = read_case_facts(connection, as_of, document)
    engine.register("case_facts", facts)
    engine.register("case_segments", evaluation.STATE_SCHEMA.empty_table())
    engine.register("strategy_steps", evaluation.steps_table(document))
    engine.register("strategy_paths", evaluation.paths_table(document))
    engine.register("case_arms", evaluation.ARMS_SCHEMA.empty_table())
    engine.materialise("segmented", evaluation.segments_sql(document, as_of))
    result = Preview(
        as_of=as_of, cases=facts.num_rows, currency=document.costs.currency if document.costs else None
    )
    _misplaced(engine, result)
    standing = engine.query(
        "SELECT segment, path, stopped_by, COUNT(DISTINCT case_id) AS cases FROM ("
        + evaluation.due_sql(document, as_of, None)
        + ") AS due GROUP BY segment, path, stopped_by"
    )
    _count(standing, document, result)
    return result


def _misplaced(engine: evaluation.StrategyEngine, result: Preview) -> None:
    counts = engine.query(
        "SELECT SUM(CASE WHEN segment IS NULL THEN 1 ELSE 0 END) AS none_, "
        "SUM(CASE WHEN matches > 1 THEN 1 ELSE 0 END) AS several FROM segmented"
    ).to_pylist()[0]
    result.in_no_segment = int(counts["none_"] or 0)
    result.in_several = int(counts["several"] or 0)
    result.examples_none = _ids(engine, "segment IS NULL")
    result.examples_several = _ids(engine, "matches > 1")


def _ids(engine: evaluation.StrategyEngine, where: str) -> list[str]:
    rows = engine.query(f"SELECT case_id FROM segmented WHERE {where} ORDER BY case_id LIMIT {EXAMPLES}")
    return [str(v) for v in rows.column("case_id").to_pylist()]


def _count(standing: pa.Table, document: StrategyDocument, result: Preview) -> None:
    going: dict[str, int] = defaultdict(int)  # path -> cases that would follow it
    stopped: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    segments: dict[str, int] = defaultdict(int)
    for row in standing.to_pylist():
        segments[row["segment"]] += row["cases"]
        if row["stopped_by"] is None:
            going[row["path"]] += row["cases"]
        else:
            stopped[row["segment"]][row["stopped_by"]] += row["cases"]
    result.segments = dict(sorted(segments.items()))
    result.stopped = {segment: dict(by) for segment, by in stopped.items()}
    for code, path in document.paths.items():
        for step in path.steps:
            taking = going.get(code, 0)
            cost = None if document.costs is None else taking * document.costs.minor(step.action)
            result.steps.append(StepTaken(code, step.day, step.action, taking, cost))
