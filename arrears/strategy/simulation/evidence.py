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
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from arrears.i18n import N_, translate
from arrears.strategy.simulation.pair import Plan
from arrears.strategy.simulation.population import Population, draw_population
from arrears.strategy.simulation.run import first_night_facts, simulate
from arrears.strategy.statistics import power_proportions, rate_nearest

Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
FEATURES = ("dpd", "overdue", "score", "age", "product", "english")
"""The first night's facts the uplift model reads (protected attributes a bank declares are left
out by :func:`features`)."""


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


def features(
    facts: pa.Table, as_of: date, protected: frozenset[str] = frozenset()
) -> tuple[Floats, tuple[str, ...]]:
    """The model's inputs from the first night's facts (one row per customer, in their order)."""
    born = facts["birth_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    age = (np.datetime64(as_of, "D") - born).astype(np.int64) / 365.25
    _, product = np.unique(facts["product"].to_numpy(zero_copy_only=False), return_inverse=True)
    columns = {
        "dpd": facts["dpd"].to_numpy(),
        "overdue": facts["overdue"].to_numpy(),
        "score": facts["score"].to_numpy(),
        "age": age,
        "product": product,
        "english": pc.equal(facts["language"], "en").to_numpy(zero_copy_only=False),
    }
    names = tuple(name for name in FEATURES if name not in protected)
    return np.column_stack([np.asarray(columns[name], np.float64) for name in names]), names


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
    x, names = features(facts, as_of, protected)
    rng = np.random.default_rng([seed, 0x0F7])
    n = people.size
    train = rng.random(n) < 0.5
    treated = rng.random(n) < 0.5
    observed = np.where(treated, treatment, control).astype(np.int8)
    truth = treatment.astype(np.int64) - control.astype(np.int64)
    predicted = _two_models(x[train], treated[train], observed[train], names, rounds, seed).predict(x[~train])
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


@dataclass(frozen=True)
class _TwoModels:
    treated: Any
    control: Any

    def predict(self, x: Floats) -> Floats:
        gain: Floats = self.treated.predict(x) - self.control.predict(x)
        return gain


def _two_models(
    x: Floats, treated: Flags, outcome: npt.NDArray[np.int8], names: tuple[str, ...], rounds: int, seed: int
) -> _TwoModels:
    """One LightGBM classifier per arm (the "T-learner"); the scoring's own boosting settings."""
    import lightgbm as lgb

    from arrears.scoring.boosting import DEFAULT_PARAMETERS

    parameters = DEFAULT_PARAMETERS | {"seed": seed}
    categorical: list[int] | Literal["auto"] = [names.index("product")] if "product" in names else "auto"

    def fit(rows: Flags) -> Any:
        data = lgb.Dataset(
            x[rows], label=outcome[rows], feature_name=list(names), categorical_feature=categorical
        )
        return lgb.train(parameters, data, num_boost_round=rounds)

    return _TwoModels(fit(treated), fit(~treated))


def qini(predicted: Floats, treated: Flags, outcome: npt.NDArray[np.int8]) -> float:
    """The Qini coefficient from a randomised sample (Radcliffe 2007): customers ranked by
    predicted uplift; at each cut, the treated's successes less the control's scaled to as many
    customers, ``Q(k) = Y_t(k) − Y_c(k) · N_t(k) / N_c(k)``; the area between that curve and the
    straight line of a random ranking, over the number of customers (so 0 is random), normalised
    by the total incremental gain ``Q(n)`` when it is not zero."""
    order = np.argsort(-predicted, kind="stable")
    t, y = treated[order], outcome[order].astype(np.float64)
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * ~t)
    curve = y_t - y_c * np.divide(n_t, n_c, out=np.zeros(len(t)), where=n_c > 0)
    return _area_over_random(curve)


def qini_of_truth(predicted: Floats, effect: npt.NDArray[np.int64]) -> float:
    """The Qini coefficient with the truth known: customers ranked by ``predicted``; the curve is
    the cumulative true effect (treated minus untreated outcome) of the customers so far."""
    order = np.argsort(-predicted, kind="stable")
    return _area_over_random(np.cumsum(effect[order].astype(np.float64)))


def _area_over_random(curve: Floats) -> float:
    n = len(curve)
    total = curve[-1]
    random_line = total * np.arange(1, n + 1) / n
    area = float(np.sum(curve - random_line)) / n
    return area / abs(total) if total else area


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
    people = draw_population(plan.customers, plan.seed, plan.start)
    paid = []
    for index, document in enumerate(plan.documents):
        hook = None if progress is None else (lambda done, i=index: progress(i, done))
        run = simulate(
            document, people, start=plan.start, days=plan.days, seed=plan.seed, bank=plan.bank, progress=hook
        )
        paid.append(run.cured)
    power = power_check(paid[0], paid[1], per_arm, seed=plan.seed)
    facts = first_night_facts(plan.documents[0], people, plan.start, plan.bank)
    model = uplift_check(people, facts, plan.start, paid[0], paid[1], plan.seed, protected)
    return Evidence(plan, power, model)


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
