"""The strategy as SQL, written once in DuckDB's dialect and run on DuckDB or, transpiled by
sqlglot, on Spark (as the delinquency definition is: :mod:`arrears.delinquency.definition`).

Inputs (views of these names):
  case_facts(...)       every open case's facts (:data:`arrears.strategy.facts.FACTS_SCHEMA`);
  case_segments(case_id, segment, arm, entered_on)   where each case stood after the last night;
  strategy_steps(path, day, action, step)            every step of every path;
  strategy_paths(path, stop_paid, stop_cured, stop_promise, stop_plan, stop_hold)
  case_arms(case_id, arm, arm_path)                  the experiment arms of the night's cases.

Two queries: :func:`segments_sql` (each case's derived facts, the number of segments it matches
and the segment it falls in, unique hit policy) and :func:`due_sql` (the steps due since the
previous night: a case that entered its segment on day E and was last evaluated on night P owes
the steps with P - E + 1 < day <= as_of - E + 1, so a night that did not run loses nothing;
a case whose path is stopped by a stop condition owes nothing and the stop is counted).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from arrears.delinquency.definition import to_spark
from arrears.strategy import arms
from arrears.strategy.document import AmountRange, Range, StrategyDocument, When

CONDITION_COLUMNS = {
    "bucket": "bucket",
    "dpd": "dpd",
    "score": "score",
    "score_band": "score_band",
    "score_reason": "score_reason",
    "product": "product",
    "broken_promises": "broken_promises",
    "promise": "promise",
    "plan": "plan",
    "hold": "hold",
    "placed": "placed",
    "language": "language",
    "country": "country",
    "age": "age",
    "days_open": "days_open",
    "last_contact": "last_contact",
    "uplift_band": "uplift_band",
    "uplift_arm": "uplift_arm",
}
"""The column each condition of :class:`~arrears.strategy.document.When` reads (``overdue`` reads
``overdue`` and ``currency``)."""


def date_literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def text_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def condition_sql(when: When) -> str:
    """A segment's conditions as one SQL boolean over the derived facts (TRUE: every case)."""
    parts: list[str] = []
    for name, value in when.constrained().items():
        if name == "overdue":
            assert isinstance(value, AmountRange)
            low, high = value.minor_bounds
            parts.append(f"currency = {text_literal(value.currency)}")
            parts.extend(_bounds("overdue", low, high))
        elif isinstance(value, Range):
            parts.append(f"{CONDITION_COLUMNS[name]} IS NOT NULL")
            parts.extend(_bounds(CONDITION_COLUMNS[name], value.min, value.max))
        elif isinstance(value, bool):
            parts.append(CONDITION_COLUMNS[name] if value else f"NOT {CONDITION_COLUMNS[name]}")
        else:
            assert isinstance(value, list)
            listed = ", ".join(text_literal(str(v)) for v in value)
            parts.append(f"{CONDITION_COLUMNS[name]} IN ({listed})")
    return " AND ".join(f"({p})" for p in parts) or "TRUE"


def _bounds(column: str, low: int | None, high: int | None) -> list[str]:
    found = []
    if low is not None:
        found.append(f"{column} >= {low}")
    if high is not None:
        found.append(f"{column} <= {high}")
    return found


DERIVED = """
SELECT f.*,
       CAST(DATE_DIFF('day', f.opened_on, {as_of}) + 1 AS INTEGER) AS days_open,
       CASE WHEN f.birth_date IS NULL THEN NULL
            ELSE CAST(year({as_of}) - year(f.birth_date)
                      - CASE WHEN month({as_of}) * 100 + day({as_of})
                                  < month(f.birth_date) * 100 + day(f.birth_date)
                             THEN 1 ELSE 0 END AS INTEGER) END AS age
FROM case_facts AS f
"""


def segments_sql(document: StrategyDocument, as_of: date) -> str:
    """Each open case with its derived facts, ``matches`` (how many segments take it, not counting
    ``otherwise``) and ``segment`` (the one that does, else ``otherwise``'s code, else NULL)."""
    flags = [f"COALESCE({condition_sql(s.when)}, FALSE) AS m{i}" for i, s in enumerate(document.segments)]
    count = " + ".join(f"CAST(m{i} AS INTEGER)" for i in range(len(document.segments)))
    whens = " ".join(f"WHEN m{i} THEN {text_literal(s.code)}" for i, s in enumerate(document.segments))
    fallback = text_literal(document.otherwise.code) if document.otherwise else "CAST(NULL AS VARCHAR)"
    return f"""
SELECT d.*, {count} AS matches, CASE {whens} ELSE {fallback} END AS segment
FROM (SELECT derived.*, {", ".join(flags)} FROM ({DERIVED.format(as_of=date_literal(as_of))}) AS derived) AS d
"""


DUE = """
WITH placed AS (
    SELECT s.case_id, s.customer_id, s.segment, s.matches, s.overdue, s.dpd, s.promise, s.plan, s.hold,
           s.days_open, s.age,
           COALESCE(a.arm, '') AS arm,
           COALESCE(a.arm_path, {segment_path}) AS path,
           CASE WHEN p.segment = s.segment AND COALESCE(p.arm, '') = COALESCE(a.arm, '')
                THEN p.entered_on ELSE {as_of} END AS entered_on,
           p.segment AS segment_before
    FROM segmented AS s
    LEFT JOIN case_segments AS p ON p.case_id = s.case_id
    LEFT JOIN case_arms AS a ON a.case_id = s.case_id
    WHERE s.segment IS NOT NULL AND s.matches <= 1
),
timed AS (
    SELECT placed.*,
           CAST(DATE_DIFF('day', entered_on, {as_of}) + 1 AS INTEGER) AS day_now,
           CASE WHEN entered_on = {as_of} THEN 0
                ELSE GREATEST(CAST(DATE_DIFF('day', entered_on, {previous}) + 1 AS INTEGER), 0)
           END AS day_before,
           CASE WHEN t.stop_paid AND overdue <= 0 THEN 'paid'
                WHEN t.stop_cured AND dpd = 0 THEN 'cured'
                WHEN t.stop_promise AND promise = 'open' THEN 'promise_active'
                WHEN t.stop_plan AND plan = 'in_force' THEN 'plan_active'
                WHEN t.stop_hold AND hold <> 'none' THEN 'hold'
                ELSE NULL END AS stopped_by
    FROM placed JOIN strategy_paths AS t ON t.path = placed.path
)
SELECT timed.case_id, timed.customer_id, timed.segment, timed.arm, timed.path, timed.entered_on,
       timed.segment_before, timed.stopped_by, timed.day_now, timed.days_open, timed.age,
       st.step, st.day, st.action
FROM timed
LEFT JOIN strategy_steps AS st
       ON st.path = timed.path AND st.day > timed.day_before AND st.day <= timed.day_now
"""


def due_sql(document: StrategyDocument, as_of: date, previous: date | None) -> str:
    """Where every case now stands (one row per case with no step due, or one per step due:
    ``step`` NULL when none), from the view ``segmented`` (:func:`segments_sql`). A case's arm
    path ``none`` (a no-action control) has no steps. ``previous``: the last night evaluated."""
    paths = " ".join(
        f"WHEN {text_literal(s.code)} THEN {text_literal(s.path)}" for s in document.all_segments
    )
    return DUE.format(
        as_of=date_literal(as_of),
        previous=date_literal(previous) if previous is not None else date_literal(as_of),
        segment_path=f"CASE s.segment {paths} END",
    )


def steps_table(document: StrategyDocument) -> pa.Table:
    rows = [
        {"path": code, "day": step.day, "action": step.action, "step": index}
        for code, path in document.paths.items()
        for index, step in enumerate(path.steps)
    ]
    schema = pa.schema(
        [("path", pa.string()), ("day", pa.int32()), ("action", pa.string()), ("step", pa.int32())]
    )
    return pa.Table.from_pylist(rows, schema)


def paths_table(document: StrategyDocument) -> pa.Table:
    """Each path's stop conditions, and the path ``none`` of a no-action arm (stopped by nothing,
    with no steps)."""
    stops = {code: set(path.stop_when) for code, path in document.paths.items()} | {"none": set()}
    return pa.Table.from_pylist(
        [
            {
                "path": code,
                "stop_paid": "paid" in stop_when,
                "stop_cured": "cured" in stop_when,
                "stop_promise": "promise_active" in stop_when,
                "stop_plan": "plan_active" in stop_when,
                "stop_hold": "hold" in stop_when,
            }
            for code, stop_when in stops.items()
        ]
    )


STATE_SCHEMA = pa.schema(
    [("case_id", pa.string()), ("segment", pa.string()), ("arm", pa.string()), ("entered_on", pa.date32())]
)
ARMS_SCHEMA = pa.schema([("case_id", pa.string()), ("arm", pa.string()), ("arm_path", pa.string())])


def evaluate(
    engine: StrategyEngine,
    document: StrategyDocument,
    facts: pa.Table,
    state: pa.Table,
    as_of: date,
    previous: date | None,
) -> pa.Table:
    """Where every open case stands on the night of ``as_of`` and the steps it owes (:func:`due_sql`),
    from its facts (:data:`arrears.strategy.facts.FACTS_SCHEMA`) and where the cases stood after the
    night ``previous`` (:data:`STATE_SCHEMA`). The nightly batch and the simulator both call it."""
    engine.register("case_facts", facts)
    engine.register("case_segments", state)
    engine.register("strategy_steps", steps_table(document))
    engine.register("strategy_paths", paths_table(document))
    engine.materialise("segmented", segments_sql(document, as_of))
    engine.register("case_arms", experiment_arms(engine, document, as_of))
    return engine.query(due_sql(document, as_of, previous))


def experiment_arms(engine: StrategyEngine, document: StrategyDocument, as_of: date) -> pa.Table:
    """The arm of every case in a segment with an experiment running tonight: the stable hash of
    the experiment and the customer (:func:`arrears.strategy.arms.assignment_sql`), computed by the
    engine over the view ``segmented``; an arm's path (``none``: a no-action control; empty: the
    segment's own)."""
    parts = []
    for experiment in document.running(as_of):
        split = [arms.Arm(a.name, a.fraction, control=a.path is None) for a in experiment.arms]
        paths = " ".join(
            f"WHEN {text_literal(a.name)} THEN {text_literal(a.path)}"
            for a in experiment.arms
            if a.path is not None
        )
        parts.append(
            f"SELECT case_id, {text_literal(experiment.code + ':')} || arm AS arm, "
            f"CASE arm {paths or 'WHEN NULL THEN NULL'} ELSE NULL END AS arm_path "
            f"FROM (SELECT case_id, {arms.assignment_sql(experiment.code, split)} AS arm FROM segmented "
            f"WHERE segment = {text_literal(experiment.segment)} AND matches <= 1) AS assigned"
        )
    if not parts:
        return ARMS_SCHEMA.empty_table()
    return engine.query(" UNION ALL ".join(parts)).cast(ARMS_SCHEMA)


class StrategyEngine(Protocol):
    """Where the strategy's SQL runs: views in, Arrow out."""

    name: str

    def register(self, name: str, table: pa.Table) -> None: ...

    def materialise(self, name: str, sql: str) -> None:
        """The query's result kept as a view of that name for the following queries."""
        ...

    def query(self, sql: str) -> pa.Table: ...

    def close(self) -> None: ...


class DuckDBStrategyEngine:
    name = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self._own = connection is None
        self.connection = connection if connection is not None else duckdb.connect()
        self._registered: list[str] = []

    def register(self, name: str, table: pa.Table) -> None:
        self.connection.register(name, table)
        if name not in self._registered:  # registered again night after night by the simulator
            self._registered.append(name)

    def materialise(self, name: str, sql: str) -> None:
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def query(self, sql: str) -> pa.Table:
        return self.connection.sql(sql).to_arrow_table()

    def close(self) -> None:
        for name in self._registered:
            self.connection.unregister(name)
        if self._own:
            self.connection.close()


class SparkStrategyEngine:
    """The same SQL on Spark (a session of its own, or one lent)."""

    name = "spark"

    def __init__(self, master: str = "local[2]", session: Any = None) -> None:
        from arrears.delinquency.engines import SparkWorkspace

        self._workspace = SparkWorkspace(master, None, session, prefix="arrears-strategy-")

    def register(self, name: str, table: pa.Table) -> None:
        self._workspace.view(name, table)

    def materialise(self, name: str, sql: str) -> None:
        self._workspace.cache(name, sql)

    def query(self, sql: str) -> pa.Table:
        table: pa.Table = self._workspace.spark.sql(to_spark(sql)).toArrow()
        return table

    def close(self) -> None:
        self._workspace.close()
