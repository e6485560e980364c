"""Routes of the audit context under /api/v1 (thin: parse, check access, call the service).

``GET /audit/entries`` (a page of entries after a cursor, in ``seq`` order), ``GET /audit/verify``
(the whole chain checked) and ``GET /audit/export`` (CSV or JSON, streamed; the export is itself
recorded before the first byte goes out).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import BigInt, Cursor, decode_cursor, page_of, problem_responses
from arrears.api.problems import language_of
from arrears.audit import export as exporting
from arrears.audit import repository
from arrears.audit.export import MEDIA_TYPES, ExportFormat
from arrears.audit.repository import EntryFilter
from arrears.audit.schemas import AuditEntryOut, EntriesPage, VerifyOut
from arrears.audit.verify import ChainBrokenError, verify
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal

router = APIRouter(tags=["audit"])

ERRORS = problem_responses(400, 401, 403)
ENTRIES_CURSOR = "audit"
ReadAudit = Annotated[Principal, Depends(requires(Permission.AUDIT_READ))]
ExportAudit = Annotated[Principal, Depends(requires(Permission.AUDIT_EXPORT))]
From = Annotated[date | None, Query(alias="from", description="First day, in the bank's zone")]
To = Annotated[date | None, Query(alias="to", description="Last day, included, in the bank's zone")]


def _bounds(request: Request, first: date | None, last: date | None) -> tuple[Any, Any]:
    return exporting.day_bounds(first, last, request.app.state.context.settings.bank_timezone)


@router.get("/audit/entries", response_model=EntriesPage, responses=ERRORS)
def list_entries(
    request: Request,
    session: DatabaseSession,
    _principal: ReadAudit,
    first: From = None,
    last: To = None,
    actor: Annotated[str | None, Query(description="The actor's user name")] = None,
    action: Annotated[str | None, Query(description="e.g. case.assign")] = None,
    object_type: str | None = None,
    object_id: str | None = None,
    customer_id: str | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EntriesPage:
    """The entries the filters select, oldest first (by seq), a page at a time."""
    start, end = _bounds(request, first, last)
    where = EntryFilter(
        start=start,
        end=end,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
    )
    after = decode_cursor(cursor, ENTRIES_CURSOR, BigInt)
    rows = repository.page(session.connection(), where, after=after[0] if after else None, limit=limit + 1)
    page, following = page_of(rows, limit, ENTRIES_CURSOR, lambda row: (row.seq,))
    return EntriesPage(items=[AuditEntryOut.of(row) for row in page], next_cursor=following)


@router.get("/audit/verify", response_model=VerifyOut, responses=ERRORS)
def verify_chain(request: Request, session: DatabaseSession, _principal: ReadAudit) -> VerifyOut:
    """The whole chain walked and recomputed: intact with its head, or the first break."""
    state = verify(session.connection())
    if state.broken is None:
        return VerifyOut(
            intact=True, entries=state.entries, head_seq=state.head_seq, head_hash=state.head_hash
        )
    return VerifyOut(
        intact=False,
        entries=state.entries,
        head_seq=state.head_seq,
        head_hash=state.head_hash,
        broken_at=state.broken.seq,
        kind=str(state.broken.kind),
        detail=ChainBrokenError(state.broken).message(language_of(request)),
    )


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {
            "description": "The entries with their hashes, streamed",
            "content": {MEDIA_TYPES[ExportFormat.CSV]: {}, MEDIA_TYPES[ExportFormat.JSON]: {}},
        },
    },
)
def export_entries(
    request: Request,
    session: DatabaseSession,
    principal: ExportAudit,
    first: Annotated[date, Query(alias="from", description="First day, in the bank's zone")],
    last: Annotated[date, Query(alias="to", description="Last day, included, in the bank's zone")],
    customer_id: str | None = None,
    format: ExportFormat = ExportFormat.CSV,
) -> StreamingResponse:
    """Every entry of the days (and of the customer) with its hash, as CSV or JSON; the export is
    recorded (who, which range) before it is streamed."""
    start, end = _bounds(request, first, last)
    where = EntryFilter(start=start, end=end, customer_id=customer_id)
    head = exporting.about(where, first, last, format)
    context = request.app.state.context
    exporting.record_export(session, principal.actor(), at=context.clock.now(), head=head)
    engine = context.engine

    def body() -> Iterator[str]:
        with engine.connect() as connection:
            yield from exporting.stream(connection, where, format, head)

    name = f"audit-{first.isoformat()}-{last.isoformat()}.{format}"
    return StreamingResponse(
        body(),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
