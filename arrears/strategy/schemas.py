"""API shapes of strategies: versions, their checks and previews, the actions a night chose, the
simulation runs kept."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from arrears.i18n import translate
from arrears.money import format_major
from arrears.strategy.document import StrategyDocument
from arrears.strategy.experiments import ExperimentReport
from arrears.strategy.models import SimulationRun, Strategy, StrategyAction
from arrears.strategy.preview import Preview
from arrears.strategy.simulation import report
from arrears.strategy.simulation.population import CURRENCY
from arrears.strategy.simulation.report import Line
from arrears.strategy.simulations import comparison_of
from arrears.strategy.uplift_drift import NightDrift
from arrears.strategy.validation import Report


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrategyIn(_In):
    document: str = Field(
        min_length=1, max_length=200_000, description="The strategy as YAML (docs/strategy.md)"
    )
    note: str | None = Field(default=None, max_length=500, description="What changes, for the record")


class CheckIn(_In):
    document: str = Field(
        min_length=1, max_length=200_000, description="A strategy as YAML, checked, not stored"
    )


class ApproveIn(_In):
    active_from: date | None = Field(default=None, description="The first night it chooses (default: today)")


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(_In):
    reason: str | None = Field(default=None, max_length=500)


class ConfirmIn(DecisionIn):
    agent_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="A field visit's agent: an active field agent of a team you lead",
    )
    planned_on: date | None = Field(default=None, description="A field visit's day (default: today)")


class StrategyOut(BaseModel):
    id: int
    code: str
    number: int
    name: str = Field(description="In the caller's language")
    status: str = Field(description="draft, approved, rejected or retired")
    version: int = Field(description="The record's version (ETag)")
    digest: str
    note: str | None
    drafted_at: datetime
    drafted_by: int | None
    decided_at: datetime | None
    decided_by: int | None
    active_from: date | None
    segments: list[str]
    document: str | None = Field(default=None, description="The YAML as written (on one version's page)")

    @classmethod
    def of(cls, row: Strategy, document: StrategyDocument, language: str, *, full: bool) -> StrategyOut:
        return cls(
            id=row.id,
            code=row.code,
            number=row.number,
            name=document.names.of(language),
            status=row.status,
            version=row.version,
            digest=row.digest,
            note=row.note,
            drafted_at=row.drafted_at,
            drafted_by=row.drafted_by,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            active_from=row.active_from,
            segments=[s.code for s in document.all_segments],
            document=row.document if full else None,
        )


class StrategiesOut(BaseModel):
    strategies: list[StrategyOut]


class ProblemOut(BaseModel):
    where: str = Field(description="The place in the document, e.g. segments[2].when.bucket")
    message: str = Field(description="In the caller's language")
    warning: bool


class StepOut(BaseModel):
    path: str
    day: int
    action: str
    cases: int = Field(description="Open cases that would take the step, as things stand today")
    cost: str | None = Field(description="What they cost, in major units of the strategy's currency")


class PreviewOut(BaseModel):
    as_of: date
    cases: int
    segments: dict[str, int]
    held_back: dict[str, dict[str, int]] = Field(
        description="Per segment, cases a stop condition holds back today"
    )
    in_no_segment: int
    in_several: int
    examples_in_no_segment: list[str]
    examples_in_several: list[str]
    steps: list[StepOut]
    currency: str | None
    total_cost: str | None

    @classmethod
    def of(cls, shown: Preview) -> PreviewOut:
        currency = shown.currency
        total = shown.total_cost_minor

        def money(minor: int | None) -> str | None:
            return None if minor is None or currency is None else format_major(minor, currency)

        return cls(
            as_of=shown.as_of,
            cases=shown.cases,
            segments=shown.segments,
            held_back=shown.stopped,
            in_no_segment=shown.in_no_segment,
            in_several=shown.in_several,
            examples_in_no_segment=shown.examples_none,
            examples_in_several=shown.examples_several,
            steps=[
                StepOut(path=s.path, day=s.day, action=s.action, cases=s.cases, cost=money(s.cost_minor))
                for s in shown.steps
            ],
            currency=currency,
            total_cost=money(total),
        )


class CheckOut(BaseModel):
    valid: bool
    problems: list[ProblemOut]
    preview: PreviewOut | None = Field(description="What it would do today (when its shape is sound)")

    @classmethod
    def of(cls, report: Report, shown: Preview | None, language: str) -> CheckOut:
        return cls(
            valid=report.valid,
            problems=[
                ProblemOut(where=p.where, message=p.message.render(language), warning=p.warning)
                for p in report.problems
            ],
            preview=None if shown is None else PreviewOut.of(shown),
        )


class DiffOut(BaseModel):
    lines: list[str] = Field(description="A unified diff of the two documents")


class ActionOut(BaseModel):
    id: int
    as_of: date = Field(description="The night that chose it")
    case_id: str
    action: str
    status: str = Field(
        description="planned, rescheduled, escalated, proposed, confirmed, declined, withdrawn "
        "(a proposal the night set aside: its case closed), done or skipped"
    )
    planned_at: datetime
    window_end: datetime | None
    needs_confirmation: bool
    verdict: str | None
    rule_ids: list[str]
    reasons: list[dict[str, Any]]
    next_allowed_at: datetime | None
    why: dict[str, Any] = Field(
        description="Strategy version, segment, arm, the facts that matched, the score"
    )
    details: dict[str, Any]
    decided_at: datetime | None
    decided_by: int | None
    visit_id: int | None = Field(description="The field visit its confirmation planned")
    placement_ids: list[int] = Field(description="The placements its confirmation made, one per open account")
    case_event_id: int | None = Field(description="The case's legal_referral event its confirmation recorded")
    links: dict[str, str] = Field(
        description="Where to read what its confirmation made: the case's timeline, where the visit, "
        "each placement and the referral are entries (kind visit, placement, case_legal_referral)"
    )

    @classmethod
    def of(cls, row: StrategyAction) -> ActionOut:
        return cls(
            id=row.id,
            as_of=row.as_of,
            case_id=row.case_id,
            action=row.action,
            status=row.status,
            planned_at=row.planned_at,
            window_end=row.window_end,
            needs_confirmation=row.needs_confirmation,
            verdict=row.verdict,
            rule_ids=list(row.rule_ids),
            reasons=list(row.reasons),
            next_allowed_at=row.next_allowed_at,
            why=dict(row.why),
            details=dict(row.details),
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            visit_id=row.visit_id,
            placement_ids=list(row.placement_ids or []),
            case_event_id=row.case_event_id,
            links=_links(row),
        )


def _links(row: StrategyAction) -> dict[str, str]:
    links: dict[str, str] = {}
    if row.visit_id is not None or row.placement_ids or row.case_event_id is not None:
        links["timeline"] = f"/api/v1/cases/{row.case_id}/timeline"
    return links


class ActionsOut(BaseModel):
    actions: list[ActionOut]


class RateOut(BaseModel):
    successes: int
    trials: int
    rate: Decimal
    lower: Decimal
    upper: Decimal


class ArmOut(BaseModel):
    arm: str
    members: int
    rates: dict[str, RateOut]
    collected_per_account: Decimal | None = Field(description="Minor units of the strategy's currency")
    cost_per_account: Decimal | None
    net_per_account: Decimal | None


class DifferenceOut(BaseModel):
    difference: Decimal
    lower: Decimal
    upper: Decimal


class ComparisonOut(BaseModel):
    arm: str
    differences: dict[str, DifferenceOut] = Field(description="Challenger minus control, Newcombe 95%")
    net_difference: int | None = Field(description="Net per account, minor units; BCa 95% below")
    net_lower: int | None
    net_upper: int | None
    cure_p_value: Decimal | None = Field(description="The mSPRT's always-valid p-value, read every day")
    decision: str | None = Field(
        description="keep_running, challenger_better, challenger_worse, no_difference"
    )


class ExperimentReportOut(BaseModel):
    experiment: str
    segment: str
    horizon_days: int
    as_of: date
    currency: str | None
    control: str
    waiting: int
    other_currency: int
    arms: list[ArmOut]
    comparisons: list[ComparisonOut]

    @classmethod
    def of(cls, found: ExperimentReport) -> ExperimentReportOut:
        return cls(
            experiment=found.experiment,
            segment=found.segment,
            horizon_days=found.horizon_days,
            as_of=found.as_of,
            currency=found.currency,
            control=found.control,
            waiting=found.waiting,
            other_currency=found.other_currency,
            arms=[
                ArmOut(
                    arm=a.arm,
                    members=a.members,
                    rates={
                        name: RateOut(
                            successes=r.successes, trials=r.trials, rate=r.rate, lower=r.lower, upper=r.upper
                        )
                        for name, r in a.rates.items()
                    },
                    collected_per_account=a.collected_per_account,
                    cost_per_account=a.cost_per_account,
                    net_per_account=a.net_per_account,
                )
                for a in found.arms
            ],
            comparisons=[
                ComparisonOut(
                    arm=c.arm,
                    differences={
                        name: DifferenceOut(difference=d.difference, lower=d.lower, upper=d.upper)
                        for name, d in c.differences.items()
                    },
                    net_difference=None if c.net is None else c.net.difference,
                    net_lower=None if c.net is None else c.net.lower,
                    net_upper=None if c.net is None else c.net.upper,
                    cure_p_value=None if c.cure is None else c.cure.sequential.p_value,
                    decision=None if c.cure is None else str(c.cure.decision),
                )
                for c in found.comparisons
            ],
        )


class SimulatedStrategyOut(BaseModel):
    name: str = Field(description="The document's strategy code")
    strategy_id: int | None = Field(description="The stored version with the same text, if any")
    digest: str = Field(description="SHA-256 of the document as simulated")
    document: str | None = Field(default=None, description="The YAML as simulated (on one run's answer)")


class SimulationLineOut(BaseModel):
    measure: str = Field(description="collected, cost, net, cured, rolled, promises, kept, complaints, …")
    label: str = Field(description="In the caller's language")
    unit: str = Field(
        description="money: major units of the run's currency per account; rate: per cent of accounts; "
        "per_1000: per 1,000 accounts"
    )
    champion: str = Field(description="The champion's figure, as the report prints it")
    challenger: str
    difference: str = Field(description="Challenger minus champion")
    lower: str = Field(description="The 95% interval of the difference (paired), rounded outwards")
    upper: str
    reading: str | None = Field(
        description="champion or challenger: the one the interval favours; none: no clear difference"
    )


class SimulationRunOut(BaseModel):
    id: int
    ran_at: datetime
    ran_by: int | None = Field(description="The user, when a person ran it")
    ran_by_name: str = Field(
        description="As the audit trail names the actor (system:<user>: the command line)"
    )
    champion: SimulatedStrategyOut
    challenger: SimulatedStrategyOut
    customers: int
    days: int
    seed: int
    first_night: date
    seconds: str = Field(description="Elapsed, both strategies")
    currency: str
    lines: list[SimulationLineOut] | None = Field(
        default=None, description="The comparison, one line per measure (on one run's answer)"
    )
    sizing: str | None = Field(
        default=None,
        description="The accounts an experiment on real customers needs, in the caller's language",
    )
    champion_collected: list[str] | None = Field(
        default=None, description="Collected each day under the champion, major units (one run's answer)"
    )
    challenger_collected: list[str] | None = None

    @classmethod
    def of(cls, row: SimulationRun, language: str, *, full: bool) -> SimulationRunOut:
        currency = str(row.result.get("currency", CURRENCY))
        out = cls(
            id=row.id,
            ran_at=row.ran_at,
            ran_by=row.ran_by,
            ran_by_name=row.ran_by_name,
            champion=SimulatedStrategyOut(
                name=row.champion_name,
                strategy_id=row.champion_strategy_id,
                digest=row.champion_digest,
                document=row.champion_document if full else None,
            ),
            challenger=SimulatedStrategyOut(
                name=row.challenger_name,
                strategy_id=row.challenger_strategy_id,
                digest=row.challenger_digest,
                document=row.challenger_document if full else None,
            ),
            customers=row.customers,
            days=row.days,
            seed=row.seed,
            first_night=row.first_night,
            seconds=str(row.seconds),
            currency=currency,
        )
        if full:
            comparison = comparison_of(row)
            out.lines = [_line(line, language) for line in comparison.lines]
            out.sizing = report.sizing(comparison, language)
            out.champion_collected = [format_major(m, currency) for m in comparison.champion_daily]
            out.challenger_collected = [format_major(m, currency) for m in comparison.challenger_daily]
        return out


def _line(line: Line, language: str) -> SimulationLineOut:
    unit, result = line.measure.unit, line.result
    lower, upper = report.bounds(line)
    return SimulationLineOut(
        measure=line.measure.key,
        label=translate(line.measure.label, language),
        unit=unit,
        champion=_bare(report.shown(result.first_mean, unit)),
        challenger=_bare(report.shown(result.second_mean, unit)),
        difference=_bare(report.shown(result.difference, unit)),
        lower=_bare(lower),
        upper=_bare(upper),
        reading=line.better,
    )


def _bare(figure: str) -> str:
    """A figure without its per cent sign (the unit says it)."""
    return figure.removesuffix("%")


class SimulationRunsOut(BaseModel):
    runs: list[SimulationRunOut] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; none: the last page")


class DriftVariableOut(BaseModel):
    name: str = Field(description="dpd, overdue, score… or gain (the predicted gain from contact)")
    psi: float = Field(description="Population stability index against the training sample")
    noise: float = Field(description="The PSI chance alone reaches with these sample sizes")
    stability: str = Field(description="stable, warn or alert")


class NightDriftOut(BaseModel):
    as_of: date
    cases: int = Field(description="Cases the night scored with the model")
    needed: int = Field(description="Cases the noise floor's approximation needs")
    reason: str | None = Field(description="Why not judged (no_profile, few_cases); null when judged")
    warn: float = Field(description="PSI above which a variable warns")
    alert: float = Field(description="PSI above which a variable alerts")
    variables: list[DriftVariableOut] = Field(description="Worst first; empty when not judged")

    @classmethod
    def of(cls, night: NightDrift) -> NightDriftOut:
        kept = night.drift
        return cls(
            as_of=night.as_of,
            cases=kept["cases"],
            needed=kept["needed"],
            reason=kept["reason"],
            warn=kept["warn"],
            alert=kept["alert"],
            variables=[DriftVariableOut(**variable) for variable in kept["variables"]],
        )


class UpliftDriftOut(BaseModel):
    purpose: str
    version: int
    nights: list[NightDriftOut] = Field(
        description="The nights that scored with this version, the latest first"
    )
