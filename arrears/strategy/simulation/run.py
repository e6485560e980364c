"""A strategy run day by day over simulated customers, through production's evaluation and gate.

Each night ``t`` (as of ``start + t``):

1. the open cases' facts are built from the customers' state, in the columns of
   :data:`arrears.strategy.facts.FACTS_SCHEMA`;
2. :func:`arrears.strategy.evaluation.evaluate` places every case and names the steps due, on
   DuckDB, as the nightly batch does; where each case stood is carried from night to night;
3. the contacts among the steps go to :func:`arrears.compliance.batch.decide_batch` with what the
   gate knows of each customer (zone, contact points, the contacts, complaints and opt-outs of the
   run so far); a step the gate refuses does not happen; serious steps are taken as confirmed;
4. the next day happens: contacts reach or not, nudge, lead to promises, complaints (a dispute
   hold) and opt-outs; dues fall, customers pay, promises are kept or broken.

Common random numbers: every random draw of day ``t`` comes from the generator seeded by
``(seed, t)``, drawn in full for every customer whatever happened, so two strategies run on the
same customers meet the same luck, and the difference between their results is the strategies'.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from arrears.compliance.batch import decide_batch
from arrears.compliance.batch_facts import BatchFacts
from arrears.compliance.packs import Pack
from arrears.delinquency.rules import DelinquencyRules
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.scoring.scale import Bands, ScoreScale
from arrears.sim.profile import Behaviour
from arrears.strategy import evaluation
from arrears.strategy.document import Step, StrategyDocument, Window
from arrears.strategy.facts import FACTS_SCHEMA
from arrears.strategy.nightly import step_window
from arrears.strategy.simulation.model import Responses
from arrears.strategy.simulation.population import CHANNELS, CURRENCY, Population, product_names
from arrears.strategy.validation import GATE_CHANNELS

Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

ACTIONS = (*CHANNELS, "agency_placement", "legal_referral")
EVENT_KINDS = ("sms", "email", "letter", "call", "visit", "opt_out", "dispute_opened", "dispute_resolved")
POINT_TYPES = ("mobile", "email", "address")
POINT_PREFIX = ("M", "E", "A")
CHANNEL_POINT = {"sms": 0, "email": 1, "letter": 2, "call": 0, "field_visit": 2}
LAST_CONTACTS = ("none", "no_answer", "conversation")
MICROS = 1_000_000
RECENT_DAYS = 8
"""Days of contacts the gate is shown (its counts look back 7 local days)."""


@dataclass(frozen=True)
class SimulationBank:
    """What the run reads of the bank: its buckets, score bands and rule pack."""

    rules: DelinquencyRules
    bands: Bands
    pack: Pack


@dataclass
class Outcome:
    """Per customer, what the strategy achieved over the run (minor units of :data:`CURRENCY`)."""

    collected: Ints
    cost: Ints
    cured: Mask
    start_bucket: Ints
    end_bucket: Ints
    complaints: Ints
    opted_out: Mask
    promises: Ints
    kept: Ints
    contacts: dict[str, Ints]
    blocked: Ints
    unplaced_nights: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    daily_collected: list[int] = field(default_factory=list)
    """Collected on each day of the run (minor units), all customers together."""
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Where the run's time went: facts, evaluation, gate, day."""

    @property
    def size(self) -> int:
        return len(self.collected)

    @property
    def rolled(self) -> Mask:
        """Still open at the end, in a later bucket than at the start."""
        return np.asarray((~self.cured) & (self.end_bucket > self.start_bucket))


@dataclass
class _State:
    open: Mask
    overdue: Ints
    since_due: Ints
    promise_due: Ints
    broken: Ints
    hold_until: Ints
    placed_until: Ints
    legal_until: Ints
    last_contact: Ints
    recent: npt.NDArray[np.int8]
    """(RECENT_DAYS, customers): contacts per day, a ring by day number."""

    @classmethod
    def start(cls, people: Population) -> _State:
        n = people.size
        never = np.full(n, -1, dtype=np.int64)
        return cls(
            open=np.ones(n, dtype=bool),
            overdue=people.missed * people.monthly_due,
            since_due=people.days_since_due - 1,
            promise_due=never.copy(),
            broken=np.zeros(n, dtype=np.int64),
            hold_until=never.copy(),
            placed_until=never.copy(),
            legal_until=never,
            last_contact=np.zeros(n, dtype=np.int64),
            recent=np.zeros((RECENT_DAYS, n), dtype=np.int8),
        )

    def dpd(self, monthly_due: Ints) -> Ints:
        unpaid = -(-self.overdue // np.maximum(monthly_due, 1))  # dues not (fully) paid
        return np.where(self.overdue > 0, (unpaid - 1) * 30 + self.since_due + 1, 0)


class _Events:
    """The gate's history of the run: contacts of the last days, and every opt-out and dispute."""

    def __init__(self) -> None:
        self.recent: list[tuple[int, dict[str, Ints]]] = []
        self.lasting: list[dict[str, Ints]] = []

    def add(
        self, day: int, customer: Ints, at: Ints, kind: int, point: int, outcome: Ints | None = None
    ) -> None:
        if not len(customer):
            return
        chunk = {
            "customer": customer,
            "at": at,
            "kind": np.full(len(customer), kind, np.int64),
            "point": np.full(len(customer), point, np.int64),
            "outcome": outcome if outcome is not None else np.full(len(customer), -1, np.int64),
        }
        if EVENT_KINDS[kind] in ("opt_out", "dispute_opened", "dispute_resolved"):
            self.lasting.append(chunk)
        else:
            self.recent.append((day, chunk))

    def forget_before(self, day: int) -> None:
        self.recent = [(d, chunk) for d, chunk in self.recent if d >= day]

    def of(self, customers: Ints, customer_ids: pa.Array) -> pa.Table:
        chunks = [chunk for _, chunk in self.recent] + self.lasting
        if not chunks:
            return pa.table({"customer_id": pa.array([], pa.string()), "kind": pa.array([], pa.string())})
        columns = {name: np.concatenate([c[name] for c in chunks]) for name in chunks[0]}
        keep = np.isin(columns["customer"], customers)
        columns = {name: values[keep] for name, values in columns.items()}
        order = np.lexsort((columns["at"], columns["customer"]))
        columns = {name: values[order] for name, values in columns.items()}
        ids = customer_ids.take(pa.array(columns["customer"]))
        kind = _labels(EVENT_KINDS, columns["kind"])
        channel = pc.if_else(
            pc.equal(kind, "opt_out"),
            _labels(POINT_CHANNEL, columns["point"]),
            pa.nulls(len(ids), pa.string()),
        )
        outcome = columns["outcome"]
        return pa.table(
            {
                "customer_id": ids,
                "kind": kind,
                "at": pa.array(columns["at"], pa.timestamp("us", tz="UTC")),
                "to": _point_ids(columns["point"], ids),
                "channel": channel,
                "outcome": pa.array(
                    np.array(LAST_CONTACTS, dtype=object)[np.maximum(outcome, 0)],
                    pa.string(),
                    mask=outcome < 0,
                ),
                "written": pc.if_else(
                    pc.equal(kind, "dispute_opened"), pa.scalar(True), pa.nulls(len(ids), pa.bool_())
                ),
            }
        )


POINT_CHANNEL = ("sms", "email", "letter")
"""The channel an opt-out on each type of point stops."""


def _case_numbers(case_ids: pa.ChunkedArray) -> Ints:
    """The customer index of each case id (``SK`` and nine digits)."""
    return np.asarray(pc.cast(pc.utf8_slice_codeunits(case_ids, 2), pa.int64()).to_numpy(), np.int64)


def _labels(values: tuple[str, ...], index: npt.NDArray[np.integer]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


def _point_ids(point: Ints, customer_ids: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(_labels(POINT_PREFIX, np.maximum(point, 0)), customer_ids, "")


@dataclass(frozen=True)
class _StepTimes:
    """Every step of every path, its action and when it happens in each zone on a day."""

    table: pa.Table
    steps: dict[tuple[str, int], Step]

    @classmethod
    def of(cls, document: StrategyDocument) -> _StepTimes:
        steps = {
            (code, i): step for code, path in document.paths.items() for i, step in enumerate(path.steps)
        }
        return cls(
            pa.table(
                {
                    "path": pa.array([p for p, _ in steps], pa.string()),
                    "step": pa.array([i for _, i in steps], pa.int32()),
                    "key": pa.array(range(len(steps)), pa.int64()),
                }
            ),
            steps,
        )

    def instants(self, day: date, zones: list[str]) -> npt.NDArray[np.int64]:
        """(steps, zones): the micros since the epoch the step happens at, in each zone."""
        out = np.zeros((len(self.steps), len(zones)), dtype=np.int64)
        for k, step in enumerate(self.steps.values()):
            for z, zone in enumerate(zones):
                start, _ = step_window(step, day, ZoneInfo(zone))
                out[k, z] = int(start.timestamp() * MICROS)
        return out

    def morning(self) -> Mask:
        """Calls whose window opens before noon (``best`` is the customer's own hour)."""
        return np.array(
            [
                isinstance(step.window, Window) and time.fromisoformat(step.window.start) < time(12)
                for step in self.steps.values()
            ]
        )


ProgressHook = Callable[[int], None]


def simulate(
    document: StrategyDocument,
    people: Population,
    *,
    start: date,
    days: int,
    seed: int,
    bank: SimulationBank,
    responses: Responses | None = None,
    progress: ProgressHook | None = None,
) -> Outcome:
    """Run ``document`` over ``people`` for ``days`` nights from ``start`` (see the module)."""
    return _Run(document, people, start, seed, bank, responses or Responses()).run(days, progress)


def first_night_facts(
    document: StrategyDocument, people: Population, start: date, bank: SimulationBank
) -> pa.Table:
    """The facts the strategy reads of every customer on the first night (what a model trained on
    the simulation may read)."""
    run = _Run(document, people, start, 0, bank, Responses())
    try:
        return run.facts(start)
    finally:
        run.engine.close()


class _Run:
    def __init__(
        self,
        document: StrategyDocument,
        people: Population,
        start: date,
        seed: int,
        bank: SimulationBank,
        responses: Responses,
    ) -> None:
        self.document, self.people, self.start, self.seed = document, people, start, seed
        self.bank, self.responses = bank, responses
        self.state = _State.start(people)
        self.events = _Events()
        self.customer_ids = people.customer_ids()
        self.case_ids = people.case_ids()
        self.zone_names, self.zone = people.zones()
        self.steps = _StepTimes.of(document)
        self.morning = self.steps.morning()
        self.costs = {a: document.costs.minor(a) if document.costs else 0 for a in ACTIONS}
        if document.costs and document.costs.currency != CURRENCY:
            raise InvalidInputError(
                N_("the simulated customers owe {owed}; the strategy's costs are in {currency}"),
                owed=CURRENCY,
                currency=document.costs.currency,
            )
        n = people.size
        self.outcome = Outcome(
            collected=np.zeros(n, np.int64),
            cost=np.zeros(n, np.int64),
            cured=np.zeros(n, bool),
            start_bucket=self._buckets(self.state.dpd(people.monthly_due)),
            end_bucket=np.zeros(n, np.int64),
            complaints=np.zeros(n, np.int64),
            opted_out=np.zeros(n, bool),
            promises=np.zeros(n, np.int64),
            kept=np.zeros(n, np.int64),
            contacts={c: np.zeros(n, np.int64) for c in CHANNELS},
            blocked=np.zeros(n, np.int64),
        )
        self.bucket_names = pa.array([b.name for b in bank.rules.buckets], pa.string())
        self.band_names = pa.array(bank.bands.names(), pa.string())
        self.products = product_names().take(pa.array(people.product.astype(np.int64)))
        self.languages = people.languages()
        self.countries = people.countries()
        self.zones_text = _labels(tuple(self.zone_names), self.zone)
        self.births = pa.array(people.birth.astype("datetime64[D]"), pa.date32())
        self.engine = evaluation.DuckDBStrategyEngine()

    @contextmanager
    def lap(self, name: str) -> Iterator[None]:
        started = clock.perf_counter()
        try:
            yield
        finally:
            self.outcome.seconds[name] += clock.perf_counter() - started

    def run(self, days: int, progress: ProgressHook | None) -> Outcome:
        state = evaluation.STATE_SCHEMA.empty_table()
        try:
            for t in range(days):
                state = self.night(t, state)
                with self.lap("day"):
                    self.day(t + 1)
                if progress is not None:
                    progress(t + 1)
        finally:
            self.engine.close()
        out = self.outcome
        out.end_bucket = self._buckets(self.state.dpd(self.people.monthly_due))
        out.cured = ~self.state.open
        return out

    # --- the night ---------------------------------------------------------------------------

    def night(self, t: int, state: pa.Table) -> pa.Table:
        as_of = self.start + timedelta(days=t)
        n = self.people.size
        self.draws = _Draws.of(self.seed, t + 1, n)
        self.nudge = np.zeros(n)
        self.complaint_odds = np.zeros(n)
        self.complaint_at = np.zeros(n, np.int64)
        self.state.recent[(t + 1) % RECENT_DAYS] = 0
        with self.lap("facts"):
            facts = self.facts(as_of)
        previous = as_of - timedelta(days=1) if t else None
        with self.lap("evaluation"):
            due = evaluation.evaluate(self.engine, self.document, facts, state, as_of, previous)
        who = _case_numbers(due["case_id"])
        _, first = np.unique(who, return_index=True)  # a case's rows share its segment, arm and entry
        placed = due.select(evaluation.STATE_SCHEMA.names).take(pa.array(first))
        self.outcome.unplaced_nights += facts.num_rows - placed.num_rows
        self.act(t + 1, due.append_column("who", pa.array(who)))
        return placed.cast(evaluation.STATE_SCHEMA)

    def facts(self, as_of: date) -> pa.Table:
        """The open cases' facts (numbers picked from the open rows first; text taken by index)."""
        s, t = self.state, (as_of - self.start).days
        open_ = np.flatnonzero(s.open)
        rows, n = pa.array(open_), len(open_)
        dpd = s.dpd(self.people.monthly_due)[open_]
        score = self._scores()[open_]
        return pa.table(
            [
                self.case_ids.take(rows),
                self.customer_ids.take(rows),
                pa.repeat(pa.scalar(self.start, pa.date32()), n),
                self.bucket_names.take(pa.array(self._buckets(dpd))),
                pa.array(dpd, pa.int32()),
                pa.array(s.overdue[open_], pa.int64()),
                pa.repeat(pa.scalar(CURRENCY), n),
                pa.array(score, pa.int32()),
                self.band_names.take(pa.array(self.bank.bands.index(score))),
                pa.repeat(pa.scalar("none"), n),
                pa.nulls(n, pa.float64()),
                self.products.take(rows),
                pa.array(s.broken[open_], pa.int32()),
                _labels(("none", "open"), (s.promise_due[open_] > t).astype(np.int64)),
                pa.repeat(pa.scalar("none"), n),
                _labels(("none", "dispute"), (s.hold_until[open_] > t).astype(np.int64)),
                pa.array(s.placed_until[open_] > t, pa.bool_()),
                self.languages.take(rows),
                self.countries.take(rows),
                self.zones_text.take(rows),
                self.births.take(rows),
                _labels(LAST_CONTACTS, s.last_contact[open_]),
                pa.nulls(n, pa.float64()),  # no uplift model scores the simulated customers
                pa.nulls(n, pa.string()),
                pa.nulls(n, pa.string()),
            ],
            schema=FACTS_SCHEMA,
        )

    def _buckets(self, dpd: Ints) -> Ints:
        lows = np.array([b.low for b in self.bank.rules.buckets])
        return np.searchsorted(lows, dpd, side="right") - 1

    def _scores(self) -> Ints:
        """The propensity score a model would give: the truth (ability times willingness) seen
        through noise, lowered by every broken promise."""
        p = self.people
        truth = np.clip(p.ability * p.willingness, 0.01, 0.99)
        logit = (
            np.log(truth / (1 - truth))
            + p.score_noise
            - self.responses.broken_promise_score * self.state.broken
        )
        return ScoreScale().score(1 / (1 + np.exp(-logit)))

    # --- the actions of the next day ---------------------------------------------------------------

    def act(self, day: int, due: pa.Table) -> None:
        steps = due.filter(pc.and_(pc.is_valid(due["step"]), pc.is_null(due["stopped_by"])))
        if not steps.num_rows:
            return
        keyed = steps.select(["who", "path", "step"]).join(self.steps.table, ["path", "step"])
        who = keyed["who"].to_numpy()
        key = keyed["key"].to_numpy()
        action = np.array([ACTIONS.index(s.action) for s in self.steps.steps.values()], np.int64)[key]
        at = self.steps.instants(self.start + timedelta(days=day), self.zone_names)[key, self.zone[who]]
        with self.lap("gate"):
            allowed = self.gate(who, action, at)
        self.outcome.blocked += np.bincount(who[~allowed], minlength=self.people.size)
        for a, name in enumerate(ACTIONS):
            chosen = allowed & (action == a)
            self.outcome.actions[name] = self.outcome.actions.get(name, 0) + int(chosen.sum())
            if chosen.any():
                self.perform(day, name, who[chosen], at[chosen], key[chosen])

    def gate(self, who: Ints, action: Ints, at: Ints) -> Mask:
        """Allowed by the rule pack: the contacts put to the batch gate, the other steps as they are."""
        channels = np.array([GATE_CHANNELS.get(a, "") for a in ACTIONS], dtype=object)[action]
        points_of = np.array([CHANNEL_POINT.get(a, 0) for a in ACTIONS], np.int64)[action]
        contact = channels != ""
        allowed = np.ones(len(who), bool)
        if not contact.any():
            return allowed
        rows = np.flatnonzero(contact)
        customers = np.unique(who[rows])
        ids = self.customer_ids.take(pa.array(customers))
        requests = pa.table(
            {
                "row": pa.array(np.arange(len(rows)), pa.int64()),
                "customer_id": self.customer_ids.take(pa.array(who[rows])),
                "channel": pa.array(channels[rows], pa.string()),
                "to": _point_ids(points_of[rows], self.customer_ids.take(pa.array(who[rows]))),
                "at": pa.array(at[rows], pa.timestamp("us", tz="UTC")),
                "purpose": pa.repeat(pa.scalar("strategy"), len(rows)),
            }
        )
        points = pa.table(
            {
                "customer_id": pa.concat_arrays([ids] * len(POINT_TYPES)),
                "point_id": pa.concat_arrays(
                    [_point_ids(np.full(len(ids), p), ids) for p in range(len(POINT_TYPES))]
                ),
                "type": pa.concat_arrays([pa.repeat(pa.scalar(t), len(ids)) for t in POINT_TYPES]),
                "party": pa.repeat(pa.scalar("debtor"), len(ids) * len(POINT_TYPES)),
            }
        )
        customers_table = pa.table(
            {"customer_id": ids, "timezone": self.zones_text.take(pa.array(customers))}
        )
        facts = BatchFacts.of(customers_table, points, self.events.of(customers, self.customer_ids))
        verdict = decide_batch(requests, facts, self.bank.pack).table["verdict"]
        allowed[rows] = pc.equal(verdict, "allow").to_numpy(zero_copy_only=False)
        return allowed

    def perform(self, day: int, action: str, who: Ints, at: Ints, key: Ints) -> None:
        s, out, r, p = self.state, self.outcome, self.responses, self.people
        out.cost[who] += self.costs[action]
        if action == "agency_placement":
            lasting = np.array([st.placement_days or r.agency_days for st in self.steps.steps.values()])[key]
            s.placed_until[who] = day + lasting
            return
        if action == "legal_referral":
            s.legal_until[who] = day + r.legal_days
            return
        out.contacts[action][who] += 1
        s.recent[day % RECENT_DAYS, who] += 1
        c = CHANNELS.index(action)
        chance = p.reach[who, c]
        if action == "call":
            chance = np.where(self.morning[key] & p.evening[who], chance * r.morning_answer, chance)
        reached = self.draws.reach[who, c] < chance
        point = CHANNEL_POINT[action]
        kind = EVENT_KINDS.index("visit" if action == "field_visit" else action)
        if action == "call":
            s.last_contact[who] = np.where(
                reached, LAST_CONTACTS.index("conversation"), LAST_CONTACTS.index("no_answer")
            )
            self.events.add(day, who, at, kind, point, s.last_contact[who])
            talked = who[reached]
            promised = self.draws.promise[talked] < r.promise_on_conversation * p.willingness[talked]
            s.promise_due[talked[promised]] = day + r.promise_days
            out.promises[talked[promised]] += 1
        else:
            self.events.add(day, who, at, kind, point)
        reach_who, reach_at = who[reached], at[reached]
        self.nudge[reach_who] += r.nudge[action] * p.willingness[reach_who]
        pressure = 1 + r.pressure * s.recent.sum(axis=0, dtype=np.int64)[reach_who]
        self.complaint_odds[reach_who] += r.complaint[action] * p.touchy[reach_who] * pressure
        self.complaint_at[reach_who] = reach_at
        if action in r.opt_out:
            quits = self.draws.opt_out[reach_who, c] < r.opt_out[action] * pressure
            self.events.add(day, reach_who[quits], reach_at[quits], EVENT_KINDS.index("opt_out"), point)
            out.opted_out[reach_who[quits]] = True

    # --- the day ------------------------------------------------------------------------------

    def day(self, d: int) -> None:
        """What day ``d`` brings once its contacts happened (:meth:`act`), on the day's draws."""
        s, p, r, out, u = self.state, self.people, self.responses, self.outcome, self.draws
        was_open = s.open.copy()
        self._complaints(d, was_open)
        s.since_due[was_open] += 1
        falls = was_open & (s.since_due >= 30)
        s.since_due[falls] = 0
        s.overdue[falls] += p.monthly_due[falls]
        promised = was_open & (s.promise_due == d)
        keeps = promised & (u.keep < p.ability * (0.5 + 0.5 * p.willingness))
        s.broken[promised & ~keeps] += 1
        out.kept[keeps] += 1
        s.promise_due[promised] = -1
        hazard = (
            p.self_cure
            + self.nudge
            + r.agency_hazard * p.ability * (s.placed_until >= d)
            + r.legal_hazard * p.ability * (s.legal_until >= d)
        )
        pays = was_open & ((u.pay < hazard) | keeps)
        in_full = keeps | (u.full < p.ability)
        part = np.floor(s.overdue * p.ability * r.partial_share).astype(np.int64)
        amount = np.where(pays, np.where(in_full, s.overdue, part), 0)
        share = falls & (p.behaviour == Behaviour.PARTIAL) & (u.partial < r.partial_payer_pays)
        amount += np.where(share, np.floor(p.monthly_due * p.ability).astype(np.int64), 0)
        amount = np.minimum(amount, s.overdue)
        s.overdue -= amount
        out.collected += amount
        out.daily_collected.append(int(amount.sum()))
        placed = s.placed_until >= d
        out.cost[placed] += amount[placed] * round(r.agency_commission * 10_000) // 10_000
        cured = was_open & (s.overdue <= 0)
        s.open[cured] = False
        s.since_due[cured] = 0
        self.events.forget_before(d - RECENT_DAYS)

    def _complaints(self, d: int, was_open: Mask) -> None:
        """The day's contacts that turned into complaints: each holds collection (a dispute) while
        it is looked into, and the gate is told when it opened and when it will be resolved."""
        s, r = self.state, self.responses
        complainers = np.flatnonzero(was_open & (self.draws.complaint < self.complaint_odds))
        if not len(complainers):
            return
        self.outcome.complaints[complainers] += 1
        s.hold_until[complainers] = d + r.complaint_hold_days
        at = self.complaint_at[complainers]
        self.events.add(d, complainers, at, EVENT_KINDS.index("dispute_opened"), 0)
        later = at + r.complaint_hold_days * 86_400 * MICROS
        self.events.add(d, complainers, later, EVENT_KINDS.index("dispute_resolved"), 0)


@dataclass(frozen=True)
class _Draws:
    """The day's uniform draws, one per customer and purpose (common random numbers)."""

    reach: npt.NDArray[np.float32]
    promise: npt.NDArray[np.float32]
    opt_out: npt.NDArray[np.float32]
    complaint: npt.NDArray[np.float32]
    pay: npt.NDArray[np.float32]
    full: npt.NDArray[np.float32]
    keep: npt.NDArray[np.float32]
    partial: npt.NDArray[np.float32]

    @classmethod
    def of(cls, seed: int, day: int, size: int) -> _Draws:
        rng = np.random.default_rng([seed, day])

        def u(*shape: int) -> npt.NDArray[np.float32]:
            return rng.random(shape if len(shape) > 1 else shape[0], dtype=np.float32)

        return cls(
            reach=u(size, len(CHANNELS)),
            promise=u(size),
            opt_out=u(size, len(CHANNELS)),
            complaint=u(size),
            pay=u(size),
            full=u(size),
            keep=u(size),
            partial=u(size),
        )
