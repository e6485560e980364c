"""Routes of message templates under /api/v1: draft, list, read, approve, retire, preview.

Thin: parse, declare the permission, call :mod:`arrears.channels.templates` in the request's
transaction, render. Reading templates takes ``compliance.check`` (everyone who writes, approves
or sends from them holds it; a template holds no personal data).
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
from arrears.channels import templates
from arrears.channels.template_schemas import (
    MAX_ID,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateOut,
    TemplatesOut,
)
from arrears.concurrency import etag, parse_if_match
from arrears.contacts.gate import pack_of

router = APIRouter(tags=["templates"])
TEMPLATES_CURSOR = "templates"

Writer = Annotated[Principal, Depends(requires(Permission.TEMPLATE_WRITE))]
Approver = Annotated[Principal, Depends(requires(Permission.TEMPLATE_APPROVE))]
Reader = Annotated[Principal, Depends(requires(Permission.COMPLIANCE_CHECK))]
CaseReader = Annotated[Principal, Depends(requires(Permission.CASE_READ))]
TemplateId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/templates",
    response_model=TemplateOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 409),
    summary="Draft a message template (the next number of its code, channel and language)",
)
def draft_template(
    body: TemplateIn, principal: Writer, session: DatabaseSession, request: Request, response: Response
) -> TemplateOut:
    """Refused: a body that does not parse (422 ``invalid_template`` naming the line), an e-mail
    without a subject."""
    spec = templates.TemplateDraft(
        code=body.code,
        channel=body.channel,
        language=body.language,
        subject=body.subject,
        body=body.body,
        late_policy=body.late_policy,
        valid_hours=body.valid_hours,
        settings=body.settings,
    )
    row = templates.draft(session, principal, spec, now=now(request))
    response.headers["ETag"] = etag(row.version)
    return TemplateOut.of(row)


@router.get(
    "/templates",
    response_model=TemplatesOut,
    responses=problem_responses(400, 403),
    summary="Message templates, newest first",
)
def list_templates(
    principal: Reader,
    session: DatabaseSession,
    code: Annotated[str | None, Query(max_length=64)] = None,
    channel: Annotated[Literal["sms", "email", "letter", "call"] | None, Query()] = None,
    language: Annotated[Literal["zh-CN", "en"] | None, Query()] = None,
    template_status: Annotated[Literal["draft", "approved", "retired"] | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> TemplatesOut:
    before = decode_cursor(cursor, TEMPLATES_CURSOR, int)
    rows = templates.listing(
        session,
        code=code,
        channel=channel,
        language=language,
        status=template_status,
        before_id=before[0] if before else None,
        limit=limit + 1,
    )
    page, following = page_of(rows, limit, TEMPLATES_CURSOR, lambda row: (row.id,))
    return TemplatesOut(templates=[TemplateOut.of(row) for row in page], next_cursor=following)


@router.get(
    "/templates/{template_id}",
    response_model=TemplateOut,
    responses=problem_responses(403, 404),
    summary="A message template; the ETag names its version",
)
def read_template(
    template_id: TemplateId, principal: Reader, session: DatabaseSession, response: Response
) -> TemplateOut:
    row = templates.one(session, template_id)
    response.headers["ETag"] = etag(row.version)
    return TemplateOut.of(row)


@router.post(
    "/templates/{template_id}/approve",
    response_model=TemplateOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Approve a draft (not one's own); the approved version before it retires",
)
def approve_template(
    template_id: TemplateId,
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateOut:
    """Refused: not a draft (409 ``template_not_draft``), drafted by the caller (403
    ``own_template``), not rendering (422 ``invalid_template``), blocked by the content check or
    missing a letter's required elements (422 ``template_refused`` with ``rules`` and
    ``reasons``), a stale If-Match (412)."""
    settings = request.app.state.context.settings
    row = templates.approve(
        session,
        principal,
        template_id,
        expected=parse_if_match(if_match),
        pack=pack_of(settings.compliance_pack, settings.compliance_policy),
        now=now(request),
    )
    response.headers["ETag"] = etag(row.version)
    return TemplateOut.of(row)


@router.post(
    "/templates/{template_id}/retire",
    response_model=TemplateOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Retire a draft or an approved template",
)
def retire_template(
    template_id: TemplateId,
    principal: Approver,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateOut:
    """Refused: retired already (409 ``template_retired``), a stale If-Match (412)."""
    row = templates.retire(
        session, principal, template_id, expected=parse_if_match(if_match), now=now(request)
    )
    response.headers["ETag"] = etag(row.version)
    return TemplateOut.of(row)


@router.post(
    "/templates/{template_id}/preview",
    response_model=PreviewOut,
    responses=problem_responses(400, 403, 404),
    summary="A template rendered with a case's data (masked as the caller sees it)",
)
def preview_template(
    template_id: TemplateId,
    body: PreviewIn,
    principal: CaseReader,
    session: DatabaseSession,
    request: Request,
) -> PreviewOut:
    """A case out of the caller's scope is not found; the look is audited (template.preview); an
    SMS answers its encoding, length and segments."""
    preview = templates.preview(
        session, principal, template_id, body.case_id, now=now(request), today=today(request)
    )
    return PreviewOut.of(preview)
