"""The strategy analyst's and the approver's side of strategies: draft, check, preview, approve
from a date, reject, retire; and a person's answer to a serious step the night proposed.
Never commits; the way in owns the transaction. Every write leaves an audit entry.

Four eyes: whoever approves a version did not draft it (a strategy decides every night what
happens to every customer, like a template's words, which are approved the same way).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, hold_chain, record
from arrears.auth.models import Agency
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal, actor_of, check_permission
from arrears.cases.models import Case
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError
from arrears.channels.models import MessageTemplate, TemplateStatus
from arrears.compliance.packs import Pack
from arrears.concurrency import check_version
from arrears.config import Settings
from arrears.contacts.gate import pack_of
from arrears.delinquency.rules import DelinquencyRules, load_rules
from arrears.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from arrears.i18n import N_
from arrears.portfolio.views import record_look, record_looks
from arrears.queues.models import QueueSet, QueueSetStatus
from arrears.queues.rules import parse_document as parse_queue_set
from arrears.scoring import repository as scoring_repository
from arrears.scoring import uplift
from arrears.scoring.scale import Bands
from arrears.strategy import carrying, experiments, statistics
from arrears.strategy.document import Experiment, StrategyDocument
from arrears.strategy.experiments import ExperimentReport
from arrears.strategy.models import (
    ActionStatus,
    ExperimentDecision,
    Strategy,
    StrategyAction,
    StrategyRun,
    StrategyStatus,
)
from arrears.strategy.repository import parse_document
from arrears.strategy.validation import Known, Report, joined, validate

MAX_DOCUMENT = 200_000
"""Characters a strategy document may have."""


class StrategyNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No strategy {strategy_id}")


class StrategyNotDraftError(ConflictError):
    code = "strategy_not_draft"
    default_message = N_("Strategy {strategy_id} is {status}: only a draft is approved or rejected")


class StrategyNotApprovedError(ConflictError):
    code = "strategy_not_approved"
    default_message = N_("Strategy {strategy_id} is {status}: only an approved one is retired")


class OwnDraftError(PermissionDeniedError):
    code = "own_draft"
    default_message = N_("A strategy is approved by someone other than the person who drafted it")


class InvalidStrategyError(InvalidInputError):
    code = "invalid_strategy"
    default_message = N_("The strategy does not pass its checks: {problems}")
    http_status = 422


class ActionNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No proposed action {action_id}")


class ActionDecidedError(ConflictError):
    code = "action_answered"
    default_message = N_("Step {action_id} was already answered ({status}, {at}): nothing is done again")


@dataclass(frozen=True)
class Bank:
    """What the bank has that a strategy is checked against, besides the database's names."""

    buckets: frozenset[str]
    score_bands: frozenset[str]
    protected: frozenset[str]
    pack: Pack
    bucket_order: tuple[str, ...] = ()
    """The buckets, best first (a roll forward goes later in it)."""


def bank_of(settings: Settings) -> Bank:
    """The bank's buckets (its delinquency rules), score bands, protected attributes and rule pack."""
    rules = load_rules(settings.delinquency_rules) if settings.delinquency_rules else DelinquencyRules()
    protected = {name.strip() for name in settings.protected_attributes.split(",") if name.strip()}
    return Bank(
        buckets=frozenset(b.name for b in rules.buckets),
        bucket_order=tuple(b.name for b in rules.buckets),
        score_bands=frozenset(Bands.parse(settings.scoring_bands).names()),
        protected=frozenset(protected),
        pack=pack_of(settings.compliance_pack, settings.compliance_policy),
    )


def draft(
    session: Session, who: Principal | Actor, text: str, source: str, *, note: str | None, now: datetime
) -> Strategy:
    """Store a document as the next draft version of its strategy (its shape is checked here;
    everything else by :func:`check`, and again before approval)."""
    check_permission(who, Permission.STRATEGY_WRITE)
    if len(text) > MAX_DOCUMENT:
        raise InvalidInputError(N_("A strategy has at most {maximum} characters"), maximum=MAX_DOCUMENT)
    document = parse_document(text, source)
    number = session.scalar(
        select(func.coalesce(func.max(Strategy.number), 0)).where(Strategy.code == document.strategy)
    )
    row = Strategy(
        code=document.strategy,
        number=int(number or 0) + 1,
        document=text,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        status=str(StrategyStatus.DRAFT),
        note=note,
        drafted_at=now,
        drafted_by=who.user_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor_of(who),
        "strategy.draft",
        at=now,
        object_type="strategy",
        object_id=str(row.id),
        after={"code": row.code, "number": row.number, "digest": row.digest},
        reason=note,
    )
    return row


def strategies(session: Session, who: Principal | Actor) -> list[Strategy]:
    check_permission(who, Permission.STRATEGY_READ)
    return list(session.scalars(select(Strategy).order_by(Strategy.code, Strategy.number.desc())))


def strategy(session: Session, who: Principal | Actor, strategy_id: int) -> Strategy:
    check_permission(who, Permission.STRATEGY_READ)
    row = session.get(Strategy, strategy_id)
    if row is None:
        raise StrategyNotFoundError(strategy_id=strategy_id)
    return row


def document_of(row: Strategy) -> StrategyDocument:
    return parse_document(row.document, f"{row.code} v{row.number}")


def known(session: Session, bank: Bank) -> Known:
    """The names a strategy may use: the bank's buckets and bands, the templates approved per
    channel, the queues of the active queue set, the active agencies."""
    templates = session.execute(
        select(MessageTemplate.code, MessageTemplate.channel).where(
            MessageTemplate.status == str(TemplateStatus.APPROVED)
        )
    ).all()
    queue_set = session.scalar(select(QueueSet.document).where(QueueSet.status == str(QueueSetStatus.ACTIVE)))
    queues = (
        [] if queue_set is None else [q.code for q in parse_queue_set(queue_set, "active queue set").queues]
    )
    agencies = session.scalars(select(Agency.code).where(Agency.active.is_(True)))
    active_uplift = scoring_repository.active_version(session, uplift.PURPOSE)
    return Known(
        buckets=bank.buckets,
        score_bands=bank.score_bands,
        templates=frozenset((code, channel) for code, channel in templates),
        queues=frozenset(queues),
        agencies=frozenset(agencies),
        protected=bank.protected,
        uplift_model=active_uplift is not None,
        uplift_arms=frozenset(uplift.arms_of(active_uplift.metrics))
        if active_uplift is not None
        else frozenset(),
    )


def check(
    session: Session, who: Principal | Actor, document: StrategyDocument, bank: Bank, today: date
) -> Report:
    """Every problem of the document against what the bank has (see :mod:`validation`)."""
    check_permission(who, Permission.STRATEGY_READ)
    return validate(document, known(session, bank), bank.pack, today)


def approve(
    session: Session,
    who: Principal | Actor,
    strategy_id: int,
    *,
    active_from: date,
    bank: Bank,
    today: date,
    expected: int | None,
    now: datetime,
) -> Strategy:
    """Approve a draft from ``active_from`` (today or later): from that night on it chooses the
    actions, unless a version approved later starts later still. It must pass every check."""
    check_permission(who, Permission.STRATEGY_APPROVE)
    row = _draft(session, strategy_id, expected)
    if row.drafted_by is not None and row.drafted_by == who.user_id:
        raise OwnDraftError()
    if active_from < today:
        raise InvalidInputError(
            N_("A strategy starts today or later, not on {day}"), day=active_from.isoformat()
        )
    report = validate(document_of(row), known(session, bank), bank.pack, today)
    if not report.valid:
        raise InvalidStrategyError(problems=joined(report.errors))
    row.status = str(StrategyStatus.APPROVED)
    row.active_from = active_from
    row.decided_at = now
    row.decided_by = who.user_id
    session.flush()
    record(
        session,
        actor_of(who),
        "strategy.approve",
        at=now,
        object_type="strategy",
        object_id=str(row.id),
        after={
            "code": row.code,
            "number": row.number,
            "active_from": active_from.isoformat(),
            "digest": row.digest,
        },
    )
    return row


def reject(
    session: Session,
    who: Principal | Actor,
    strategy_id: int,
    *,
    reason: str,
    expected: int | None,
    now: datetime,
) -> Strategy:
    check_permission(who, Permission.STRATEGY_APPROVE)
    row = _draft(session, strategy_id, expected)
    row.status = str(StrategyStatus.REJECTED)
    row.decided_at = now
    row.decided_by = who.user_id
    session.flush()
    record(
        session,
        actor_of(who),
        "strategy.reject",
        at=now,
        object_type="strategy",
        object_id=str(row.id),
        after={"code": row.code, "number": row.number},
        reason=reason,
    )
    return row


def retire(
    session: Session,
    who: Principal | Actor,
    strategy_id: int,
    *,
    reason: str,
    expected: int | None,
    now: datetime,
) -> Strategy:
    """Stop an approved version: from the next night the version approved before it (if any) chooses."""
    check_permission(who, Permission.STRATEGY_APPROVE)
    row = session.get(Strategy, strategy_id, with_for_update=True)
    if row is None:
        raise StrategyNotFoundError(strategy_id=strategy_id)
    check_version(row, expected, N_("strategy"), strategy_id)
    if row.status != StrategyStatus.APPROVED:
        raise StrategyNotApprovedError(strategy_id=strategy_id, status=row.status)
    row.status = str(StrategyStatus.RETIRED)
    session.flush()
    record(
        session,
        actor_of(who),
        "strategy.retire",
        at=now,
        object_type="strategy",
        object_id=str(row.id),
        before={"status": str(StrategyStatus.APPROVED)},
        after={"code": row.code, "number": row.number, "status": row.status},
        reason=reason,
    )
    return row


def _draft(session: Session, strategy_id: int, expected: int | None) -> Strategy:
    row = session.get(Strategy, strategy_id, with_for_update=True)
    if row is None:
        raise StrategyNotFoundError(strategy_id=strategy_id)
    check_version(row, expected, N_("strategy"), strategy_id)
    if row.status != StrategyStatus.DRAFT:
        raise StrategyNotDraftError(strategy_id=strategy_id, status=row.status)
    return row


def diff(first: Strategy, second: Strategy) -> list[str]:
    """The lines that changed from one version's document to the other's (unified diff)."""
    return list(
        difflib.unified_diff(
            first.document.splitlines(),
            second.document.splitlines(),
            fromfile=f"{first.code} v{first.number}",
            tofile=f"{second.code} v{second.number}",
            lineterm="",
        )
    )


def decide_action(
    session: Session,
    principal: Principal,
    action_id: int,
    *,
    confirm: bool,
    reason: str | None,
    today: date,
    now: datetime,
    visit: carrying.VisitChoice | None = None,
) -> StrategyAction:
    """A person's answer to a serious step the night proposed (a field visit, an agency placement,
    a legal referral) on a case they see: confirmed and carried out at once by its flow
    (:mod:`arrears.strategy.carrying`: the visit planned with ``visit``'s agent, the accounts
    placed, the referral recorded; the action keeps what was made), or declined (nothing done).
    All or nothing: a refusal (a hold since the night, the case closed…) leaves it proposed.
    Answered already (twice sent, two people at once): ActionDecidedError, nothing done again."""
    principal.require(Permission.ACTION_CONFIRM)
    # One writer from here: a hold, a complaint or a second answer written meanwhile is committed
    # before what follows reads it (every audited write takes the chain's lock until it commits).
    hold_chain(session)
    action = _answerable(session, principal, action_id, today)
    case = session.get(Case, action.case_id)
    assert case is not None  # the action joined it
    carried = carrying.Carried()
    if confirm:
        carrying.require(principal, action.action)
        refused = carrying.refusal(session, action, case, today)
        if refused is not None:
            raise refused
    with session.begin_nested():
        if confirm:
            carried = carrying.carry_out(
                session,
                principal,
                action,
                case,
                visit=visit or carrying.VisitChoice(),
                note=reason,
                today=today,
                now=now,
            )
        action.status = str(ActionStatus.CONFIRMED if confirm else ActionStatus.DECLINED)
        action.decided_at = now
        action.decided_by = principal.user_id
        action.visit_id = carried.visit_id
        action.placement_ids = carried.placement_ids or None
        action.case_event_id = carried.case_event_id
        session.flush()
        record(
            session,
            principal.actor(),
            "strategy_action.confirm" if confirm else "strategy_action.decline",
            at=now,
            object_type="case",
            object_id=action.case_id,
            customer_id=action.customer_id,
            after={"action": action.id, "kind": action.action, "status": action.status} | carried.shown(),
            reason=reason,
        )
    return action


def _answerable(session: Session, principal: Principal, action_id: int, today: date) -> StrategyAction:
    """The proposed action, locked (a second answer waits for the first, then reads it answered)."""
    action = session.scalar(_serious_action(principal, action_id, today).with_for_update(of=StrategyAction))
    if action is None:
        raise ActionNotFoundError(action_id=action_id)
    if action.status in (ActionStatus.CONFIRMED, ActionStatus.DECLINED, ActionStatus.WITHDRAWN):
        raise ActionDecidedError(
            action_id=action_id,
            status=action.status,
            at=action.decided_at.isoformat() if action.decided_at else "?",
        )
    if action.status != ActionStatus.PROPOSED:
        raise ActionNotFoundError(action_id=action_id)
    return action


def _serious_action(principal: Principal, action_id: int, today: date) -> Select[StrategyAction]:
    """The serious step ``action_id`` on a case the caller sees."""
    return (
        select(StrategyAction)
        .join(Case, Case.case_id == StrategyAction.case_id)
        .where(
            StrategyAction.id == action_id,
            StrategyAction.needs_confirmation.is_(True),
            case_filter(principal, today),
        )
    )


def answered_action(session: Session, principal: Principal, action_id: int, *, today: date) -> StrategyAction:
    """A serious step already answered, on a case the caller sees (what its confirmation made)."""
    principal.require(Permission.ACTION_CONFIRM)
    action = session.scalar(_serious_action(principal, action_id, today))
    if action is None:
        raise ActionNotFoundError(action_id=action_id)
    return action


MAX_ACTIONS_SHOWN = 200


def case_actions(
    session: Session, principal: Principal, case_id: str, *, today: date, at: datetime
) -> list[StrategyAction]:
    """The actions the nights chose for a case the caller sees, newest first, with why (a look at
    the customer's data, audited). ActionNotFoundError's sibling: a case out of scope is not found."""
    principal.require(Permission.CASE_READ)
    customer_id = session.scalar(
        select(Case.customer_id).where(Case.case_id == case_id, case_filter(principal, today))
    )
    if customer_id is None:
        raise CaseNotFoundError(case_id=case_id)
    rows = list(
        session.scalars(
            select(StrategyAction)
            .where(StrategyAction.case_id == case_id)
            .order_by(StrategyAction.as_of.desc(), StrategyAction.id.desc())
            .limit(MAX_ACTIONS_SHOWN)
        )
    )
    record_look(session, principal, "strategy_action.read", "case", case_id, customer_id, at=at)
    return rows


def proposals(session: Session, principal: Principal, *, today: date, at: datetime) -> list[StrategyAction]:
    """The serious steps waiting for a person (oldest first) on the cases the caller sees."""
    principal.require(Permission.ACTION_CONFIRM)
    rows = list(
        session.scalars(
            select(StrategyAction)
            .join(Case, Case.case_id == StrategyAction.case_id)
            .where(StrategyAction.status == str(ActionStatus.PROPOSED), case_filter(principal, today))
            .order_by(StrategyAction.planned_at, StrategyAction.id)
            .limit(MAX_ACTIONS_SHOWN)
        )
    )
    record_looks(session, principal, "strategy_action.read", "case", [r.customer_id for r in rows], at=at)
    return rows


class ExperimentNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No strategy holds an experiment {experiment}")


class UnknownArmError(InvalidInputError):
    code = "unknown_arm"
    default_message = N_("Experiment {experiment} has no arm {arm}")


DECISION_OUTCOMES = ("promote", "keep_champion", "extend")


def experiment_of(session: Session, who: Principal | Actor, code: str) -> tuple[Strategy, Experiment]:
    """The experiment as the newest version that holds it defines it (an approved one first)."""
    check_permission(who, Permission.STRATEGY_READ)
    rows = session.scalars(
        select(Strategy).order_by(Strategy.status != str(StrategyStatus.APPROVED), Strategy.id.desc())
    )
    for row in rows:
        for experiment in document_of(row).experiments:
            if experiment.code == code:
                return row, experiment
    raise ExperimentNotFoundError(experiment=code)


def experiment_report(
    session: Session,
    who: Principal | Actor,
    code: str,
    *,
    bank: Bank,
    horizon_days: int,
    minimum_effect: Decimal,
    as_of: date,
) -> ExperimentReport:
    """Each arm's outcomes over the horizon against the control (see :mod:`experiments`); the cure
    rate's sequential test planned for ``minimum_effect`` over the control's cure rate so far."""
    row, experiment = experiment_of(session, who, code)
    document = document_of(row)
    found = experiments.report(
        session, experiment, document.costs, bank.bucket_order, horizon_days=horizon_days, as_of=as_of
    )
    control = next((a for a in found.arms if a.arm == found.control), None)
    if control is None or "cured" not in control.rates:
        return found
    base = min(max(control.rates["cured"].rate, Decimal("0.01")), Decimal("0.98") - minimum_effect)
    plan = statistics.sample_size_proportions(base, base + minimum_effect)
    return experiments.report(
        session,
        experiment,
        document.costs,
        bank.bucket_order,
        horizon_days=horizon_days,
        as_of=as_of,
        plan=plan,
    )


def decide_experiment(
    session: Session,
    who: Principal | Actor,
    code: str,
    *,
    outcome: str,
    arm: str | None,
    note: str,
    evidence: dict[str, object],
    now: datetime,
) -> ExperimentDecision:
    """Record the committee's decision (promote an arm, keep the champion, extend) with the
    evidence it was shown. Promoting an arm is then a new version of the strategy, approved as any."""
    check_permission(who, Permission.STRATEGY_APPROVE)
    _, experiment = experiment_of(session, who, code)
    if outcome not in DECISION_OUTCOMES:
        raise InvalidInputError(
            N_("{outcome} is not a decision (choose {choices})"),
            outcome=outcome[:20],
            choices=", ".join(DECISION_OUTCOMES),
        )
    if (outcome == "promote") != (arm is not None):
        raise InvalidInputError(N_("Name the arm promoted, and only when promoting one"))
    if arm is not None and arm not in {a.name for a in experiment.arms}:
        raise UnknownArmError(experiment=code, arm=arm[:64])
    row = ExperimentDecision(
        experiment=code,
        outcome=outcome,
        arm=arm,
        note=note,
        evidence=evidence,
        decided_at=now,
        decided_by=who.user_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor_of(who),
        "experiment.decide",
        at=now,
        object_type="experiment",
        object_id=code,
        after={"outcome": outcome, "arm": arm},
        reason=note,
    )
    return row


def experiment_decisions(session: Session, who: Principal | Actor, code: str) -> list[ExperimentDecision]:
    """The decisions recorded on an experiment, newest first (the experiment must exist)."""
    experiment_of(session, who, code)
    return list(
        session.scalars(
            select(ExperimentDecision)
            .where(ExperimentDecision.experiment == code)
            .order_by(ExperimentDecision.decided_at.desc(), ExperimentDecision.id.desc())
        )
    )


def fairness_report(
    session: Session, who: Principal | Actor, as_of: date
) -> tuple[date, dict[str, Any]] | None:
    """The fairness report of the latest night up to ``as_of`` (see :mod:`fairness`), if any."""
    check_permission(who, Permission.STRATEGY_READ)
    row = session.execute(
        select(StrategyRun.as_of, StrategyRun.counts)
        .where(StrategyRun.as_of <= as_of)
        .order_by(StrategyRun.as_of.desc())
        .limit(1)
    ).first()
    if row is None or not row.counts.get("fairness"):
        return None
    return row.as_of, row.counts["fairness"]
