"""Routes of repayment plans and settlements under /api/v1, and the approval inbox.

Thin: parse, declare the permission, call :mod:`arrears.arrangements.plans` in the request's
transaction, render. The two creating POSTs take an ``Idempotency-Key``; the decisions and the
cancellation take ``If-Match`` (the arrangement's ETag, ``"<version>"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from arrears.api.access import DatabaseSession, requires
from arrears.api.concurrency import IfMatch
from arrears.api.idempotency import IdempotencyKey, idempotent
from arrears.api.paging import (
    DEFAULT_LIMIT,
    Cursor,
    CursorError,
    Limit,
    decode_cursor,
    now,
    page_of,
    problem_responses,
    today,
)
from arrears.arrangements import plans
from arrears.arrangements.limits import Limits, load_limits
from arrears.arrangements.models import Arrangement
from arrears.arrangements.plan_schemas import (
    MAX_ID,
    ArrangementOut,
    ArrangementsOut,
    CancelIn,
    DecisionIn,
    InboxOut,
    PlanIn,
    SettlementIn,
)
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.concurrency import etag, parse_if_match

router = APIRouter(tags=["plans and settlements"])
INBOX_CURSOR = "approvals"

Proposer = Annotated[Principal, Depends(requires(Permission.ARRANGEMENT_PROPOSE))]
Approver = Annotated[Principal, Depends(requires(Permission.ARRANGEMENT_APPROVE))]
CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
ArrangementId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _limits(request: Request) -> Limits:
    return load_limits(request.app.state.context.settings.approval_limits)


def _out(session: Session, row: Arrangement) -> ArrangementOut:
    return ArrangementOut.of(row, plans.installments(session, [row.id])[row.id])


@router.post(
    "/cases/{case_id}/plans",
    response_model=ArrangementOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Propose a repayment plan",
)
def propose_plan(
    case_id: str,
    body: PlanIn,
    principal: Proposer,
    session: DatabaseSession,
    request: Request,
    key: IdempotencyKey = None,
) -> ArrangementOut | JSONResponse:
    """The amount (or all that is owed) in dated installments; approved at once within the maker's
    limits, else waiting for approval; beyond every approver's limit refused (409 over_limit)."""
    return idempotent(
        request,
        session,
        principal,
        key,
        body,
        lambda: _out(
            session,
            plans.propose_plan(
                session,
                principal,
                case_id,
                body.request(),
                _limits(request),
                now=now(request),
                today=today(request),
            ),
        ),
    )


@router.post(
    "/cases/{case_id}/settlements",
    response_model=ArrangementOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Propose a settlement",
)
def propose_settlement(
    case_id: str,
    body: SettlementIn,
    principal: Proposer,
    session: DatabaseSession,
    request: Request,
    key: IdempotencyKey = None,
) -> ArrangementOut | JSONResponse:
    """A discounted total in one or several payments, with fees waived; the same approval rules."""
    return idempotent(
        request,
        session,
        principal,
        key,
        body,
        lambda: _out(
            session,
            plans.propose_settlement(
                session,
                principal,
                case_id,
                body.request(),
                _limits(request),
                now=now(request),
                today=today(request),
            ),
        ),
    )


@router.get(
    "/cases/{case_id}/arrangements",
    response_model=ArrangementsOut,
    responses=problem_responses(403, 404),
    summary="The plans and settlements of a case",
)
def case_arrangements(
    case_id: str, principal: CaseReader, session: DatabaseSession, request: Request
) -> ArrangementsOut:
    """Every plan and settlement of the case, newest first, with their installments."""
    rows = plans.of_case(session, principal, case_id, today(request))
    parts = plans.installments(session, [row.id for row in rows])
    return ArrangementsOut(
        case_id=case_id, arrangements=[ArrangementOut.of(row, parts[row.id]) for row in rows]
    )


@router.get(
    "/arrangements/{arrangement_id}",
    response_model=ArrangementOut,
    responses=problem_responses(403, 404),
    summary="One plan or settlement",
)
def read_arrangement(
    arrangement_id: ArrangementId,
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
    response: Response,
) -> ArrangementOut:
    """The arrangement with its installments; the ETag names its version (for If-Match)."""
    row = plans.visible(session, principal, arrangement_id, today(request))
    response.headers["ETag"] = etag(row.version)
    return _out(session, row)


@router.post(
    "/arrangements/{arrangement_id}/approve",
    response_model=ArrangementOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Approve a proposed plan or settlement",
)
def approve(
    arrangement_id: ArrangementId,
    body: DecisionIn,
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ArrangementOut:
    """Within the approver's role's limits, never by its maker (403 own_proposal)."""
    row = plans.approve(
        session,
        principal,
        arrangement_id,
        parse_if_match(if_match),
        body.note,
        _limits(request),
        now=now(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(row.version)
    return _out(session, row)


@router.post(
    "/arrangements/{arrangement_id}/reject",
    response_model=ArrangementOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Reject a proposed plan or settlement",
)
def reject(
    arrangement_id: ArrangementId,
    body: DecisionIn,
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ArrangementOut:
    """With the reason (the note, 8 characters at least); final."""
    row = plans.reject(
        session,
        principal,
        arrangement_id,
        parse_if_match(if_match),
        body.note or "",
        now=now(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(row.version)
    return _out(session, row)


@router.post(
    "/arrangements/{arrangement_id}/cancel",
    response_model=ArrangementOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Cancel a proposed, approved or active plan or settlement",
)
def cancel(
    arrangement_id: ArrangementId,
    body: CancelIn,
    principal: Proposer,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ArrangementOut:
    """Final; its installments are no longer owed and reminders resume."""
    row = plans.cancel(
        session,
        principal,
        arrangement_id,
        parse_if_match(if_match),
        body.reason,
        now=now(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(row.version)
    return _out(session, row)


@router.get(
    "/approvals",
    response_model=InboxOut,
    responses=problem_responses(400, 403),
    summary="The approval inbox: plans and settlements waiting, oldest first",
)
def approval_inbox(
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> InboxOut:
    """Proposals beyond their makers' limits on the cases of the caller's teams, not their own."""
    after = decode_cursor(cursor, INBOX_CURSOR, str, int)
    position = None
    if after is not None:
        try:
            position = (datetime.fromisoformat(after[0]), after[1])
        except ValueError:
            raise CursorError() from None
    rows = plans.inbox(session, principal, today(request), after=position, limit=limit + 1)
    page, following = page_of(rows, limit, INBOX_CURSOR, lambda row: (row.proposed_at.isoformat(), row.id))
    parts = plans.installments(session, [row.id for row in page])
    return InboxOut(
        arrangements=[ArrangementOut.of(row, parts[row.id]) for row in page], next_cursor=following
    )
