"""Routes of holds, disputes and complaints under /api/v1.

Thin: parse, declare the permission, call :mod:`arrears.disputes.holds`,
:mod:`arrears.disputes.disputes` or :mod:`arrears.disputes.complaints` in the request's
transaction, render with the record's ``ETag`` (its version, for ``If-Match``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from arrears.api.access import DatabaseSession, requires
from arrears.api.concurrency import IfMatch
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
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.concurrency import etag, parse_if_match
from arrears.disputes import complaints, disputes, holds
from arrears.disputes.schemas import (
    MAX_ID,
    AssignIn,
    CloseIn,
    ComplaintIn,
    ComplaintOut,
    ComplaintsOut,
    DisputeIn,
    DisputeOut,
    DisputesOut,
    HoldIn,
    HoldOut,
    HoldsOut,
    LiftIn,
    ResolveIn,
    RespondIn,
    WithdrawIn,
)
from arrears.portfolio.views import record_look, record_looks

router = APIRouter(tags=["disputes, complaints and holds"])
DISPUTES_CURSOR = "disputes"
COMPLAINTS_CURSOR = "complaints"

Recorder = Annotated[Principal, Depends(requires(Permission.HOLD_RECORD))]
Raiser = Annotated[Principal, Depends(requires(Permission.DISPUTE_RAISE))]
Lifter = Annotated[Principal, Depends(requires(Permission.HOLD_LIFT))]
Resolver = Annotated[Principal, Depends(requires(Permission.DISPUTE_RESOLVE))]
Handler = Annotated[Principal, Depends(requires(Permission.COMPLAINT_HANDLE))]
CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
CustomerReader = Annotated[Principal, Depends(requires(Permission.CUSTOMER_READ))]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


# ---- holds ----


@router.post(
    "/customers/{customer_id}/holds",
    response_model=HoldOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Place a hold on collection contact with a customer",
)
def place_hold(
    customer_id: str,
    body: HoldIn,
    principal: Recorder,
    session: DatabaseSession,
    request: Request,
    response: Response,
) -> HoldOut:
    """Place a hold (cease, bankruptcy, deceased, hardship, vulnerability) with its evidence; the
    compliance gate reads it from this moment (vulnerability does not block: docs/casework.md)."""
    hold = holds.place(
        session,
        principal,
        customer_id,
        body.kind,
        body.evidence,
        body.evidence_uri,
        now=now(request),
        today=today(request),
    )
    _etag(response, hold.version)
    return HoldOut.of(hold)


@router.post(
    "/holds/{hold_id}/lift",
    response_model=HoldOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Lift a hold",
)
def lift_hold(
    hold_id: RowId,
    body: LiftIn,
    principal: Lifter,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> HoldOut:
    """Lift a hold (final); a dispute's hold is lifted by resolving or withdrawing the dispute."""
    hold = holds.lift(
        session,
        principal,
        hold_id,
        body.reason,
        expected=parse_if_match(if_match),
        now=now(request),
        today=today(request),
    )
    _etag(response, hold.version)
    return HoldOut.of(hold)


@router.get(
    "/customers/{customer_id}/holds",
    response_model=HoldsOut,
    responses=problem_responses(403, 404),
    summary="A customer's holds",
)
def customer_holds(
    customer_id: str,
    principal: CustomerReader,
    session: DatabaseSession,
    request: Request,
    standing: Annotated[
        bool | None, Query(description="true: only those standing; false: only lifted")
    ] = None,
) -> HoldsOut:
    """The customer's holds, newest first (the look is audited: a hold tells of bankruptcy, death
    or vulnerability)."""
    rows = holds.holds_of(session, principal, customer_id, standing=standing, today=today(request))
    answer = HoldsOut(customer_id=customer_id, holds=[HoldOut.of(row) for row in rows])
    record_look(session, principal, "hold.read", "customer", customer_id, customer_id, at=now(request))
    return answer


# ---- disputes ----


@router.post(
    "/cases/{case_id}/disputes",
    response_model=DisputeOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404),
    summary="Record a dispute: contact with the customer is held until it is resolved",
)
def raise_dispute(
    case_id: str,
    body: DisputeIn,
    principal: Raiser,
    session: DatabaseSession,
    request: Request,
    response: Response,
) -> DisputeOut:
    """Record a dispute: a hold on contact with the customer and a verification deadline."""
    day = today(request)
    dispute = disputes.raise_dispute(
        session,
        principal,
        case_id,
        kind=body.kind,
        written=body.written,
        description=body.description,
        account_id=body.account_id,
        verify_days=request.app.state.context.settings.dispute_verify_days,
        now=now(request),
        today=day,
    )
    _etag(response, dispute.version)
    return DisputeOut.of(dispute, day)


@router.get(
    "/disputes",
    response_model=DisputesOut,
    responses=problem_responses(400, 403),
    summary="List disputes (newest first); overdue=true: open past their verification deadline",
)
def list_disputes(
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
    case_id: Annotated[str | None, Query(max_length=100, description="Only this case's")] = None,
    status_: Annotated[
        Literal["open", "upheld", "rejected", "withdrawn"] | None,
        Query(alias="status", description="Only in this state"),
    ] = None,
    overdue: Annotated[bool, Query(description="Only open disputes past verify_by")] = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> DisputesOut:
    """Disputes of the cases the caller sees, newest first; overdue: open past verify_by. Each
    customer's look on the page is audited."""
    before = decode_cursor(cursor, DISPUTES_CURSOR, int)
    day = today(request)
    rows = disputes.listing(
        session,
        principal,
        today=day,
        case_id=case_id,
        status=status_,
        overdue=overdue,
        before_id=before[0] if before else None,
        limit=limit + 1,
    )
    page, following = page_of(rows, limit, DISPUTES_CURSOR, lambda row: (row.id,))
    answer = DisputesOut(disputes=[DisputeOut.of(row, day) for row in page], next_cursor=following)
    record_looks(
        session, principal, "dispute.read", "dispute", (row.customer_id for row in page), at=now(request)
    )
    return answer


@router.get(
    "/disputes/{dispute_id}",
    response_model=DisputeOut,
    responses=problem_responses(403, 404),
    summary="One dispute, with its ETag",
)
def read_dispute(
    dispute_id: RowId, principal: CaseReader, session: DatabaseSession, request: Request, response: Response
) -> DisputeOut:
    """One dispute and its ETag (for If-Match); the look is audited."""
    day = today(request)
    dispute = disputes.read(session, principal, dispute_id, today=day)
    _etag(response, dispute.version)
    answer = DisputeOut.of(dispute, day)
    record_look(
        session, principal, "dispute.read", "dispute", str(dispute_id), dispute.customer_id, at=now(request)
    )
    return answer


@router.post(
    "/disputes/{dispute_id}/resolve",
    response_model=DisputeOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Resolve a dispute (upheld or rejected): its hold is lifted",
)
def resolve_dispute(
    dispute_id: RowId,
    body: ResolveIn,
    principal: Resolver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> DisputeOut:
    """Resolve a dispute, upheld or rejected (final); its hold is lifted."""
    day = today(request)
    dispute = disputes.resolve(
        session,
        principal,
        dispute_id,
        outcome=body.outcome,
        resolution=body.resolution,
        expected=parse_if_match(if_match),
        now=now(request),
        today=day,
    )
    _etag(response, dispute.version)
    return DisputeOut.of(dispute, day)


@router.post(
    "/disputes/{dispute_id}/withdraw",
    response_model=DisputeOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="The customer withdraws a dispute: its hold is lifted",
)
def withdraw_dispute(
    dispute_id: RowId,
    body: WithdrawIn,
    principal: Recorder,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> DisputeOut:
    """The customer withdraws a dispute (final); its hold is lifted."""
    day = today(request)
    dispute = disputes.withdraw(
        session,
        principal,
        dispute_id,
        reason=body.reason,
        expected=parse_if_match(if_match),
        now=now(request),
        today=day,
    )
    _etag(response, dispute.version)
    return DisputeOut.of(dispute, day)


# ---- complaints ----


@router.post(
    "/cases/{case_id}/complaints",
    response_model=ComplaintOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404),
    summary="Record a complaint about conduct: an owner and a response deadline",
)
def record_complaint(
    case_id: str,
    body: ComplaintIn,
    principal: Raiser,
    session: DatabaseSession,
    request: Request,
    response: Response,
) -> ComplaintOut:
    """Record a complaint: its owner (the team's leader, else the compliance queue) and deadline."""
    day = today(request)
    complaint = complaints.record_complaint(
        session,
        principal,
        case_id,
        category=body.category,
        description=body.description,
        about_user_id=body.about_user_id,
        contact_id=body.contact_id,
        respond_days=request.app.state.context.settings.complaint_respond_days,
        now=now(request),
        today=day,
    )
    _etag(response, complaint.version)
    return ComplaintOut.of(complaint, day)


@router.get(
    "/complaints",
    response_model=ComplaintsOut,
    responses=problem_responses(400, 403),
    summary="List complaints (newest first): owner=me, none (the compliance queue) or a user id; overdue",
)
def list_complaints(
    principal: Handler,
    session: DatabaseSession,
    request: Request,
    owner: Annotated[str | None, Query(max_length=12, description="me, none or a user id")] = None,
    case_id: Annotated[str | None, Query(max_length=100, description="Only this case's")] = None,
    status_: Annotated[
        Literal["open", "responded", "closed"] | None, Query(alias="status", description="Only in this state")
    ] = None,
    overdue: Annotated[bool, Query(description="Only open complaints past respond_by")] = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ComplaintsOut:
    """Complaints of the cases the caller sees, newest first, by owner and overdue. Each
    customer's look on the page is audited."""
    before = decode_cursor(cursor, COMPLAINTS_CURSOR, int)
    day = today(request)
    rows = complaints.listing(
        session,
        principal,
        today=day,
        owner=owner,
        case_id=case_id,
        status=status_,
        overdue=overdue,
        before_id=before[0] if before else None,
        limit=limit + 1,
    )
    page, following = page_of(rows, limit, COMPLAINTS_CURSOR, lambda row: (row.id,))
    answer = ComplaintsOut(complaints=[ComplaintOut.of(row, day) for row in page], next_cursor=following)
    record_looks(
        session, principal, "complaint.read", "complaint", (row.customer_id for row in page), at=now(request)
    )
    return answer


@router.get(
    "/complaints/{complaint_id}",
    response_model=ComplaintOut,
    responses=problem_responses(403, 404),
    summary="One complaint, with its ETag",
)
def read_complaint(
    complaint_id: RowId, principal: Handler, session: DatabaseSession, request: Request, response: Response
) -> ComplaintOut:
    """One complaint and its ETag (for If-Match); the look is audited."""
    day = today(request)
    complaint = complaints.read(session, principal, complaint_id, today=day)
    _etag(response, complaint.version)
    answer = ComplaintOut.of(complaint, day)
    record_look(
        session,
        principal,
        "complaint.read",
        "complaint",
        str(complaint_id),
        complaint.customer_id,
        at=now(request),
    )
    return answer


@router.post(
    "/complaints/{complaint_id}/assign",
    response_model=ComplaintOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Give a complaint to an owner",
)
def assign_complaint(
    complaint_id: RowId,
    body: AssignIn,
    principal: Handler,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ComplaintOut:
    """Give a complaint to an owner who handles complaints (not the one complained about)."""
    day = today(request)
    complaint = complaints.assign(
        session,
        principal,
        complaint_id,
        owner_id=body.owner_id,
        reason=body.reason,
        expected=parse_if_match(if_match),
        now=now(request),
        today=day,
    )
    _etag(response, complaint.version)
    return ComplaintOut.of(complaint, day)


@router.post(
    "/complaints/{complaint_id}/respond",
    response_model=ComplaintOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Answer a complaint (open → responded)",
)
def respond_complaint(
    complaint_id: RowId,
    body: RespondIn,
    principal: Handler,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ComplaintOut:
    """Answer a complaint: open → responded."""
    day = today(request)
    complaint = complaints.respond(
        session,
        principal,
        complaint_id,
        response=body.response,
        expected=parse_if_match(if_match),
        now=now(request),
        today=day,
    )
    _etag(response, complaint.version)
    return ComplaintOut.of(complaint, day)


@router.post(
    "/complaints/{complaint_id}/close",
    response_model=ComplaintOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Close an answered complaint (responded → closed, final)",
)
def close_complaint(
    complaint_id: RowId,
    body: CloseIn,
    principal: Handler,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ComplaintOut:
    """Close an answered complaint: responded → closed (final)."""
    day = today(request)
    complaint = complaints.close(
        session,
        principal,
        complaint_id,
        reason=body.reason,
        expected=parse_if_match(if_match),
        now=now(request),
        today=day,
    )
    _etag(response, complaint.version)
    return ComplaintOut.of(complaint, day)
