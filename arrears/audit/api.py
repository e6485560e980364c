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
from arrears.api.problems import Problem, language_of
from arrears.audit import export as exporting
from arrears.audit import repository
from arrears.audit.export import MEDIA_TYPES, ExportFormat
from arrears.audit.repository import EntryFilter
from arrears.audit.schemas import AuditEntryOut, EntriesPage, VerifyOut
from arrears.audit.verify import ChainBrokenError, verify
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal

router = APIRouter(tags=["audit"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A filter that cannot be used (e.g. to before from)"},
    401: {"model": Problem, "description": "Not signed in"},
    403: {"model": Problem, "description": "The caller's role does not allow this"},
    422: {"model": Problem, "description": "A malformed parameter"},
}
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
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,18}$", description="next_cursor of the page before")
    ] = None,
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
    after = int(cursor) if cursor is not None else None
    rows = repository.page(session.connection(), where, after=after, limit=limit + 1)
    items = [AuditEntryOut.of(row) for row in rows[:limit]]
    more = len(rows) > limit
    return EntriesPage(items=items, next_cursor=str(items[-1].seq) if more else None)


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
