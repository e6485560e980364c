"""Routes of strategies under /api/v1: versions (draft, check, preview, approve, reject, retire,
diff), a case's actions with why, and the proposals a person confirms or declines. Thin: parse,
declare the permission, call :mod:`arrears.strategy.service` in the request's transaction, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from arrears.api.access import DatabaseSession, requires
from arrears.api.concurrency import IfMatch
from arrears.api.idempotency import IdempotencyKey, idempotent
from arrears.api.paging import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_cursor,
    now,
    page_of,
    problem_responses,
    today,
)
from arrears.api.problems import language_of
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.concurrency import etag, parse_if_match
from arrears.scoring import model_registry
from arrears.scoring.uplift import PURPOSE as UPLIFT
from arrears.strategy import service, simulations, uplift_drift
from arrears.strategy.carrying import VisitChoice
from arrears.strategy.document import CODE, StrategyDocument
from arrears.strategy.evaluation import DuckDBStrategyEngine
from arrears.strategy.models import Strategy
from arrears.strategy.preview import Preview, preview
from arrears.strategy.repository import parse_document
from arrears.strategy.schemas import (
    ActionOut,
    ActionsOut,
    ApproveIn,
    CheckIn,
    CheckOut,
    ConfirmIn,
    DecisionIn,
    DiffOut,
    ExperimentReportOut,
    NightDriftOut,
    ReasonIn,
    SimulationRunOut,
    SimulationRunsOut,
    StrategiesOut,
    StrategyIn,
    StrategyOut,
    UpliftDriftOut,
)

router = APIRouter(tags=["strategy"])

Reader = Annotated[Principal, Depends(requires(Permission.STRATEGY_READ))]
Writer = Annotated[Principal, Depends(requires(Permission.STRATEGY_WRITE))]
Approver = Annotated[Principal, Depends(requires(Permission.STRATEGY_APPROVE))]
CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
Confirmer = Annotated[Principal, Depends(requires(Permission.ACTION_CONFIRM))]
SimulationReader = Annotated[Principal, Depends(requires(Permission.SIMULATION_READ))]
ModelReader = Annotated[Principal, Depends(requires(Permission.MODEL_READ))]
StrategyId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ActionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CaseId = Annotated[str, Path(min_length=1, max_length=100)]


def _bank(request: Request) -> service.Bank:
    return service.bank_of(request.app.state.context.settings)


def _out(row: Strategy, request: Request, *, full: bool) -> StrategyOut:
    return StrategyOut.of(row, service.document_of(row), language_of(request), full=full)


def _preview(session: Session, document: StrategyDocument, request: Request) -> Preview:
    engine = DuckDBStrategyEngine()
    try:
        return preview(session.connection(), engine, document, today(request))
    finally:
        engine.close()


@router.get(
    "/strategies", response_model=StrategiesOut, responses=problem_responses(403), summary="The strategies"
)
def list_strategies(principal: Reader, session: DatabaseSession, request: Request) -> StrategiesOut:
    """Every version, each code's newest first."""
    return StrategiesOut(
        strategies=[_out(r, request, full=False) for r in service.strategies(session, principal)]
    )


@router.post(
    "/strategies",
    response_model=StrategyOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403),
    summary="Store a strategy as the next draft version of its code",
)
def draft_strategy(
    body: StrategyIn, principal: Writer, session: DatabaseSession, request: Request, response: Response
) -> StrategyOut:
    """The YAML's shape is checked (unknown keys, undefined paths: 400 naming the line and key)."""
    row = service.draft(session, principal, body.document, "document", note=body.note, now=now(request))
    response.headers["ETag"] = etag(row.version)
    return _out(row, request, full=True)


@router.post(
    "/strategies/check",
    response_model=CheckOut,
    responses=problem_responses(400, 403),
    summary="Check a strategy against the bank and preview it, storing nothing",
)
def check_strategy(body: CheckIn, principal: Writer, session: DatabaseSession, request: Request) -> CheckOut:
    """Overlapping segments, unknown buckets, bands, templates, queues and agencies, steps the rule
    pack allows at no hour, protected attributes; and what it would do to today's open cases."""
    document = parse_document(body.document, "document")
    report = service.check(session, principal, document, _bank(request), today(request))
    return CheckOut.of(report, _preview(session, document, request), language_of(request))


@router.get(
    "/strategies/{strategy_id}",
    response_model=StrategyOut,
    responses=problem_responses(403, 404),
    summary="One version, with its document",
)
def get_strategy(
    strategy_id: StrategyId, principal: Reader, session: DatabaseSession, request: Request, response: Response
) -> StrategyOut:
    row = service.strategy(session, principal, strategy_id)
    response.headers["ETag"] = etag(row.version)
    return _out(row, request, full=True)


@router.get(
    "/strategies/{strategy_id}/check",
    response_model=CheckOut,
    responses=problem_responses(403, 404),
    summary="A stored version's checks and preview",
)
def check_stored(
    strategy_id: StrategyId, principal: Reader, session: DatabaseSession, request: Request
) -> CheckOut:
    document = service.document_of(service.strategy(session, principal, strategy_id))
    report = service.check(session, principal, document, _bank(request), today(request))
    return CheckOut.of(report, _preview(session, document, request), language_of(request))


@router.get(
    "/strategies/{first}/diff/{second}",
    response_model=DiffOut,
    responses=problem_responses(403, 404),
    summary="What changed from one version to another",
)
def diff_strategies(
    first: StrategyId, second: StrategyId, principal: Reader, session: DatabaseSession
) -> DiffOut:
    return DiffOut(
        lines=service.diff(
            service.strategy(session, principal, first), service.strategy(session, principal, second)
        )
    )


@router.post(
    "/strategies/{strategy_id}/approve",
    response_model=StrategyOut,
    responses=problem_responses(400, 403, 404, 409, 412, 422),
    summary="Approve a draft from a date (not one's own; it must pass every check)",
)
def approve_strategy(
    strategy_id: StrategyId,
    body: ApproveIn,
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> StrategyOut:
    """Refused: drafted by the caller (403 ``own_draft``), not a draft (409), failing a check
    (422 ``invalid_strategy`` naming each problem), a date in the past (400), a stale If-Match (412)."""
    day = today(request)
    row = service.approve(
        session,
        principal,
        strategy_id,
        active_from=body.active_from or day,
        bank=_bank(request),
        today=day,
        expected=parse_if_match(if_match),
        now=now(request),
    )
    response.headers["ETag"] = etag(row.version)
    return _out(row, request, full=False)


@router.post(
    "/strategies/{strategy_id}/reject",
    response_model=StrategyOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Reject a draft, saying why",
)
def reject_strategy(
    strategy_id: StrategyId,
    body: ReasonIn,
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> StrategyOut:
    row = service.reject(
        session,
        principal,
        strategy_id,
        reason=body.reason,
        expected=parse_if_match(if_match),
        now=now(request),
    )
    response.headers["ETag"] = etag(row.version)
    return _out(row, request, full=False)


@router.post(
    "/strategies/{strategy_id}/retire",
    response_model=StrategyOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Stop an approved version from the next night, saying why",
)
def retire_strategy(
    strategy_id: StrategyId,
    body: ReasonIn,
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> StrategyOut:
    row = service.retire(
        session,
        principal,
        strategy_id,
        reason=body.reason,
        expected=parse_if_match(if_match),
        now=now(request),
    )
    response.headers["ETag"] = etag(row.version)
    return _out(row, request, full=False)


@router.get(
    "/cases/{case_id}/actions",
    response_model=ActionsOut,
    responses=problem_responses(403, 404),
    summary="The actions the nights chose for a case, with why",
)
def case_actions(
    case_id: CaseId, principal: CaseReader, session: DatabaseSession, request: Request
) -> ActionsOut:
    """Newest first: the strategy version, segment, arm and the facts that matched, the gate's
    answer, and for a serious step who confirmed it. A case out of the caller's scope: 404."""
    rows = service.case_actions(session, principal, case_id, today=today(request), at=now(request))
    return ActionsOut(actions=[ActionOut.of(r) for r in rows])


@router.get(
    "/strategy-actions/proposed",
    response_model=ActionsOut,
    responses=problem_responses(403),
    summary="The serious steps waiting for a person's confirmation",
)
def proposed_actions(principal: Confirmer, session: DatabaseSession, request: Request) -> ActionsOut:
    rows = service.proposals(session, principal, today=today(request), at=now(request))
    return ActionsOut(actions=[ActionOut.of(r) for r in rows])


@router.post(
    "/strategy-actions/{action_id}/confirm",
    response_model=ActionOut,
    responses=problem_responses(400, 403, 404, 409, 422),
    summary="Confirm a proposed field visit, agency placement or legal referral, and carry it out",
)
def confirm_action(
    action_id: ActionId,
    body: ConfirmIn,
    principal: Confirmer,
    session: DatabaseSession,
    request: Request,
    key: IdempotencyKey = None,
) -> ActionOut | Response:
    """Carried out in the same transaction: a field visit planned with ``agent_id`` on
    ``planned_on`` (``visit.assign``), every open account of the case placed with the step's agency
    for its term (``placement.write``), a legal referral recorded on the case's timeline; the
    answer names what was made. Refused (409, nothing done, the step stays proposed): a hold, an
    open complaint, the case closed or paid since the night, an account placed already, the
    agency disabled; answered already. With an ``Idempotency-Key`` a retry gets the first answer."""

    def work() -> ActionOut:
        row = service.decide_action(
            session,
            principal,
            action_id,
            confirm=True,
            reason=body.reason,
            today=today(request),
            now=now(request),
            visit=VisitChoice(agent_id=body.agent_id, planned_on=body.planned_on),
        )
        return ActionOut.of(row)

    return idempotent(request, session, principal, key, body, work, status_code=200)


@router.post(
    "/strategy-actions/{action_id}/decline",
    response_model=ActionOut,
    responses=problem_responses(400, 403, 404, 409, 422),
    summary="Decline a proposed serious step (nothing is carried out)",
)
def decline_action(
    action_id: ActionId,
    body: DecisionIn,
    principal: Confirmer,
    session: DatabaseSession,
    request: Request,
    key: IdempotencyKey = None,
) -> ActionOut | Response:
    def work() -> ActionOut:
        row = service.decide_action(
            session,
            principal,
            action_id,
            confirm=False,
            reason=body.reason,
            today=today(request),
            now=now(request),
        )
        return ActionOut.of(row)

    return idempotent(request, session, principal, key, body, work, status_code=200)


@router.get(
    "/strategy-fairness",
    responses=problem_responses(403),
    summary="The latest night's fairness report",
)
def fairness_report(principal: Reader, session: DatabaseSession, request: Request) -> dict[str, object]:
    """Per protected attribute the data holds (age bands, region): each group's share contacted,
    escalated and in the worst score bands, against the largest group, with Katz's interval and
    the four-fifths flag (docs/strategy.md §6). ``night`` null: no night has run a strategy yet."""
    found = service.fairness_report(session, principal, today(request))
    if found is None:
        return {"night": None, "measures": {}, "reference": {}}
    night, report = found
    return {"night": night.isoformat(), **report}


@router.get(
    "/experiments/{code}/report",
    response_model=ExperimentReportOut,
    responses=problem_responses(400, 403, 404),
    summary="An experiment's results: each arm against the control",
)
def experiment_report(
    code: Annotated[str, Path(pattern=CODE, max_length=64)],
    principal: Reader,
    session: DatabaseSession,
    request: Request,
    horizon: Annotated[int, Query(ge=1, le=365)] = 30,
    minimum_effect: Annotated[Decimal, Query(gt=0, lt=Decimal("0.5"))] = Decimal("0.02"),
) -> ExperimentReportOut:
    """Outcomes over ``horizon`` days per member (cured, rolled forward, promises kept, complaints,
    opt-outs; collected, cost and net per account) with Wilson intervals; against the control the
    Newcombe intervals, the BCa interval of the net amounts and the cure rate's daily-read mSPRT."""
    found = service.experiment_report(
        session,
        principal,
        code,
        bank=_bank(request),
        horizon_days=horizon,
        minimum_effect=minimum_effect,
        as_of=today(request),
    )
    return ExperimentReportOut.of(found)


@router.get(
    "/simulations",
    response_model=SimulationRunsOut,
    responses=problem_responses(400, 403),
    summary="The simulation runs kept",
)
def list_simulations(
    principal: SimulationReader,
    session: DatabaseSession,
    request: Request,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> SimulationRunsOut:
    """The runs `arrears sim strategy --record` kept, newest first: who ran them and when, the two
    strategies (with the stored version each is, if any), the plan; not the comparison."""
    before = decode_cursor(cursor, "simulations", int)
    rows = simulations.runs(session, principal, before=before[0] if before else None, limit=limit + 1)
    page, following = page_of(rows, limit, "simulations", lambda row: (row.id,))
    language = language_of(request)
    return SimulationRunsOut(
        runs=[SimulationRunOut.of(row, language, full=False) for row in page], next_cursor=following
    )


@router.get(
    "/simulations/{run_id}",
    response_model=SimulationRunOut,
    responses=problem_responses(403, 404),
    summary="One simulation run, with its comparison",
)
def get_simulation(
    run_id: RunId, principal: SimulationReader, session: DatabaseSession, request: Request
) -> SimulationRunOut:
    """The run with both documents as simulated, each measure's figures and 95% interval as the
    report prints them, the experiment's size, and the amounts collected each day."""
    return SimulationRunOut.of(simulations.run(session, principal, run_id), language_of(request), full=True)


@router.get(
    f"/models/{UPLIFT}/{{version}}/drift",
    response_model=UpliftDriftOut,
    responses=problem_responses(400, 403, 404),
    summary="The uplift model's drift, night by night",
)
def uplift_model_drift(
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: ModelReader,
    session: DatabaseSession,
    nights: Annotated[int, Query(ge=1, le=366, description="How many of the latest nights")] = 30,
) -> UpliftDriftOut:
    """Each night that scored cases with this version of the uplift model, the latest first: per
    variable its PSI against the training sample, the PSI chance alone reaches, and stable, warn
    or alert (arrears.strategy.uplift_drift); empty when no night has scored with it."""
    model_registry.version(session, principal, UPLIFT, version)  # 404 for a version not stored
    found = uplift_drift.nights(session, principal, version, nights)
    return UpliftDriftOut(
        purpose=UPLIFT, version=version, nights=[NightDriftOut.of(night) for night in found]
    )
