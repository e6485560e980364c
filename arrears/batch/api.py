"""Routes of the batch context under /api/v1 (thin: parse, check access, call the repository)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from arrears.api.access import DatabaseSession, requires
from arrears.api.shapes import DEFAULT_LIMIT, MAX_LIMIT, CursorError, decode_cursor, encode_cursor, errors
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.batch import repository
from arrears.batch.schemas import RunOut, RunsOut

router = APIRouter(tags=["batch"])


@router.get("/batch/runs", response_model=RunsOut, responses=errors(400, 403), summary="The batch's run log")
def runs(
    principal: Annotated[Principal, Depends(requires(Permission.BATCH_READ))],
    session: DatabaseSession,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> RunsOut:
    """One row per as-of date (its last run): status, counts, attempts; newest first."""
    before = _as_of(decode_cursor(cursor, "as_of")["as_of"]) if cursor else None
    rows = repository.list_runs(session, before, limit + 1)
    page = rows[:limit]
    following = encode_cursor({"as_of": page[-1].as_of.isoformat()}) if len(rows) > limit else None
    return RunsOut(runs=[RunOut.of(run) for run in page], next_cursor=following)


def _as_of(value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CursorError() from None
