"""Routes of the batch context under /api/v1 (thin: parse, check access, call the repository)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, page_of, problem_responses
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.batch import repository
from arrears.batch.schemas import RunOut, RunsOut

router = APIRouter(tags=["batch"])


@router.get(
    "/batch/runs",
    response_model=RunsOut,
    responses=problem_responses(400, 403),
    summary="The batch's run log",
)
def runs(
    principal: Annotated[Principal, Depends(requires(Permission.BATCH_READ))],
    session: DatabaseSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> RunsOut:
    """One row per as-of date (its last run): status, counts, attempts; newest first."""
    before = decode_cursor(cursor, "runs", date)
    rows = repository.list_runs(session, before[0] if before else None, limit + 1)
    page, following = page_of(rows, limit, "runs", lambda run: (run.as_of.isoformat(),))
    return RunsOut(runs=[RunOut.of(run) for run in page], next_cursor=following)
