"""What the simulator can prove and an experiment on real customers cannot: it knows the truth.

The same customers run under a treatment strategy and under a control (by default, no action),
with common random numbers: each customer's two *potential outcomes* are both known — whether
they were paid up by the end of the horizon with the treatment and without it — and so is each
one's effect, the difference. Two checks read them (docs/strategy.md, "What the simulator
proves"):

- :func:`power_check`: a champion/challenger experiment on ``per_arm`` customers an arm, drawn at
  random from the simulated ones, replicated many times; the share of replications in which the
  two-sided z-test of the two cure rates rejects at 5% is set beside the power
  :func:`arrears.strategy.statistics.power_proportions` predicts from the true rates.
- :func:`uplift_check`: half the customers, randomised into treatment and control, train an uplift
  model (two LightGBM models, one per arm, on the facts the strategy reads on the first night: the
  difference of their predictions is the customer's estimated gain from being treated); on the
  other half, customers ranked by it are scored by the Qini coefficient, against the observed
  outcomes as a bank would measure it, and against the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from arrears.i18n import N_, translate
from arrears.scoring.uplift import Randomised, features, products_of, qini, qini_of_truth, two_models
from arrears.strategy.simulation.pair import Plan
from arrears.strategy.simulation.population import CURRENCY, Population, draw_population
from arrears.strategy.simulation.run import first_night_facts, simulate
from arrears.strategy.statistics import power_proportions, rate_nearest

Flags = npt.NDArray[np.bool_]
Amounts = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PowerCheck:
    per_arm: int
    replications: int
    control_rate: Decimal
    treatment_rate: Decimal
    predicted: Decimal
    observed: Decimal
    """The share of replications whose test rejected."""

    @property
    def within(self) -> Decimal:
        """Two standard errors of the observed share, at the predicted power."""
        p = float(self.predicted)
        return rate_nearest(2 * (p * (1 - p) / self.replications) ** 0.5)


def power_check(
    control: Flags, treatment: Flags, per_arm: int, replications: int = 1000, seed: int = 1
) -> PowerCheck:
    """Replicated experiments drawn from the potential outcomes ``control`` and ``treatment`` (one
    flag per customer: paid up under each); each draws two disjoint arms of ``per_arm`` customers."""
    n = len(control)
    if 2 * per_arm > n:
        raise ValueError("the arms must fit in the simulated customers")
    rng = np.random.default_rng(seed)
    rejected = 0
    z = NormalDist().inv_cdf(0.975)
    for _ in range(replications):
        drawn = rng.choice(n, 2 * per_arm, replace=False)
        first = control[drawn[:per_arm]].mean()
        second = treatment[drawn[per_arm:]].mean()
        pooled = (first + second) / 2
        spread = (pooled * (1 - pooled) * 2 / per_arm) ** 0.5
        rejected += bool(spread > 0 and abs(second - first) > z * spread)
    control_rate, treatment_rate = rate_nearest(control.mean()), rate_nearest(treatment.mean())
    return PowerCheck(
        per_arm,
        replications,
        control_rate,
        treatment_rate,
        power_proportions(control_rate, treatment_rate, per_arm, per_arm),
        rate_nearest(rejected / replications),
    )


@dataclass(frozen=True)
class UpliftCheck:
    train: int
    test: int
    true_effect: Decimal
    """The mean effect of the treatment on the chance of being paid up (the planted effect)."""
    qini_observed: float
    qini_truth: float
    """Qini coefficients of the model's ranking (0: no better than random; see :func:`qini`)."""
    qini_truth_best: float
    """The Qini coefficient of the perfect ranking, by the true effect: the ceiling."""
    top_decile_effect: Decimal
    """The true mean effect among the tenth the model ranks highest."""


def uplift_check(
    people: Population,
    facts: pa.Table,
    as_of: date,
    control: Flags,
    treatment: Flags,
    seed: int = 1,
    protected: frozenset[str] = frozenset(),
    rounds: int = 200,
) -> UpliftCheck:
    """Train on a randomised half, score the other half (see the module)."""
    x, names = features(facts, as_of, products_of(facts), protected)
    rng = np.random.default_rng([seed, 0x0F7])
    n = people.size
    train = rng.random(n) < 0.5
    treated = rng.random(n) < 0.5
    observed = np.where(treated, treatment, control).astype(np.int8)
    truth = treatment.astype(np.int64) - control.astype(np.int64)
    predicted = two_models(x[train], treated[train], observed[train], names, rounds, seed).predict(x[~train])
    test_truth, test_treated, test_observed = truth[~train], treated[~train], observed[~train]
    order = np.argsort(-predicted, kind="stable")
    top = order[: max(len(order) // 10, 1)]
    return UpliftCheck(
        int(train.sum()),
        int((~train).sum()),
        rate_nearest(truth.mean()),
        qini(predicted, test_treated, test_observed),
        qini_of_truth(predicted, test_truth),
        qini_of_truth(test_truth.astype(np.float64), test_truth),
        rate_nearest(test_truth[top].mean()),
    )


def randomised(
    facts: pa.Table,
    as_of: date,
    control: Flags,
    treatment: Flags,
    seed: int = 1,
    protected: frozenset[str] = frozenset(),
    collected: tuple[Amounts, Amounts] | None = None,
    cost: tuple[Amounts, Amounts] | None = None,
) -> Randomised:
    """The simulated customers as a bank's experiment would see them: each one randomised into
    the treated or the control arm (half each), with the outcome of that arm (and, given each
    one's amounts collected and costs under the control and under the treatment, those of that
    arm), and the true effect that no experiment sees."""
    products = products_of(facts)
    x, names = features(facts, as_of, products, protected)
    treated = np.random.default_rng([seed, 0x7EA7]).random(len(control)) < 0.5
    observed = np.where(treated, treatment, control).astype(np.int8)
    truth = treatment.astype(np.int64) - control.astype(np.int64)
    if collected is None:
        return Randomised(x, names, products, treated, observed, truth)
    amounts = np.where(treated, collected[1], collected[0]).astype(np.int64)
    spent = None if cost is None else np.where(treated, cost[1], cost[0]).astype(np.int64)
    return Randomised(x, names, products, treated, observed, truth, amounts, CURRENCY, spent)


@dataclass(frozen=True)
class Evidence:
    plan: Plan
    power: PowerCheck
    model: UpliftCheck


def prove(
    plan: Plan, per_arm: int, protected: frozenset[str], progress: Callable[[int, int], None] | None = None
) -> Evidence:
    """Both of the plan's strategies (control first) over its customers, then both checks on
    whether each customer was paid up by the end of the horizon."""
    people, facts, control, treatment = potential_outcomes(plan, progress)
    power = power_check(control, treatment, per_arm, seed=plan.seed)
    model = uplift_check(people, facts, plan.start, control, treatment, plan.seed, protected)
    return Evidence(plan, power, model)


def potential_outcomes(
    plan: Plan, progress: Callable[[int, int], None] | None = None
) -> tuple[Population, pa.Table, Flags, Flags]:
    """The plan's customers, their first night's facts, and whether each was paid up by the end
    of the horizon under the control (the plan's first strategy) and under the treatment."""
    found = potential(plan, progress)
    return found.people, found.facts, found.paid[0], found.paid[1]


@dataclass(frozen=True)
class Potential:
    """Each customer's outcomes under both strategies (control first): paid up by the end of the
    horizon, the amount collected and what its actions cost (minor units of the simulation's
    currency, at each strategy's prices)."""

    people: Population
    facts: pa.Table
    paid: tuple[Flags, Flags]
    collected: tuple[Amounts, Amounts]
    cost: tuple[Amounts, Amounts]


def potential(plan: Plan, progress: Callable[[int, int], None] | None = None) -> Potential:
    """:func:`potential_outcomes` with the amounts collected under each strategy."""
    people = draw_population(plan.customers, plan.seed, plan.start)
    runs = []
    for index, document in enumerate(plan.documents):
        hook = None if progress is None else (lambda done, i=index: progress(i, done))
        runs.append(
            simulate(
                document,
                people,
                start=plan.start,
                days=plan.days,
                seed=plan.seed,
                bank=plan.bank,
                progress=hook,
            )
        )
    facts = first_night_facts(plan.documents[0], people, plan.start, plan.bank)
    return Potential(
        people,
        facts,
        (runs[0].cured, runs[1].cured),
        (runs[0].collected.astype(np.int64), runs[1].collected.astype(np.int64)),
        (runs[0].cost.astype(np.int64), runs[1].cost.astype(np.int64)),
    )


def sentences(found: Evidence, language: str) -> list[str]:
    power, model, plan = found.power, found.model, found.plan
    return [
        translate(
            N_("Paid up within {days} days: {control} under {untreated}, {treatment} under {treated}."),
            language,
            days=plan.days,
            control=f"{power.control_rate:.2%}",
            untreated=plan.names[0],
            treatment=f"{power.treatment_rate:.2%}",
            treated=plan.names[1],
        ),
        translate(
            N_(
                "Power check: {replications} experiments of {per_arm} customers an arm; "
                "predicted power {predicted}, observed {observed} (± {within})."
            ),
            language,
            replications=power.replications,
            per_arm=power.per_arm,
            predicted=f"{power.predicted:.1%}",
            observed=f"{power.observed:.1%}",
            within=f"{power.within:.1%}",
        ),
        translate(
            N_(
                "Uplift model, trained on {train} customers randomised into both arms and scored on "
                "{test} others: Qini {observed} on the observed outcomes, {truth} against the truth "
                "(the perfect ranking: {best}); the tenth it ranks highest gain {top}, {mean} on average."
            ),
            language,
            train=f"{model.train:,}",
            test=f"{model.test:,}",
            observed=f"{model.qini_observed:.3f}",
            truth=f"{model.qini_truth:.3f}",
            best=f"{model.qini_truth_best:.3f}",
            top=f"{model.top_decile_effect:.2%}",
            mean=f"{model.true_effect:.2%}",
        ),
    ]
