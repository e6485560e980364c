"""Routes of the cases context under /api/v1 (thin: parse, check access, call the service).

The case list and one case, each within the caller's scope (arrears.cases.scope, in the SQL);
the score of a case comes from the scoring context's tables through its repository.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import (
    DEFAULT_LIMIT,
    INT32,
    INT64,
    Cursor,
    Limit,
    decode_cursor,
    now,
    page_of,
    problem_responses,
    today,
)
from arrears.api.problems import language_of
from arrears.auth.permissions import Permission, PersonalField
from arrears.auth.principal import Principal
from arrears.cases import views
from arrears.cases.models import Case, CaseStatus
from arrears.cases.repository import CaseFilters
from arrears.cases.schemas import (
    AssignmentOut,
    CallScriptOut,
    CaseAccountOut,
    CaseCustomer,
    CaseDetail,
    CasePage,
    CaseScore,
    CaseSummary,
    PlacementOut,
    ScoreReason,
)
from arrears.channels.call_scripts import CallScript, script_for_case
from arrears.money import parse_major
from arrears.portfolio.schemas import Amount
from arrears.portfolio.views import shown
from arrears.scoring import repository as scoring
from arrears.scoring.models import AccountScore
from arrears.scoring.reasons import Reason, phrase

router = APIRouter(tags=["cases"])

CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
CASES_CURSOR = "cases"


def _bounded(minor: int) -> int:
    """An amount filter within the column's range (no stored amount lies beyond it), so that a
    huge figure narrows the list as it says instead of failing in the database."""
    return max(-INT64, min(INT64, minor))


def summary_fields(
    case: Case, team_id: int | None, collector_id: int | None, score: AccountScore | None
) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "customer_id": case.customer_id,
        "status": case.status,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "close_reason": case.close_reason,
        "worst_dpd": case.worst_dpd,
        "bucket": case.bucket,
        "overdue": Amount.of(case.overdue_total, case.currency),
        "account_count": case.account_count,
        "updated_on": case.updated_on,
        "team_id": team_id,
        "collector_id": collector_id,
        "score": score.score if score is not None else None,
        "band": score.band if score is not None else None,
    }


@router.get(
    "/cases",
    response_model=CasePage,
    responses=problem_responses(400, 401, 403, 422),
    summary="The cases the caller sees, filtered, worst DPD first",
)
def list_cases(
    request: Request,
    session: DatabaseSession,
    principal: CaseReader,
    status: Annotated[CaseStatus | None, Query(description="open or closed")] = None,
    bucket: Annotated[str | None, Query(max_length=16, description="The worst DPD's bucket, e.g. M2")] = None,
    dpd_min: Annotated[int | None, Query(ge=0, le=INT32, description="Worst DPD at least")] = None,
    dpd_max: Annotated[int | None, Query(ge=0, le=INT32, description="Worst DPD at most")] = None,
    team: Annotated[int | None, Query(ge=0, le=INT32, description="Assigned now to this team (id)")] = None,
    collector: Annotated[
        int | None, Query(ge=0, le=INT32, description="Assigned now to this collector (user id)")
    ] = None,
    product: Annotated[
        str | None, Query(max_length=32, description="Holding an account of this product")
    ] = None,
    score_band: Annotated[
        str | None, Query(max_length=16, description="The case's score band, e.g. E")
    ] = None,
    balance_min: Annotated[
        str | None, Query(max_length=40, description="Overdue at least, a decimal string in major units")
    ] = None,
    balance_max: Annotated[
        str | None, Query(max_length=40, description="Overdue at most, a decimal string in major units")
    ] = None,
    currency: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=3,
            description="Currency of balance_min/balance_max (default ARREARS_DEFAULT_CURRENCY); only cases "
            "whose overdue is in it match a balance filter",
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> CasePage:
    """The cases in the caller's scope, narrowed by the filters, sorted by worst DPD (highest
    first) then case id, a page of ``limit`` at a time: pass ``next_cursor`` back as ``cursor``
    for the next page. Scope and filters are applied in the query, so pages hold no gaps or
    duplicates."""
    settings = request.app.state.context.settings
    after = decode_cursor(cursor, CASES_CURSOR, int, str)
    money = currency or settings.default_currency
    filters = CaseFilters(
        status=str(status) if status is not None else None,
        bucket=bucket,
        dpd_min=dpd_min,
        dpd_max=dpd_max,
        team_id=team,
        collector_id=collector,
        product=product,
        currency=money,
        balance_min=_bounded(parse_major(balance_min, money)) if balance_min is not None else None,
        balance_max=_bounded(parse_major(balance_max, money)) if balance_max is not None else None,
    )
    also = []
    if score_band is not None:
        also.append(Case.case_id.in_(scoring.cases_in_band(settings.scoring_purpose, score_band)))
    rows = views.list_cases(
        session,
        principal,
        filters,
        today=today(request),
        limit=limit + 1,
        after=(after[0], after[1]) if after is not None else None,
        also=also,
    )
    page, following = page_of(rows, limit, CASES_CURSOR, lambda row: (row.case.worst_dpd, row.case.case_id))
    scores = scoring.latest_case_scores(session, settings.scoring_purpose, [row.case.case_id for row in page])
    return CasePage(
        items=[
            CaseSummary(
                **summary_fields(row.case, row.team_id, row.collector_id, scores.get(row.case.case_id))
            )
            for row in page
        ],
        next_cursor=following,
        limit=limit,
    )


def score_out(score: AccountScore, language: str) -> CaseScore:
    reasons = [Reason.from_dict(item) for item in score.reasons or []]
    return CaseScore(
        score=score.score,
        band=score.band,
        probability=score.probability,
        as_of=score.as_of,
        account_id=score.account_id,
        reasons=[
            ScoreReason(feature=r.feature, value=r.value, effect=r.effect, text=phrase(r, language))
            for r in reasons
        ],
    )


@router.get(
    "/cases/{case_id}",
    response_model=CaseDetail,
    responses=problem_responses(401, 403, 404),
    summary="One case: customer, accounts, score, call script, assignment, placements",
)
def get_case(
    case_id: Annotated[str, Path(max_length=100, description="C-<customer_id>-<yyyymmdd>")],
    request: Request,
    session: DatabaseSession,
    principal: CaseReader,
) -> CaseDetail:
    """The case with its customer (personal fields masked by role), its accounts the caller sees
    with DPD, bucket and overdue, its score with the reasons in the caller's language, the approved
    call script (话术) for its bucket in the caller's language (else the customer's, else zh-CN),
    who works it and its placements in force; 404 for a case out of the caller's scope. The look
    is audited."""
    settings = request.app.state.context.settings
    language = language_of(request)
    # the score and the call script first: reading the case records the look, and nothing should
    # be read after that (the audit trail's lock is held to the commit); a case out of scope is
    # not found by the script's read either
    score = scoring.latest_case_scores(session, settings.scoring_purpose, [case_id]).get(case_id)
    script = script_for_case(session, principal, case_id, language=language, today=today(request))
    found = views.read_case(session, principal, case_id, today=today(request), at=now(request))
    case, customer, assignment = found.case, found.customer, found.assignment
    current = assignment.assignment if assignment is not None else None
    fields = summary_fields(
        case,
        current.team_id if current is not None else None,
        current.collector_id if current is not None else None,
        score,
    )
    return CaseDetail(
        **fields,
        customer=CaseCustomer(
            customer_id=customer.customer_id,
            name=customer.name,
            national_id=shown(principal, PersonalField.NATIONAL_ID, customer.national_id),
            birth_date=shown(principal, PersonalField.BIRTH_DATE, customer.birth_date),
        ),
        accounts=[
            CaseAccountOut(
                account_id=member.account_id,
                product=product,
                account_status=member.account_status,
                delinquent=member.delinquent,
                dpd=member.dpd,
                bucket=member.bucket,
                overdue=Amount.of(member.overdue_amount, member.currency),
                joined_on=member.joined_on,
            )
            for member, product in found.accounts
        ],
        assignment=(
            AssignmentOut(
                team_id=current.team_id,
                team_code=assignment.team_code,
                team_name=assignment.team_name,
                collector_id=current.collector_id,
                collector=assignment.collector_name,
                assigned_at=current.assigned_at,
                reason=current.reason,
            )
            if assignment is not None and current is not None
            else None
        ),
        placements=(
            [
                PlacementOut(
                    id=placement.id,
                    account_id=placement.account_id,
                    agency_id=placement.agency_id,
                    agency=agency,
                    starts_on=placement.starts_on,
                    ends_on=placement.ends_on,
                )
                for placement, agency in found.placements
            ]
            if found.placements is not None
            else None
        ),
        scoring=score_out(score, language) if score is not None else None,
        call_script=script_out(script, language) if script is not None else None,
    )


def script_out(script: CallScript, language: str) -> CallScriptOut:
    return CallScriptOut(
        template_id=script.template.id,
        code=script.template.code,
        number=script.template.number,
        language=script.language,
        bucket=script.bucket,
        text=script.text,
        problem=script.problem.message(language) if script.problem is not None else None,
    )
