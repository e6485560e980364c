"""Champion and challenger run over the same simulated customers, side by side.

Each strategy runs in a process of its own (the machine's two cores, one each), the customers
drawn again there from the same seed (the same customers, no copy sent across), the luck of each
day from the same seed too: :mod:`arrears.strategy.simulation.run`. Progress comes back day by
day through a queue.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from arrears.config import Settings
from arrears.delinquency.rules import DelinquencyRules, load_rules
from arrears.scoring.scale import Bands
from arrears.strategy.document import StrategyDocument
from arrears.strategy.simulation.population import draw_population
from arrears.strategy.simulation.report import Comparison, compare
from arrears.strategy.simulation.run import Outcome, SimulationBank, simulate
from arrears.strategy.validation import Known, Report, validate

PAIR = ("champion", "challenger")


def bank_for(settings: Settings) -> SimulationBank:
    """The bank's buckets, score bands and rule pack, as the nightly batch reads them (the
    simulated customers have their own zones: the bank's is not needed)."""
    from arrears.contacts.gate import pack_of

    rules = load_rules(settings.delinquency_rules) if settings.delinquency_rules else DelinquencyRules()
    return SimulationBank(
        rules,
        Bands.parse(settings.scoring_bands),
        pack_of(settings.compliance_pack, settings.compliance_policy),
    )


def check(document: StrategyDocument, bank: SimulationBank, protected: frozenset[str], today: date) -> Report:
    """The checks a strategy passes before approval, but for the names the database holds
    (templates, queues, agencies): the simulation sends nothing, so every name it gives is taken."""
    steps = [step for path in document.paths.values() for step in path.steps]
    known = Known(
        buckets=frozenset(b.name for b in bank.rules.buckets),
        score_bands=frozenset(bank.bands.names()),
        templates=frozenset((s.template, s.action) for s in steps if s.template),
        queues=frozenset(s.queue for s in steps if s.queue),
        agencies=frozenset(s.agency for s in steps if s.agency),
        protected=protected,
    )
    return validate(document, known, bank.pack, today)


def no_action(document: StrategyDocument) -> StrategyDocument:
    """The same segments with no step at all: the control of "what if we did nothing"."""
    paths = {code: path.model_copy(update={"steps": []}) for code, path in document.paths.items()}
    return document.model_copy(
        update={"strategy": f"{document.strategy}-none"[:64], "paths": paths, "experiments": []}
    )


@dataclass(frozen=True)
class Plan:
    documents: tuple[StrategyDocument, StrategyDocument]
    names: tuple[str, str]
    customers: int
    days: int
    seed: int
    start: date
    bank: SimulationBank


Progress = Callable[[str, int], None]


def simulate_pair(plan: Plan, progress: Progress | None = None, *, parallel: bool = True) -> Comparison:
    """Both strategies over the plan's customers; ``progress(role, days done)`` as they go."""
    if not parallel:
        outcomes = [_one(plan, i, _reporter(progress, PAIR[i])) for i in range(2)]
        return compare(*outcomes, names=plan.names, days=plan.days, seed=plan.seed)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(2, mp_context=context) as pool:
        told: Any = manager.Queue()
        futures = [pool.submit(_one_reporting, plan, i, told) for i in range(2)]
        _relay(told, futures, progress)
        champion, challenger = (f.result() for f in futures)
    return compare(champion, challenger, names=plan.names, days=plan.days, seed=plan.seed)


def _reporter(progress: Progress | None, role: str) -> Callable[[int], None] | None:
    return None if progress is None else (lambda done: progress(role, done))


def _one(plan: Plan, index: int, hook: Callable[[int], None] | None) -> Outcome:
    people = draw_population(plan.customers, plan.seed, plan.start)
    return simulate(
        plan.documents[index],
        people,
        start=plan.start,
        days=plan.days,
        seed=plan.seed,
        bank=plan.bank,
        progress=hook,
    )


def _one_reporting(plan: Plan, index: int, told: Any) -> Outcome:
    return _one(plan, index, lambda done: told.put((PAIR[index], done)))


def _relay(told: Any, futures: list[Future[Outcome]], progress: Progress | None) -> None:
    while not all(f.done() for f in futures):
        try:
            role, done = told.get(timeout=0.5)
        except queue.Empty:
            continue
        if progress is not None:
            progress(role, done)
