"""The route of the case timeline: ``GET /api/v1/cases/{case_id}/timeline``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import (
    DEFAULT_LIMIT,
    Cursor,
    CursorError,
    Limit,
    decode_cursor,
    encode_cursor,
    now,
    problem_responses,
    today,
)
from arrears.api.problems import language_of
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.timeline import service
from arrears.timeline.schemas import EntryOut, TimelineOut
from arrears.timeline.sources import Key, parse_key

router = APIRouter(tags=["case timeline"])
TIMELINE_CURSOR = "timeline"

CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]


def _after(cursor: str | None) -> Key | None:
    parts = decode_cursor(cursor, TIMELINE_CURSOR, str, str, str)
    if parts is None:
        return None
    try:
        return parse_key(*parts)
    except ValueError:
        raise CursorError() from None


@router.get(
    "/cases/{case_id}/timeline",
    response_model=TimelineOut,
    responses=problem_responses(400, 403, 404),
    summary="The case's timeline, newest first, in the caller's language",
)
def case_timeline(
    case_id: str,
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> TimelineOut:
    """The case's timeline, newest first, in the caller's language (the look is audited).

    The batch's events, assignments, contacts and their gate verdicts, promises and their
    outcomes, plans and settlements, payments, holds, disputes, complaints, placements and field
    visits."""
    language = language_of(request)
    context = request.app.state.context
    entries, names = service.timeline(
        session,
        principal,
        case_id,
        after=_after(cursor),
        limit=limit + 1,
        today=today(request),
        now=now(request),
        bank_zone=context.settings.bank_timezone,
        language=language,
    )
    page = entries[:limit]
    following = None
    if len(entries) > limit:
        last = page[-1]
        following = encode_cursor(TIMELINE_CURSOR, _iso(last.at), last.kind, str(last.id))
    return TimelineOut(
        case_id=case_id,
        language=language,
        entries=[EntryOut.of(entry, language, names) for entry in page],
        next_cursor=following,
    )


def _iso(at: datetime) -> str:
    return at.isoformat()
