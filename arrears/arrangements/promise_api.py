"""Routes of promises to pay under /api/v1: take (idempotent), history, read, cancel.

Thin: parse, declare the permission, call :mod:`arrears.arrangements.promises` in the request's
transaction, render.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import JSONResponse

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
from arrears.arrangements import promises
from arrears.arrangements.promise_schemas import MAX_ID, PromiseCancelIn, PromiseIn, PromiseOut, PromisesOut
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.concurrency import etag, parse_if_match

router = APIRouter(tags=["promises"])
PROMISES_CURSOR = "promises"

Taker = Annotated[Principal, Depends(requires(Permission.PROMISE_TAKE))]
CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
PromiseId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/cases/{case_id}/promises",
    response_model=PromiseOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Take a promise to pay on a case",
)
def take_promise(
    case_id: str,
    body: PromiseIn,
    principal: Taker,
    session: DatabaseSession,
    request: Request,
    response: Response,
    key: IdempotencyKey = None,
) -> PromiseOut | JSONResponse:
    """One open promise per case: the open one is superseded (kept in the history). Refused: a due
    date before today, dates not increasing, an amount not above zero or with too many decimals, a
    closed case, a case under a dispute, cease, bankruptcy or deceased hold, more than is owed.
    With an ``Idempotency-Key`` a retry gets the first answer again."""
    terms = promises.Terms(
        installments=[(row.due_on, row.amount) for row in body.installments],
        currency=body.currency,
        account_id=body.account_id,
        contact_id=body.contact_id,
    )

    def work() -> PromiseOut:
        view = promises.take(session, principal, case_id, terms, now=now(request), today=today(request))
        return PromiseOut.of(view)

    answer = idempotent(request, session, principal, key, body, work)
    if isinstance(answer, PromiseOut):
        response.headers["ETag"] = etag(answer.version)
    return answer


@router.get(
    "/cases/{case_id}/promises",
    response_model=PromisesOut,
    responses=problem_responses(400, 403, 404),
    summary="The promises of a case, newest first",
)
def case_promises(
    case_id: str,
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PromisesOut:
    """Every promise taken on the case: open, kept, partially kept, broken, superseded, cancelled."""
    before = decode_cursor(cursor, PROMISES_CURSOR, int)
    views = promises.history(
        session, principal, case_id, today(request), before_id=before[0] if before else None, limit=limit + 1
    )
    page, following = page_of(views, limit, PROMISES_CURSOR, lambda view: (view.promise.id,))
    return PromisesOut(
        case_id=case_id, promises=[PromiseOut.of(view) for view in page], next_cursor=following
    )


@router.get(
    "/promises/{promise_id}",
    response_model=PromiseOut,
    responses=problem_responses(403, 404),
    summary="A promise to pay",
)
def read_promise(
    promise_id: PromiseId,
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
    response: Response,
) -> PromiseOut:
    """The promise with its installments, as last evaluated; the ETag names its version (for If-Match)."""
    view = promises.one(session, principal, promise_id, today(request))
    response.headers["ETag"] = etag(view.promise.version)
    return PromiseOut.of(view)


@router.post(
    "/promises/{promise_id}/cancel",
    response_model=PromiseOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Cancel an open promise",
)
def cancel_promise(
    promise_id: PromiseId,
    body: PromiseCancelIn,
    principal: Taker,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> PromiseOut:
    """Only an open promise (409 otherwise); If-Match naming an earlier version is refused (412)."""
    view = promises.cancel(
        session,
        principal,
        promise_id,
        body.reason,
        expected_version=parse_if_match(if_match),
        now=now(request),
        today=today(request),
    )
    response.headers["ETag"] = etag(view.promise.version)
    return PromiseOut.of(view)
