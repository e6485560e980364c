"""Who pays anyway: the uplift model of the strategy's fact ``uplift_band``.

Trained on randomised arms (:mod:`arrears.scoring.uplift`, a T-learner): a real experiment's
matured members (treated: every other arm, one classifier each, or the one named; control: the
arm with no path), each with the facts of the night it entered the arm and whether its case was
cured within the horizon; or,
for a bank with no experiment yet, the simulator's customers randomised into a strategy and no
action. Stored in the scoring registry as a version of purpose :data:`PURPOSE`, activated as any
model; both are audited (``model.train``, ``model.activate``).

Scored every night, set-based, when the case facts are read
(:func:`arrears.strategy.facts.score_uplift`): every open case gets ``uplift_gain`` and
``uplift_band`` from the active model, NULL when none is active; the scored cases' drift against
the training sample is judged (:mod:`arrears.strategy.uplift_drift`).

The persuadable threshold is the default, chosen (``--gain-threshold``) or the break-even gain of
the contact's cost (``--contact-cost``, or ``--cost-from-arms``: what the arms cost at the strategy's
prices, :mod:`arrears.strategy.uplift_thresholds`); how, is kept in the version's metrics
(``threshold_basis``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal, actor_of, check_permission
from arrears.cases.models import CaseAccount
from arrears.clock import FixedClock
from arrears.delinquency.models import DelinquencySnapshot
from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_, Text
from arrears.portfolio.models import Account, Customer
from arrears.scoring import repository as scoring_repository
from arrears.scoring import service as scoring_service
from arrears.scoring import uplift
from arrears.scoring.models import AccountScore, ModelVersion
from arrears.strategy import experiments, uplift_thresholds
from arrears.strategy.document import Costs, Experiment
from arrears.strategy.models import ExperimentMember
from arrears.strategy.simulation import evidence
from arrears.strategy.simulation.pair import Plan
from arrears.strategy.uplift_thresholds import ContactCost

PURPOSE = uplift.PURPOSE


def load(row: ModelVersion) -> uplift.UpliftModel:
    return uplift.UpliftModel.from_bytes(scoring_service.artifact_of(row))


class Thresholds(NamedTuple):
    """The bands' thresholds (:mod:`arrears.scoring.uplift`), stored with the model. ``gain``
    None: derived from the contact's cost (:mod:`uplift_thresholds`), else the default."""

    gain: float | None = None
    sure: float = uplift.SURE_THRESHOLD

    def checked(self) -> Thresholds:
        if not ((self.gain is None or 0 < self.gain < 1) and 0 < self.sure < 1):
            raise InvalidInputError(
                N_("--gain-threshold and --sure-threshold are chances between 0 and 1, like 0.05 and 0.5")
            )
        return self


@dataclass(frozen=True)
class Trained:
    version: int
    activated: bool
    metrics: dict[str, Any]


def train_simulated(
    session: Session,
    who: Principal | Actor,
    plan: Plan,
    *,
    rounds: int | None,
    protected: frozenset[str],
    now: datetime,
    activate: bool = False,
    thresholds: Thresholds | None = None,
    costs: ContactCost | None = None,
) -> Trained:
    """A model trained on the simulator's customers randomised into the plan's two strategies
    (control first); its measures include the Qini against the truth, which only a simulation has.
    ``costs``: the persuadable threshold at the break-even gain, each customer's amount collected
    (and cost, at each strategy's prices) being that of its arm."""
    check_permission(who, Permission.STRATEGY_WRITE)
    _check_costs(thresholds, costs)
    found = evidence.potential(plan)
    priced = all(document.costs is not None for document in plan.documents)
    data = evidence.randomised(
        found.facts, plan.start, found.paid[0], found.paid[1], plan.seed, protected,
        collected=found.collected, cost=found.cost if priced else None,
    )  # fmt: skip
    source = (
        f"simulated: {plan.names[1]} against {plan.names[0]}, {plan.customers} customers, "
        f"{plan.days} days from {plan.start.isoformat()}, seed {plan.seed}"
    )
    window = (plan.start, plan.start)
    return _store(session, who, data, source, rounds, plan.seed, now, activate, window, thresholds, costs)


def train_from_experiment(
    session: Session,
    who: Principal | Actor,
    experiment: Experiment,
    *,
    arm: str | None,
    buckets: tuple[str, ...],
    horizon_days: int,
    as_of: date,
    rounds: int | None,
    seed: int,
    protected: frozenset[str],
    now: datetime,
    activate: bool = False,
    thresholds: Thresholds | None = None,
    costs: ContactCost | None = None,
    prices: Costs | None = None,
) -> Trained:
    """A model trained on an experiment's matured members: the arm left alone
    (:func:`untreated_arm`) against ``arm``, or against every other arm at once (None: one
    classifier per arm, a customer's gain that of its best arm); the outcome is the case cured
    within the horizon. ``costs``: the persuadable threshold at the break-even gain, the
    value of a paying member the mean collected from those cured (in their cases' currency);
    ``prices``: the strategy's cost per action, each member's cost counted at them (its actions
    in the horizon, as the experiment's report counts them) for ``--cost-from-arms``; with several
    treated arms, each arm's own break-even (:mod:`uplift_thresholds`)."""
    check_permission(who, Permission.STRATEGY_WRITE)
    _check_costs(thresholds, costs)
    control = untreated_arm(experiment)
    treated = _treated_arms(experiment, control, arm)
    counted = prices if costs is not None and costs.cost is None else None
    members = [
        m
        for m in experiments.matured_members(
            session, experiment, counted, buckets, horizon_days=horizon_days, as_of=as_of
        )
        if m.arm == control or m.arm in treated
    ]
    if not members:
        raise InvalidInputError(
            N_("experiment {experiment} has no member whose {days} days have passed"),
            experiment=experiment.code,
            days=horizon_days,
        )
    facts = entry_facts(session, experiment.code, members)
    products = uplift.products_of(facts)
    entered = pa.array([m.entered_on for m in members], pa.date32())
    x, names = uplift.features(facts, entered, products, protected)
    currencies = sorted({m.currency for m in members})
    if costs is not None and len(currencies) != 1:
        raise InvalidInputError(
            N_(
                "experiment {experiment}'s members are in several currencies ({currencies}): "
                "--contact-cost needs one"
            ),
            experiment=experiment.code,
            currencies=", ".join(currencies),
        )
    if counted is not None and currencies != [counted.currency]:
        raise InvalidInputError(
            N_(
                "experiment {experiment}'s members are in {currencies} and its strategy's prices in "
                "{priced}: --cost-from-arms needs one currency"
            ),
            experiment=experiment.code,
            currencies=", ".join(currencies),
            priced=counted.currency,
        )
    index = {name: k for k, name in enumerate(treated)}
    data = uplift.Randomised(
        x,
        names,
        products,
        np.array([m.arm != control for m in members]),
        np.array([m.cured for m in members], np.int8),
        collected=np.array([m.collected for m in members], np.int64),
        currency=currencies[0] if len(currencies) == 1 else None,
        cost=None if counted is None else np.array([m.cost for m in members], np.int64),
        arm=np.array([index.get(m.arm, -1) for m in members], np.int16),
        arms=treated,
        control=control,
    )
    source = (
        f"experiment {experiment.code}: {', '.join(treated)} against {control}, "
        f"cured within {horizon_days} days"
    )
    window = (min(m.entered_on for m in members), max(m.entered_on for m in members))
    return _store(session, who, data, source, rounds, seed, now, activate, window, thresholds, costs)


def untreated_arm(experiment: Experiment) -> str:
    """The arm left alone: the no-action control (``path: none``) when there is one, else the
    report's control (the champion)."""
    return next((a.name for a in experiment.arms if a.path == "none"), experiments.control_arm(experiment))


def _treated_arms(experiment: Experiment, control: str, arm: str | None) -> tuple[str, ...]:
    """The arms set against the control: the one named, else every other (in the experiment's
    order)."""
    others = tuple(a.name for a in experiment.arms if a.name != control)
    if arm is None:
        return others
    if arm not in others:
        raise InvalidInputError(
            N_("name the arm to set against {control} with --arm: one of {arms}"),
            control=control,
            arms=f"{', '.join(others)} (not {echo(arm)})",
        )
    return (arm,)


def entry_facts(session: Session, code: str, members: list[experiments.Member]) -> pa.Table:
    """Each member's facts on the day it entered (in the members' order): its case's worst
    account's DPD and product and the overdue of its accounts in that day's snapshot, its best
    score of the latest scored date up to then, its customer's language and birth date."""
    entered = {m.case_id: m.entered_on for m in members}
    case_ids = [m.case_id for m in members]
    snapshot: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    people: dict[str, tuple[str, date | None]] = {}
    scores: dict[str, tuple[date, int]] = {}
    for ids in experiments.chunks(sorted(entered)):
        for case_id, product, language, born, dpd, overdue in session.execute(
            select(
                CaseAccount.case_id,
                Account.product,
                Customer.language,
                Customer.birth_date,
                DelinquencySnapshot.dpd,
                DelinquencySnapshot.overdue_amount,
            )
            .join(ExperimentMember, ExperimentMember.case_id == CaseAccount.case_id)
            .join(Account, Account.account_id == CaseAccount.account_id)
            .join(Customer, Customer.customer_id == Account.customer_id)
            .outerjoin(
                DelinquencySnapshot,
                and_(
                    DelinquencySnapshot.account_id == CaseAccount.account_id,
                    DelinquencySnapshot.as_of == ExperimentMember.entered_on,
                ),
            )
            .where(ExperimentMember.experiment == code, CaseAccount.case_id.in_(ids))
        ):
            people[case_id] = (language or "", born)
            snapshot[case_id].append((-1 if dpd is None else dpd, overdue or 0, product or ""))
        for scored_case, day, score in session.execute(
            select(AccountScore.case_id, AccountScore.as_of, AccountScore.score).where(
                AccountScore.case_id.in_(ids)
            )
        ):
            case_id = str(scored_case)
            if day <= entered[case_id] and (case_id not in scores or (day, score) > scores[case_id]):
                scores[case_id] = (day, score)
    rows = []
    for case_id in case_ids:
        accounts = snapshot.get(case_id) or [(-1, 0, "")]
        worst = max(accounts)
        language, born = people.get(case_id, ("", None))
        rows.append(
            {
                "dpd": worst[0] if worst[0] >= 0 else None,
                "overdue": sum(a[1] for a in accounts),
                "score": scores[case_id][1] if case_id in scores else None,
                "product": worst[2],
                "language": language,
                "birth_date": born,
            }
        )
    return pa.Table.from_pylist(rows, ENTRY_SCHEMA)


ENTRY_SCHEMA = pa.schema(
    [
        ("dpd", pa.int32()),
        ("overdue", pa.int64()),
        ("score", pa.int32()),
        ("product", pa.string()),
        ("language", pa.string()),
        ("birth_date", pa.date32()),
    ]
)


def _store(
    session: Session,
    who: Principal | Actor,
    data: uplift.Randomised,
    source: str,
    rounds: int | None,
    seed: int,
    now: datetime,
    activate: bool,
    window: tuple[date, date],
    thresholds: Thresholds | None,
    costs: ContactCost | None,
) -> Trained:
    gain, sure = thresholds or Thresholds()
    arms = uplift_thresholds.ArmCosts(data.cost, data.treated, data.arm, data.arms)
    found = uplift_thresholds.basis(gain, costs, data.outcome, data.collected, data.currency, arms)
    try:
        model, metrics = uplift.train(data, rounds, seed, found.gain, sure, found.arm_thresholds())
    except ValueError as error:
        raise InvalidInputError(  # the reason a marked message, said in the reader's language
            N_("the uplift model cannot be trained: {reason}"), reason=Text.of(str(error))
        ) from error
    metrics["threshold_basis"] = found.to_json()
    parameters = {"rounds": rounds, "seed": seed, "learner": "two LightGBM classifiers (T-learner)"}
    row = scoring_service.register(
        session,
        model,
        scoring_service.TrainingRecord(PURPOSE, source[:500], parameters, metrics, _checksum(data), *window),
        FixedClock(now),
        actor_of(who).name,
    )
    record(
        session,
        actor_of(who),
        "model.train",
        at=now,
        object_type="model_version",
        object_id=str(row.id),
        after={"purpose": PURPOSE, "version": row.version, "source": row.training_source},
    )
    if activate:
        activate_version(session, who, row.version, now)
    return Trained(row.version, activate, metrics)


def _check_costs(thresholds: Thresholds | None, costs: ContactCost | None) -> None:
    """Refused before any work: a threshold both chosen and derived."""
    if costs is not None and thresholds is not None and thresholds.gain is not None:
        raise InvalidInputError(uplift_thresholds.BOTH)


def activate_version(session: Session, who: Principal | Actor, version: int, now: datetime) -> ModelVersion:
    """Make a version the active uplift model: from the next night, the bands are its."""
    check_permission(who, Permission.STRATEGY_APPROVE)
    before = scoring_repository.active_version(session, PURPOSE)
    row = scoring_service.activate(session, PURPOSE, version, FixedClock(now))
    record(
        session,
        actor_of(who),
        "model.activate",
        at=now,
        object_type="model_version",
        object_id=str(row.id),
        before=None if before is None else {"purpose": PURPOSE, "version": before.version},
        after={"purpose": PURPOSE, "version": row.version},
    )
    return row


def _checksum(data: uplift.Randomised) -> str:
    digest = hashlib.sha256()
    digest.update("\x1f".join(data.names).encode())
    for part in (data.x, data.treated, data.outcome):
        digest.update(np.ascontiguousarray(part).tobytes())
    if len(data.arms) > 1:  # which treated arm each customer was in (one arm: the flags say it)
        digest.update("\x1f".join(data.arms).encode())
        digest.update(np.ascontiguousarray(data.arm_of()).tobytes())
    return digest.hexdigest()
