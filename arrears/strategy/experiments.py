"""Champion / challenger results (冠军/挑战者): each arm's outcomes over a horizon, compared with the
control arm with the statistics of :mod:`arrears.strategy.statistics`, and a committee's recorded
decision.

Who is in an arm: ``experiment_members``, written by the night a case first enters an arm (the
arm is the stable hash of experiment and customer: a customer never changes arm). A member counts
once their horizon has passed (entered on E, horizon H: matured on E + H); their outcomes are
what happened to the case in [E, E + H):

- cured: the case closed cured or paid off; rolled forward: its bucket got worse;
- collected: payments to the case's accounts (reversals deducted), in the strategy's currency;
- cost: the member's actions carried out or planned, at the strategy's cost per action;
  net = collected − cost;
- promises kept (a promise taken in the window and kept), complaints received, opt-outs recorded.

The rates are compared with Wilson and Newcombe intervals and the cure rate also by the mixture
SPRT over daily looks (one look per maturity day); the net amounts by a BCa bootstrap of the
difference of means. The decision hint is the statistics module's; the committee decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Promise, PromiseStatus
from arrears.cases.models import Case, CaseAccount, CaseEvent, CaseEventKind
from arrears.contacts.models import ContactPreference, PreferenceKind
from arrears.disputes.models import Complaint
from arrears.portfolio.models import Payment
from arrears.strategy import statistics
from arrears.strategy.document import Costs, Experiment
from arrears.strategy.models import ActionStatus, ExperimentMember, StrategyAction

CHUNK = 5000
COUNTED = (ActionStatus.DONE, ActionStatus.PLANNED, ActionStatus.CONFIRMED)
"""Actions that cost the bank (carried out, or planned to be)."""
RATES = ("cured", "rolled_forward", "promise_kept", "complained", "opted_out")
LOWER_IS_BETTER = frozenset({"rolled_forward", "complained", "opted_out"})


@dataclass
class Member:
    case_id: str
    customer_id: str
    arm: str
    entered_on: date
    currency: str = ""
    cured: bool = False
    rolled_forward: bool = False
    promise_kept: bool = False
    complained: bool = False
    opted_out: bool = False
    collected: int = 0
    cost: int = 0

    @property
    def net(self) -> int:
        return self.collected - self.cost


@dataclass(frozen=True)
class ArmResult:
    arm: str
    members: int
    rates: dict[str, statistics.RateInterval]
    collected_per_account: Decimal | None
    cost_per_account: Decimal | None
    net_per_account: Decimal | None


@dataclass(frozen=True)
class Comparison:
    arm: str
    differences: dict[str, statistics.DifferenceInterval]
    net: statistics.AmountDifference | None
    cure: statistics.ArmComparison | None
    daily: tuple[tuple[date, statistics.SequentialResult], ...] = ()
    """The cure rate's sequential test at each daily look (the day members matured), oldest first."""


@dataclass
class ExperimentReport:
    experiment: str
    segment: str
    horizon_days: int
    as_of: date
    currency: str | None
    control: str
    arms: list[ArmResult] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    waiting: int = 0
    """Members whose horizon has not passed yet."""
    other_currency: int = 0
    """Matured members whose case is in another currency (left out of the amounts)."""


def report(
    session: Session,
    experiment: Experiment,
    costs: Costs | None,
    buckets: Sequence[str],
    *,
    horizon_days: int,
    as_of: date,
    plan: statistics.ProportionSampleSize | None = None,
) -> ExperimentReport:
    """The experiment's results on ``as_of`` (``buckets``: the bank's, best first, to tell a roll
    forward)."""
    control = control_arm(experiment)
    everyone = _members(session, experiment.code)
    horizon = timedelta(days=horizon_days)
    matured = [m for m in everyone if m.entered_on + horizon <= as_of]
    result = ExperimentReport(
        experiment.code, experiment.segment, horizon_days, as_of, costs.currency if costs else None, control
    )
    result.waiting = len(everyone) - len(matured)
    _outcomes(session, matured, horizon, costs, buckets)
    by_arm: dict[str, list[Member]] = defaultdict(list)
    for member in matured:
        by_arm[member.arm].append(member)
    priced = [m for m in matured if costs is None or m.currency == costs.currency]
    result.other_currency = len(matured) - len(priced)
    for arm in experiment.arms:
        result.arms.append(_arm_result(arm.name, by_arm.get(arm.name, []), costs))
    controls = by_arm.get(control, [])
    for arm in experiment.arms:
        if arm.name != control and controls and by_arm.get(arm.name):
            result.comparisons.append(_compare(arm.name, controls, by_arm[arm.name], costs, horizon, plan))
    return result


def matured_members(
    session: Session,
    experiment: Experiment,
    costs: Costs | None,
    buckets: Sequence[str],
    *,
    horizon_days: int,
    as_of: date,
) -> list[Member]:
    """The members whose horizon has passed on ``as_of``, with their outcomes (the uplift model's
    training rows, :mod:`arrears.strategy.uplift`)."""
    horizon = timedelta(days=horizon_days)
    matured = [m for m in _members(session, experiment.code) if m.entered_on + horizon <= as_of]
    _outcomes(session, matured, horizon, costs, buckets)
    return matured


def control_arm(experiment: Experiment) -> str:
    """The report's control: the arm that follows the segment's own path (the champion), else
    the first arm."""
    return next((a.name for a in experiment.arms if a.path is None), experiment.arms[0].name)


def _members(session: Session, code: str) -> list[Member]:
    rows = session.execute(
        select(
            ExperimentMember.case_id,
            ExperimentMember.customer_id,
            ExperimentMember.arm,
            ExperimentMember.entered_on,
        )
        .where(ExperimentMember.experiment == code)
        .order_by(ExperimentMember.entered_on, ExperimentMember.case_id)
    ).all()
    return [Member(case_id, customer_id, arm, entered_on) for case_id, customer_id, arm, entered_on in rows]


def chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _outcomes(
    session: Session,
    members: Sequence[Member],
    horizon: timedelta,
    costs: Costs | None,
    buckets: Sequence[str],
) -> None:
    """Each member's outcomes in [entered on, entered on + horizon)."""
    by_case = {m.case_id: m for m in members}
    by_customer = {m.customer_id: m for m in members}
    rank = {name: i for i, name in enumerate(buckets)}

    def within(member: Member, day: date) -> bool:
        return member.entered_on <= day < member.entered_on + horizon

    case_ids = sorted(by_case)
    for ids in chunks(case_ids):
        for case_id, currency, closed_on, reason in session.execute(
            select(Case.case_id, Case.currency, Case.closed_on, Case.close_reason).where(
                Case.case_id.in_(ids)
            )
        ):
            member = by_case[case_id]
            member.currency = currency
            member.cured = (
                closed_on is not None and within(member, closed_on) and reason in ("cured", "paid_off")
            )
        for case_id, day, before, after in session.execute(
            select(
                CaseEvent.case_id, CaseEvent.occurred_on, CaseEvent.from_bucket, CaseEvent.to_bucket
            ).where(CaseEvent.case_id.in_(ids), CaseEvent.kind == str(CaseEventKind.BUCKET_CHANGED))
        ):
            worse = rank.get(after or "", -1) > rank.get(before or "", len(rank))
            by_case[case_id].rolled_forward |= worse and within(by_case[case_id], day)
        for case_id, day, amount, reverses, currency in session.execute(
            select(CaseAccount.case_id, Payment.paid_on, Payment.amount, Payment.reverses, Payment.currency)
            .join(Payment, Payment.account_id == CaseAccount.account_id)
            .where(CaseAccount.case_id.in_(ids))
        ):
            member = by_case[case_id]
            if within(member, day) and currency == member.currency:
                member.collected += -amount if reverses else amount
        for case_id, day, action in session.execute(
            select(StrategyAction.case_id, StrategyAction.as_of, StrategyAction.action).where(
                StrategyAction.case_id.in_(ids), StrategyAction.status.in_([str(s) for s in COUNTED])
            )
        ):
            if costs is not None and within(by_case[case_id], day):
                by_case[case_id].cost += costs.minor(action)
        for case_id, day in session.execute(
            select(Promise.case_id, Promise.taken_on).where(
                Promise.case_id.in_(ids), Promise.status == str(PromiseStatus.KEPT)
            )
        ):
            by_case[case_id].promise_kept |= within(by_case[case_id], day)
        for case_id, received in session.execute(
            select(Complaint.case_id, Complaint.received_at).where(Complaint.case_id.in_(ids))
        ):
            by_case[case_id].complained |= within(by_case[case_id], _day(received))
    for ids in chunks(sorted(by_customer)):
        for customer_id, recorded in session.execute(
            select(ContactPreference.customer_id, ContactPreference.recorded_at).where(
                ContactPreference.customer_id.in_(ids), ContactPreference.kind == str(PreferenceKind.OPT_OUT)
            )
        ):
            by_customer[customer_id].opted_out |= within(by_customer[customer_id], _day(recorded))


def _day(instant: datetime) -> date:
    return instant.date()


def _arm_result(arm: str, members: Sequence[Member], costs: Costs | None) -> ArmResult:
    n = len(members)
    rates = (
        {name: statistics.wilson_interval(sum(getattr(m, name) for m in members), n) for name in RATES}
        if n
        else {}
    )
    priced = [m for m in members if costs is not None and m.currency == costs.currency]

    def per_account(values: Iterable[int]) -> Decimal | None:
        amounts = list(values)
        return None if not amounts or costs is None else Decimal(sum(amounts)) / len(amounts)

    return ArmResult(
        arm,
        n,
        rates,
        per_account(m.collected for m in priced),
        per_account(m.cost for m in priced),
        per_account(m.net for m in priced),
    )


def _compare(
    arm: str,
    controls: Sequence[Member],
    challengers: Sequence[Member],
    costs: Costs | None,
    horizon: timedelta,
    plan: statistics.ProportionSampleSize | None,
) -> Comparison:
    differences = {
        name: statistics.newcombe_interval(
            sum(getattr(m, name) for m in challengers),
            len(challengers),
            sum(getattr(m, name) for m in controls),
            len(controls),
        )
        for name in RATES
    }
    net = None
    if costs is not None:
        mine = [m.net for m in challengers if m.currency == costs.currency]
        theirs = [m.net for m in controls if m.currency == costs.currency]
        if len(mine) >= 2 and len(theirs) >= 2:
            net = statistics.bootstrap_mean_difference(mine, theirs)
    cure = None
    daily: tuple[tuple[date, statistics.SequentialResult], ...] = ()
    if plan is not None:
        days, looks = _looks(controls, challengers, horizon)
        cure = statistics.compare_arms(looks, plan)
        daily = tuple(
            zip(days, statistics.sequential_test(looks, plan.minimum_effect, plan.alpha), strict=True)
        )
    return Comparison(arm, differences, net, cure, daily)


def _looks(
    controls: Sequence[Member], challengers: Sequence[Member], horizon: timedelta
) -> tuple[list[date], list[statistics.Look]]:
    """The cumulative cure counts of both arms on each day a member matured (a daily look), and
    the days of the looks."""
    looked, looks = [], []
    for day in sorted({m.entered_on + horizon for m in [*controls, *challengers]}):
        mine = [m for m in challengers if m.entered_on + horizon <= day]
        theirs = [m for m in controls if m.entered_on + horizon <= day]
        if mine and theirs:
            looked.append(day)
            looks.append(
                statistics.Look(
                    sum(m.cured for m in theirs), len(theirs), sum(m.cured for m in mine), len(mine)
                )
            )
    return looked, looks


def evidence(found: ExperimentReport) -> dict[str, Any]:
    """The report as plain values, kept with a committee's decision."""
    return {
        "experiment": found.experiment,
        "horizon_days": found.horizon_days,
        "as_of": found.as_of.isoformat(),
        "control": found.control,
        "arms": [
            {
                "arm": a.arm,
                "members": a.members,
                "rates": {name: str(r.rate) for name, r in a.rates.items()},
                "net_per_account": None if a.net_per_account is None else str(a.net_per_account),
            }
            for a in found.arms
        ],
        "comparisons": [
            {
                "arm": c.arm,
                "cure_difference": [str(c.differences["cured"].lower), str(c.differences["cured"].upper)],
                "decision": None if c.cure is None else str(c.cure.decision),
                "p_value": None if c.cure is None else str(c.cure.sequential.p_value),
            }
            for c in found.comparisons
        ],
    }
