"""The nightly strategy step: every open case through the active strategy, set-based in the batch
engine, the day's actions through the compliance gate, and the actions written with why.

Order inside the night's transaction (arrears.batch.orchestrator): after the cases, scores,
promises, plans and queues, so the facts are the night's. The night of ``as_of`` prepares the
next morning (the *action day*, ``as_of`` + 1): a message goes at its local send time that day,
a call task holds its window that day.

1. the case facts are read in one statement (:mod:`facts`) and, with where each case stood
   (``case_segments``), the paths' steps and stop conditions and the experiment arms, handed to the
   engine as views;
2. the engine runs :func:`evaluation.segments_sql` then :func:`evaluation.due_sql`: each case's
   segment, and the steps due since the last night evaluated;
3. ``case_segments`` is rewritten for the cases that moved (and emptied of those no longer open);
4. each due step becomes an action; contacts are put to the gate for the whole batch at once
   (:func:`gate_actions`, on each customer's zone, contact points, history, holds and
   preferences). Allowed: ``planned`` (or ``proposed`` for a serious step a person
   confirms); refused with a time at which it would pass: ``rescheduled`` to it; refused for
   good: ``escalated``; the reasons are kept on the action either way;
5. actions are written in bulk under a key of case, segment, entry day, step day and action: a
   night run again writes none twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Integer,
    String,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseStatus
from arrears.compliance.batch import decide_batch
from arrears.compliance.batch_facts import BatchFacts
from arrears.compliance.decision import Decision, Verdict
from arrears.compliance.packs import Pack
from arrears.contacts.gate import facts_for_many
from arrears.contacts.models import CallTask, CallTaskStatus
from arrears.db.arrow import insert_arrow, read_arrow
from arrears.db.keys import one_of
from arrears.i18n import N_, Text
from arrears.queues import repository as queue_repository
from arrears.strategy import evaluation
from arrears.strategy.document import (
    MESSAGE_ACTIONS,
    SERIOUS_ACTIONS,
    Segment,
    Step,
    StrategyDocument,
    Window,
)
from arrears.strategy.fairness import FairnessReport, fairness
from arrears.strategy.messages import MessageAction, queue_messages, skipped_reason
from arrears.strategy.models import ActionStatus, CaseSegment, ExperimentMember, StrategyAction, StrategyRun
from arrears.strategy.repository import ActiveStrategy, active_strategy
from arrears.strategy.uplift_drift import UpliftDrift, night_note, run_counts, watched_case_facts
from arrears.strategy.validation import GATE_CHANNELS

DEFAULT_CALL_WINDOW = ("09:00", "20:00")
"""A call whose window is ``best`` and whose customer has no right-party contact yet."""


@dataclass
class NightOutcome:
    strategy: str | None = None
    cases: int = 0
    segments: Counter[str] = field(default_factory=Counter)
    moved: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    stopped: Counter[str] = field(default_factory=Counter)
    already: int = 0
    unplaced: int = 0
    call_tasks: int = 0
    withdrawn: int = 0
    """Proposals set aside because their case closed before anyone answered."""
    fairness: FairnessReport | None = None
    uplift_drift: UpliftDrift | None = None
    """The uplift model's drift on the cases it scored tonight (None: it scored none)."""

    def counts(self) -> dict[str, int]:
        return {
            "strategy_cases": self.cases,
            "strategy_actions": sum(self.actions.values()),
            "strategy_rescheduled": self.statuses[ActionStatus.RESCHEDULED],
            "strategy_escalated": self.statuses[ActionStatus.ESCALATED],
            "strategy_call_tasks": self.call_tasks,
        }

    def note(self) -> str:
        set_aside = f"; {self.withdrawn:,} proposals set aside (case closed)" if self.withdrawn else ""
        if self.strategy is None:
            return "strategy 策略: no approved strategy for this night, nothing chosen" + set_aside
        actions = ", ".join(f"{name} {count}" for name, count in sorted(self.actions.items())) or "none"
        statuses = ", ".join(f"{name} {count}" for name, count in sorted(self.statuses.items()))
        text = (
            f"strategy 策略 {self.strategy}: {self.cases:,} cases, {self.moved:,} changed segment; "
            f"actions: {actions}"
        )
        if statuses:
            text += f" ({statuses})"
        if self.call_tasks:
            text += f"; {self.call_tasks:,} call tasks in the work lists"
        if self.stopped:
            text += "; paths stopped: " + ", ".join(f"{k} {v}" for k, v in sorted(self.stopped.items()))
        if self.unplaced:
            text += f"; {self.unplaced:,} cases in no segment or in several (left as they were)"
        if self.already:
            text += f"; {self.already} chosen before"
        text += set_aside
        if self.fairness is not None and self.fairness.flags:
            flagged = ", ".join(f"{a}/{m}/{g}" for a, m, g in self.fairness.flags[:5])
            text += f"; fairness 公平性: {len(self.fairness.flags)} flagged ({flagged})"
        return text + night_note(self.uplift_drift)


def run_night(
    connection: Connection,
    as_of: date,
    now: datetime,
    engine: evaluation.StrategyEngine,
    pack: Pack,
    bank_zone: str,
) -> NightOutcome:
    """Evaluate the strategy active on ``as_of`` for every open case and write the day's actions."""
    withdrawn = withdraw_closed_proposals(connection, now)
    active = active_strategy(connection, as_of)
    if active is None:
        return NightOutcome(withdrawn=withdrawn)
    outcome = NightOutcome(strategy=f"{active.code} v{active.number}", withdrawn=withdrawn)
    previous = connection.execute(
        select(func.max(StrategyRun.as_of)).where(StrategyRun.as_of < as_of)
    ).scalar()
    facts, outcome.uplift_drift = watched_case_facts(connection, as_of, active.document)
    due = _evaluate(connection, engine, active, facts, as_of, previous)
    outcome.cases = facts.num_rows
    entered = _write_state(connection, active.code, due, as_of, outcome)
    _write_members(connection, entered, active.id)
    rows = _due_actions(due, outcome)
    actions = _fresh(connection, _actions(rows, active, facts, as_of, bank_zone), outcome, previous)
    _gate(connection, actions, pack)
    _queue_messages(connection, actions, as_of, now)
    _write_actions(connection, actions, as_of, active.id, outcome)
    outcome.call_tasks = _queue_calls(connection, active.document, as_of)
    outcome.fairness = fairness(connection, facts, as_of)
    _record_run(connection, as_of, active.id, engine.name, now, outcome)
    return outcome


def _evaluate(
    connection: Connection,
    engine: evaluation.StrategyEngine,
    active: ActiveStrategy,
    facts: pa.Table,
    as_of: date,
    previous: date | None,
) -> pa.Table:
    state = read_arrow(
        connection,
        select(CaseSegment.case_id, CaseSegment.segment, CaseSegment.arm, CaseSegment.entered_on).where(
            CaseSegment.strategy == active.code
        ),
        evaluation.STATE_SCHEMA,
    )
    return evaluation.evaluate(engine, active.document, facts, state, as_of, previous)


def _write_state(
    connection: Connection, code: str, due: pa.Table, as_of: date, outcome: NightOutcome
) -> pa.Table:
    """``case_segments`` as the night left it: the cases that entered a segment (or an arm) tonight
    rewritten, the cases no longer open and another strategy's rows removed; returns the entries."""
    outcome.unplaced = outcome.cases - len(pc.unique(due.column("case_id")))
    first = due.filter(pc.equal(due.column("entered_on"), pa.scalar(as_of, pa.date32())))
    entered = first.group_by(["case_id", "customer_id", "segment", "arm", "entered_on"]).aggregate([])
    outcome.moved = entered.num_rows
    outcome.segments.update(
        dict(
            zip(
                *due.group_by("segment").aggregate([("case_id", "count_distinct")]).to_pydict().values(),
                strict=True,
            )
        )
    )
    connection.execute(delete(CaseSegment).where(CaseSegment.strategy != code))
    open_case = exists().where(Case.case_id == CaseSegment.case_id, Case.status == str(CaseStatus.OPEN))
    connection.execute(delete(CaseSegment).where(~open_case))  # NOT EXISTS: NOT IN is quadratic on PostgreSQL
    ids = entered.column("case_id").to_pylist()
    if ids:
        connection.execute(
            delete(CaseSegment).where(one_of(CaseSegment.case_id, ids, connection.dialect.name))
        )
    rows = entered.append_column("strategy", pa.array([code] * entered.num_rows, pa.string()))
    insert_arrow(
        connection,
        CaseSegment.__tablename__,
        rows.select(["case_id", "strategy", "segment", "arm", "entered_on"]),
    )
    return entered


def _write_members(connection: Connection, entered: pa.Table, strategy_id: int) -> None:
    """The cases that entered an experiment's arm tonight for the first time join its members."""
    rows = [
        {
            "experiment": arm.split(":", 1)[0],
            "case_id": case_id,
            "arm": arm.split(":", 1)[1],
            "entered_on": day,
            "customer_id": customer_id,
            "strategy_id": strategy_id,
        }
        for case_id, customer_id, arm, day in zip(
            *entered.select(["case_id", "customer_id", "arm", "entered_on"]).to_pydict().values(), strict=True
        )
        if arm
    ]
    if not rows:
        return
    ids = [r["case_id"] for r in rows]
    found = connection.execute(
        select(ExperimentMember.experiment, ExperimentMember.case_id).where(
            one_of(ExperimentMember.case_id, ids, connection.dialect.name)
        )
    )
    known: set[tuple[str, str]] = {(experiment, case_id) for experiment, case_id in found}
    fresh = [r for r in rows if (r["experiment"], r["case_id"]) not in known]
    insert_arrow(connection, ExperimentMember.__tablename__, pa.Table.from_pylist(fresh, MEMBER_SCHEMA))


MEMBER_SCHEMA = pa.schema(
    [
        ("experiment", pa.string()),
        ("case_id", pa.string()),
        ("arm", pa.string()),
        ("entered_on", pa.date32()),
        ("customer_id", pa.string()),
        ("strategy_id", pa.int64()),
    ]
)


def _due_actions(due: pa.Table, outcome: NightOutcome) -> list[dict[str, Any]]:
    """The steps due tonight that no stop condition holds back (those are counted)."""
    stepped = due.filter(pc.is_valid(due.column("step")))
    stopped = stepped.filter(pc.is_valid(stepped.column("stopped_by")))
    outcome.stopped.update(Counter(stopped.column("stopped_by").to_pylist()))
    due_now: list[dict[str, Any]] = stepped.filter(pc.is_null(stepped.column("stopped_by"))).to_pylist()
    return due_now


@dataclass
class Action:
    row: dict[str, Any]
    step: Step
    planned_at: datetime
    window_end: datetime | None
    zone: str
    why: dict[str, Any]
    fact: dict[str, Any]
    """The case's facts tonight."""
    status: str = ActionStatus.PLANNED
    decision: Decision | None = None
    message_id: int | None = None
    skipped: str | None = None

    @cached_property  # asked of each action several times a night (fresh, written, messages)
    def key(self) -> str:
        r = self.row
        entered = r["entered_on"].isoformat()
        return f"strategy:{r['case_id']}:{r['segment']}:{r['arm']}:{entered}:{r['day']}:{r['action']}"


def _actions(
    rows: Sequence[dict[str, Any]], active: ActiveStrategy, facts: pa.Table, as_of: date, bank_zone: str
) -> list[Action]:
    if not rows:
        return []
    wanted = {row["case_id"] for row in rows}
    by_case = {
        fact["case_id"]: fact
        for fact in facts.filter(pc.is_in(facts.column("case_id"), pa.array(sorted(wanted)))).to_pylist()
    }
    action_day = as_of + timedelta(days=1)
    read = facts_read(active.document)
    actions = []
    windows: dict[tuple[str, int, str], tuple[datetime, datetime | None]] = {}  # the same for a step and zone
    for row in rows:
        fact = by_case[row["case_id"]] | {"days_open": row["days_open"], "age": row["age"]}
        step = active.document.paths[row["path"]].steps[row["step"]]
        zone = fact["timezone"] or bank_zone
        where = (row["path"], row["step"], zone)
        if where not in windows:
            windows[where] = step_window(step, action_day, ZoneInfo(zone))
        start, end = windows[where]
        actions.append(Action(row, step, start, end, zone, _why(active, row, fact, read), fact))
    return actions


def step_window(step: Step, day: date, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    """When the step happens: a message's send time; a call's window (``best``: the default hours
    until the best time to call is known, see docs/strategy.md); the start of the day otherwise."""
    if step.action in MESSAGE_ACTIONS:
        return datetime.combine(day, time.fromisoformat(step.send_at), zone).astimezone(UTC), None
    if step.action == "call":
        start, end = (
            (step.window.start, step.window.end) if isinstance(step.window, Window) else DEFAULT_CALL_WINDOW
        )
        return (
            datetime.combine(day, time.fromisoformat(start), zone).astimezone(UTC),
            datetime.combine(day, time.fromisoformat(end), zone).astimezone(UTC),
        )
    return datetime.combine(day, time(9), zone).astimezone(UTC), None


WHY_FACTS = ("bucket", "dpd", "score", "score_band", "score_reason", "product", "hold", "promise", "plan")


def _why(
    active: ActiveStrategy,
    row: Mapping[str, Any],
    fact: Mapping[str, Any],
    read: Mapping[str, tuple[str, ...]],
) -> dict[str, Any]:
    """Why the action was chosen: the version, segment, arm and step, the facts the segment's
    conditions read (with their values), the score with its strongest reason, and, when the
    segment read the uplift band, the case's estimated gain from contact behind it."""
    why = {
        "strategy": active.code,
        "version": active.number,
        "segment": row["segment"],
        "arm": row["arm"],
        "path": row["path"],
        "day": row["day"],
        "facts": {name: _plain(fact.get(name)) for name in read[row["segment"]]},
        "score": {"score": fact["score"], "band": fact["score_band"], "reason": fact["score_reason"]},
    }
    if set(read[row["segment"]]) & {"uplift_band", "uplift_arm"} and fact.get("uplift_gain") is not None:
        why["uplift_gain"] = round(float(fact["uplift_gain"]), 4)
    return why


def facts_read(document: StrategyDocument) -> dict[str, tuple[str, ...]]:
    """The facts each segment's conditions read (none for ``otherwise``)."""
    return {
        s.code: tuple(sorted(s.when.constrained())) if isinstance(s, Segment) else ()
        for s in document.all_segments
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _gate(connection: Connection, actions: Sequence[Action], pack: Pack) -> None:
    """Put the contacts to the gate (all at once) and set each action's status from the answer;
    serious steps that pass wait for a person's confirmation."""
    contacts = [a for a in actions if a.step.action in GATE_CHANNELS]
    for action, decision in zip(contacts, gate_actions(connection, contacts, pack), strict=True):
        action.decision = decision
        if decision.verdict is Verdict.BLOCK:
            action.status = ActionStatus.RESCHEDULED if decision.next_allowed_at else ActionStatus.ESCALATED
    for action in actions:
        if (
            action.status == ActionStatus.PLANNED
            and action.step.action in SERIOUS_ACTIONS
            and action.step.confirm
        ):
            action.status = ActionStatus.PROPOSED


def gate_actions(connection: Connection, actions: Sequence[Action], pack: Pack) -> list[Decision]:
    """The gate's answer to each contact action, the whole batch at once
    (:func:`arrears.compliance.batch.decide_batch`) on what the gate knows of each customer (their
    zone, contact points, recent contacts, holds, preferences and callbacks); the worded reasons
    are built for the actions it does not allow only."""
    if not actions:
        return []
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    customers = sorted({a.row["customer_id"] for a in actions})
    at = min(a.planned_at for a in actions)
    try:
        known = facts_for_many(session, customers, at)
    finally:
        session.close()
    requests = pa.table(
        {
            "row": pa.array(range(len(actions)), pa.int64()),
            "customer_id": [a.row["customer_id"] for a in actions],
            "channel": [GATE_CHANNELS[a.step.action] for a in actions],
            "to": pa.nulls(len(actions), pa.string()),
            "at": pa.array([a.planned_at for a in actions], pa.timestamp("us", tz="UTC")),
            "purpose": ["strategy"] * len(actions),
        }
    )
    decided = decide_batch(requests, BatchFacts.from_facts(known), pack)
    verdicts = decided.table["verdict"].to_pylist()
    allowed = Decision(Verdict.ALLOW, (), pack.id, pack.label)
    return [
        allowed if verdict == Verdict.ALLOW else decided.decision(row) for row, verdict in enumerate(verdicts)
    ]


def _fresh(
    connection: Connection, actions: Sequence[Action], outcome: NightOutcome, previous: date | None
) -> list[Action]:
    """The actions not chosen before (a night run again chooses each once).

    A night owes only the steps due after ``previous``, the last night evaluated before it
    (evaluation.due_sql), so only a night after that one can have chosen any of them: the keys
    chosen since are read by date, not each looked up in the index of every key ever chosen (at
    10M accounts 190k lookups took 2.8 s, on the first run of a night all in vain)."""
    keys = [a.key for a in actions]
    existing: set[str] = set()
    if keys and previous is not None:
        wanted = set(keys)
        chosen = select(StrategyAction.key).where(StrategyAction.as_of > previous)
        existing.update(key for key in connection.execute(chosen).scalars() if key in wanted)
    elif keys:
        existing.update(
            connection.execute(
                select(StrategyAction.key).where(one_of(StrategyAction.key, keys, connection.dialect.name))
            ).scalars()
        )
    outcome.already = len(existing)
    return [a for a in actions if a.key not in existing]


def _queue_messages(connection: Connection, actions: Sequence[Action], as_of: date, now: datetime) -> None:
    """The planned messages into the outbox: done with their message, or skipped with why."""
    planned = [a for a in actions if a.status == ActionStatus.PLANNED and a.step.action in MESSAGE_ACTIONS]
    if not planned:
        return
    wanted = [
        MessageAction(
            a.key,
            a.row["case_id"],
            a.row["customer_id"],
            a.step.action,
            str(a.step.template),
            a.planned_at,
            a.fact,
        )
        for a in planned
    ]
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        queue_messages(session, wanted, as_of + timedelta(days=1), now)
        session.flush()
        session.commit()  # the savepoint only: the night's transaction commits the lot
    finally:
        session.close()
    for action, message in zip(planned, wanted, strict=True):
        action.message_id = message.message_id
        action.skipped = message.skipped
        action.status = ActionStatus.SKIPPED if message.skipped else ActionStatus.DONE


def _write_actions(
    connection: Connection, actions: Sequence[Action], as_of: date, strategy_id: int, outcome: NightOutcome
) -> None:
    for action in actions:
        outcome.actions[action.step.action] += 1
        outcome.statuses[action.status] += 1
    # In the order of the key (which starts with the case): its unique index and the case's are
    # then filled in order, not at random pages of them.
    rows = _action_rows(actions, as_of, strategy_id).sort_by("key")
    insert_arrow(connection, StrategyAction.__tablename__, rows)


ACTION_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("as_of", pa.date32()),
        ("case_id", pa.string()),
        ("customer_id", pa.string()),
        ("strategy_id", pa.int64()),
        ("segment", pa.string()),
        ("arm", pa.string()),
        ("path", pa.string()),
        ("day", pa.int32()),
        ("action", pa.string()),
        ("details", pa.string()),
        ("planned_at", pa.timestamp("us", tz="UTC")),
        ("window_end", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
        ("needs_confirmation", pa.bool_()),
        ("verdict", pa.string()),
        ("rule_ids", pa.string()),
        ("reasons", pa.string()),
        ("next_allowed_at", pa.timestamp("us", tz="UTC")),
        ("why", pa.string()),
        ("outbox_message_id", pa.int64()),
    ]
)


def _action_rows(actions: Sequence[Action], as_of: date, strategy_id: int) -> pa.Table:
    """The actions as rows of ``strategy_actions``, built column by column (a dict per action
    cost more than the rest of the writing at 10M accounts, docs/strategy.md "Measures")."""
    n = len(actions)
    rows = [a.row for a in actions]
    decisions = [a.decision for a in actions]
    columns: dict[str, list[Any]] = {
        "key": [a.key for a in actions],
        "as_of": [as_of] * n,
        "case_id": [r["case_id"] for r in rows],
        "customer_id": [r["customer_id"] for r in rows],
        "strategy_id": [strategy_id] * n,
        "segment": [r["segment"] for r in rows],
        "arm": [r["arm"] for r in rows],
        "path": [r["path"] for r in rows],
        "day": [r["day"] for r in rows],
        "action": [a.step.action for a in actions],
        "details": [_details(a.step) for a in actions],
        "planned_at": [a.planned_at for a in actions],
        "window_end": [a.window_end for a in actions],
        "status": [str(a.status) for a in actions],
        "needs_confirmation": [a.step.action in SERIOUS_ACTIONS and a.step.confirm for a in actions],
        "verdict": [None if d is None else d.verdict.value for d in decisions],
        "rule_ids": ["[]" if d is None or not d.rule_ids else _JSON(list(d.rule_ids)) for d in decisions],
        "reasons": [_reasons(a) for a in actions],
        "next_allowed_at": [None if d is None else d.next_allowed_at for d in decisions],
        "why": [_JSON(a.why) for a in actions],
        "outbox_message_id": [a.message_id for a in actions],
    }
    return pa.table(columns, schema=ACTION_SCHEMA)


_JSON = json.JSONEncoder(ensure_ascii=False).encode
"""One encoder for every action (``json.dumps`` with options builds one per call)."""


@cache
def _details(step: Step) -> str:
    """A step's settings as the action keeps them (template, window, queue, agency…)."""
    return json.dumps(step.model_dump(mode="json", by_alias=True, exclude_none=True))


def _reasons(action: Action) -> str:
    """The gate's reasons, or why a message could not be made."""
    if action.skipped is not None:
        return _skipped_reasons(action.skipped)
    decision = action.decision
    if decision is None or not decision.reasons:
        return "[]"
    return _JSON([r.to_json() for r in decision.reasons])


@cache
def _skipped_reasons(skipped: str) -> str:
    """The reasons of a message that could not be made (a few kinds, each the same every time)."""
    return json.dumps([skipped_reason(skipped)], ensure_ascii=False)


def _queue_calls(connection: Connection, document: StrategyDocument, as_of: date) -> int:
    """The night's planned calls into the collectors' work lists (``call_tasks``), in one
    ``INSERT … SELECT`` per call step of the strategy (never per case): each with its window, its
    reason, and the team of the queue its step names (it works the task while no collector holds
    the case). A night run again adds none twice."""
    teams = _queue_teams(connection)
    made = 0
    for path_code, path in document.paths.items():
        for step in path.steps:
            if step.action != "call":
                continue
            team = None if step.queue is None else teams.get(step.queue)
            made += _insert_call_tasks(connection, as_of, path_code, step, team)
    return made


def _insert_call_tasks(connection: Connection, as_of: date, path: str, step: Step, team: int | None) -> int:
    action = StrategyAction
    chosen = select(
        action.id,
        action.case_id,
        action.customer_id,
        literal(as_of + timedelta(days=1), Date),
        action.planned_at,
        action.window_end,
        literal(step.window == "best", Boolean),
        literal(team, Integer),
        action.why,
        literal(str(CallTaskStatus.OPEN), String),
    ).where(
        action.as_of == as_of,
        action.action == "call",
        action.status == str(ActionStatus.PLANNED),
        action.path == path,
        action.day == step.day,
        action.window_end.is_not(None),
        ~exists().where(CallTask.action_id == action.id),
    )
    columns = [
        "action_id",
        "case_id",
        "customer_id",
        "due_on",
        "window_start",
        "window_end",
        "best",
        "team_id",
        "why",
        "status",
    ]
    made = connection.execute(insert(CallTask).from_select(columns, chosen).returning(CallTask.id))
    return len(made.all())


def _queue_teams(connection: Connection) -> dict[str, int]:
    """The team of each queue of the active queue set (a step's ``queue`` names one)."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        active = queue_repository.active_set(session)
        if active is None:
            return {}
        document = queue_repository.document_of(active)
        teams = queue_repository.resolve_teams(session, document)
        return {q.code: teams[str(q.team)] for q in document.queues if str(q.team) in teams}
    finally:
        session.close()


def _record_run(
    connection: Connection, as_of: date, strategy_id: int, engine: str, now: datetime, outcome: NightOutcome
) -> None:
    connection.execute(delete(StrategyRun).where(StrategyRun.as_of == as_of))
    connection.execute(
        insert(StrategyRun).values(
            as_of=as_of,
            strategy_id=strategy_id,
            engine=engine,
            counts=outcome.counts()
            | {"fairness": None if outcome.fairness is None else outcome.fairness.to_json()}
            | run_counts(outcome.uplift_drift),
            finished_at=now,
        )
    )


CASE_CLOSED = N_("The case closed before anyone answered: the night set the proposal aside")


def withdraw_closed_proposals(connection: Connection, now: datetime) -> int:
    """Proposals (a visit, a placement, a referral waiting for a person) whose case has closed
    since: ``withdrawn``, with why, in one statement. Answers how many."""
    closed = select(Case.case_id).where(Case.status == str(CaseStatus.CLOSED))
    reason = {"rule_id": "case-closed", **Text.of(CASE_CLOSED).both(), "blocking": True}
    result = connection.execute(
        update(StrategyAction)
        .where(StrategyAction.status == str(ActionStatus.PROPOSED), StrategyAction.case_id.in_(closed))
        .values(status=str(ActionStatus.WITHDRAWN), decided_at=now, reasons=[reason])
    )
    return result.rowcount or 0
