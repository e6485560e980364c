"""Routes of case work under /api/v1: assignments, placements with agencies, field visits.

Thin: parse, declare the permission, call the service of :mod:`arrears.cases.assignment`,
:mod:`arrears.cases.placements` or :mod:`arrears.cases.visits` in the request's transaction,
render. (The case, customer and account reads are in :mod:`arrears.cases.api`.)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from arrears.api.access import DatabaseSession, requires
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
from arrears.cases import assignment, placements, visits
from arrears.cases.assignment import UNASSIGNED, Expected, Target
from arrears.cases.placements import PlacementRequest
from arrears.cases.work_schemas import (
    MAX_ID,
    AssignmentHistoryOut,
    AssignmentIn,
    AssignmentOut,
    BulkAssignmentIn,
    BulkAssignmentOut,
    CancelIn,
    PlacementIn,
    PlacementOut,
    PlacementsOut,
    RecallIn,
    VisitIn,
    VisitOut,
)
from arrears.errors import InvalidInputError
from arrears.i18n import N_

router = APIRouter(tags=["case work"])
PLACEMENTS_CURSOR = "placements"

Assigner = Annotated[Principal, Depends(requires(Permission.CASE_ASSIGN))]
CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
Placer = Annotated[Principal, Depends(requires(Permission.PLACEMENT_WRITE))]
PlacementReader = Annotated[Principal, Depends(requires(Permission.PLACEMENT_READ))]
VisitAssigner = Annotated[Principal, Depends(requires(Permission.VISIT_ASSIGN))]
PlacementId = Annotated[int, Path(ge=1, le=MAX_ID)]
VisitId = Annotated[int, Path(ge=1, le=MAX_ID)]


def etag(assignment_id: int | None) -> str:
    """The ETag of a case's current assignment (what If-Match names)."""
    return f'"{UNASSIGNED if assignment_id is None else assignment_id}"'


def _expected(body: Expected, if_match: str | None) -> Expected:
    if if_match is None or if_match.strip() == "*":
        return body
    tag = if_match.strip().removeprefix("W/").strip('"')
    if tag == UNASSIGNED:
        from_header: Expected = UNASSIGNED
    elif tag.isascii() and tag.isdigit() and len(tag) <= 18:
        from_header = int(tag)
    else:
        raise InvalidInputError(
            N_('If-Match names an assignment by its ETag ("12" or "unassigned"), not {value}'),
            value=repr(if_match[:40]),
        )
    if body is not None and body != from_header:
        raise InvalidInputError(N_("If-Match and expected_assignment_id name different assignments"))
    return from_header


@router.put(
    "/cases/{case_id}/assignment",
    response_model=AssignmentOut,
    responses=problem_responses(400, 403, 404, 409),
    summary="Assign a case to a team and, optionally, a collector",
)
def assign_case(
    case_id: str,
    body: AssignmentIn,
    principal: Assigner,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(description='The ETag of the assignment the caller expects to replace ("12" or "unassigned")'),
    ] = None,
) -> AssignmentOut:
    """End the case's current assignment and write the new one (history kept; audited with the
    team and collector before and after). A stale If-Match or ``expected_assignment_id`` is 409."""
    made = assignment.assign(
        session,
        principal,
        [case_id],
        Target(body.team_id, body.collector_id),
        body.reason,
        now=now(request),
        today=today(request),
        expected=_expected(body.expected_assignment_id, if_match),
    )
    response.headers["ETag"] = etag(made[0].id)
    return AssignmentOut.of(made[0])


@router.post(
    "/cases/assignments",
    response_model=BulkAssignmentOut,
    responses=problem_responses(400, 403, 404, 409),
    summary="Assign many cases to one team (and collector), all or nothing",
)
def assign_cases(
    body: BulkAssignmentIn, principal: Assigner, session: DatabaseSession, request: Request
) -> BulkAssignmentOut:
    """One target and one reason for every case named; if one case cannot be assigned, none is."""
    made = assignment.assign(
        session,
        principal,
        body.case_ids,
        Target(body.team_id, body.collector_id),
        body.reason,
        now=now(request),
        today=today(request),
    )
    return BulkAssignmentOut(count=len(made), assignments=[AssignmentOut.of(row) for row in made])


@router.get(
    "/cases/{case_id}/assignments",
    response_model=AssignmentHistoryOut,
    responses=problem_responses(403, 404),
    summary="The assignment history of a case",
)
def case_assignments(
    case_id: str, principal: CaseReader, session: DatabaseSession, request: Request, response: Response
) -> AssignmentHistoryOut:
    """Every assignment of the case, newest first; the ETag names the current one (for If-Match)."""
    rows = assignment.history(session, principal, case_id, today(request))
    current = next((row for row in rows if row.ended_at is None), None)
    response.headers["ETag"] = etag(current.id if current else None)
    return AssignmentHistoryOut(
        case_id=case_id,
        current=AssignmentOut.of(current) if current else None,
        history=[AssignmentOut.of(row) for row in rows],
    )


@router.post(
    "/placements",
    response_model=list[PlacementOut],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Place accounts with an agency",
)
def create_placements(
    body: PlacementIn, principal: Placer, session: DatabaseSession, request: Request
) -> list[PlacementOut]:
    """One placement per account, all or nothing; an account already placed over overlapping dates
    is refused (409)."""
    day = today(request)
    made = placements.place(
        session,
        principal,
        PlacementRequest(body.account_ids, body.agency_id, body.starts_on, body.ends_on, body.reason),
        now=now(request),
        today=day,
    )
    return [PlacementOut.of(row, day) for row in made]


@router.post(
    "/placements/{placement_id}/recall",
    response_model=PlacementOut,
    responses=problem_responses(400, 403, 404, 409),
    summary="Recall a placement at once",
)
def recall_placement(
    placement_id: PlacementId, body: RecallIn, principal: Placer, session: DatabaseSession, request: Request
) -> PlacementOut:
    """From this instant the agency's users no longer see the account."""
    day = today(request)
    row = placements.recall(session, principal, placement_id, body.reason, now=now(request), today=day)
    return PlacementOut.of(row, day)


@router.get(
    "/placements",
    response_model=PlacementsOut,
    responses=problem_responses(400, 403),
    summary="List placements (newest first)",
)
def list_placements(
    principal: PlacementReader,
    session: DatabaseSession,
    request: Request,
    agency_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this agency's")] = None,
    account_id: Annotated[str | None, Query(description="Only this account's")] = None,
    active: Annotated[bool | None, Query(description="true: in force today; false: the others")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PlacementsOut:
    """The placements of the accounts the caller sees."""
    before = decode_cursor(cursor, PLACEMENTS_CURSOR, int)
    day = today(request)
    rows = placements.listing(
        session,
        principal,
        today=day,
        agency_id=agency_id,
        account_id=account_id,
        active=active,
        before_id=before[0] if before else None,
        limit=limit + 1,
    )
    page, following = page_of(rows, limit, PLACEMENTS_CURSOR, lambda row: (row.id,))
    return PlacementsOut(placements=[PlacementOut.of(row, day) for row in page], next_cursor=following)


@router.post(
    "/cases/{case_id}/visits",
    response_model=VisitOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Assign a field visit to a field agent",
)
def plan_visit(
    case_id: str, body: VisitIn, principal: VisitAssigner, session: DatabaseSession, request: Request
) -> VisitOut:
    """The agent sees the case's customer while the visit is planned."""
    visit = visits.plan_visit(
        session,
        principal,
        case_id,
        body.agent_id,
        body.planned_on,
        body.reason,
        now=now(request),
        today=today(request),
    )
    return VisitOut.of(visit)


@router.post(
    "/visits/{visit_id}/cancel",
    response_model=VisitOut,
    responses=problem_responses(400, 403, 404, 409),
    summary="Cancel a planned field visit",
)
def cancel_visit(
    visit_id: VisitId, body: CancelIn, principal: VisitAssigner, session: DatabaseSession, request: Request
) -> VisitOut:
    """From this instant the agent no longer sees the customer through this visit."""
    visit = visits.cancel_visit(
        session, principal, visit_id, body.reason, now=now(request), today=today(request)
    )
    return VisitOut.of(visit)
