"""The compliance officer's and the auditor's pages (合规 / 审计): the review list (flagged contacts
and notes, open complaints with their deadlines, open disputes), message templates awaiting
approval, the rule pack in force in words, and the audit trail's search with the chain's check.

Thin, like the API's routes: the same services as ``contacts.api`` (review), ``disputes.api``
(complaints, disputes, each look audited as there), ``channels.template_api`` (approve, retire),
``audit.api`` (entries, verify), in the request's unit of work. A refused form is shown on the page
with its 4xx status, its writes rolled back.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now, today
from arrears.audit import export as exporting
from arrears.audit import repository as trail
from arrears.audit.repository import COLUMN_NAMES, EntryFilter
from arrears.audit.verify import ChainBrokenError, verify
from arrears.auth.permissions import ROLE_NAMES, Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import case_filter
from arrears.channels import templates
from arrears.channels.models import TemplateStatus
from arrears.compliance.messages import describe
from arrears.compliance.packs import Pack
from arrears.contacts import repository as contacts
from arrears.contacts import service as contact_service
from arrears.contacts.dispositions import dispositions
from arrears.contacts.gate import pack_of
from arrears.contacts.models import ReviewOutcome
from arrears.contacts.schemas import ContactOut
from arrears.disputes import complaints, disputes
from arrears.disputes.models import Complaint, ComplaintStatus, DisputeStatus
from arrears.errors import ConflictError, InvalidInputError
from arrears.i18n import N_
from arrears.portfolio import repository as portfolio
from arrears.portfolio.views import record_looks
from arrears.timeline import service as timeline
from arrears.web import render
from arrears.web.supervise import names_of, refusal

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[Principal, Depends(page_requires(Permission.CONTACT_REVIEW))]
TemplateApprover = Annotated[Principal, Depends(page_requires(Permission.TEMPLATE_APPROVE))]
Checker = Annotated[Principal, Depends(page_requires(Permission.COMPLIANCE_CHECK))]
AuditReader = Annotated[Principal, Depends(page_requires(Permission.AUDIT_READ))]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[int | None, Form(ge=0, le=2**31 - 1)]
Filter = Annotated[str | None, Query(max_length=100)]

SHOWN = 50
OUTCOMES = {"ok": N_("done"), "refused": N_("refused"), "failed": N_("failed")}
"""An audit entry's outcome in words."""
"""Rows each list shows at most."""
PARAMETERS: dict[str, str] = {
    "quiet_start": N_("Quiet hours begin (debtor-local)"),
    "quiet_end": N_("Quiet hours end (debtor-local)"),
    "max_conversations_per_day": N_("Conversations with one debtor per day, at most"),
    "max_unanswered_per_number_per_day": N_("Unanswered calls to one number per day, at most"),
    "max_calls_in_7_days": N_("Calls in 7 days, at most"),
    "max_texts_per_day": N_("Texts per day, at most"),
    "dispute_verification_days": N_("Days to verify a dispute"),
    "days_after_conversation": N_("Days without a call after a conversation"),
    "contact_person_after_failed_attempts": N_("Failed attempts before a contact person may be called"),
}


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


# --- the review list --------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    session: DatabaseSession,
    principal: Reviewer,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The compliance review list (合规复核): flagged contacts and notes, open complaints with their
    deadlines, open disputes; each customer's look audited as the API audits it."""
    return _review(request, session, principal, done=done)


def _review(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    done: str | None = None,
    refused: InvalidInputError | ConflictError | None = None,
) -> Response:
    day, at, language = today(request), now(request), render.language_of(request)
    flagged = contacts.review_list(session, case_filter(principal, day), after=None, limit=SHOWN)
    codes = dispositions(request.app.state.context.settings.dispositions)
    points = {
        point.id: point
        for customer_id in {row.customer_id for row in flagged}
        for point in portfolio.contact_points_of(session, customer_id)
    }
    shown = [ContactOut.of(row, principal, language, codes, points) for row in flagged]
    open_complaints: list[Complaint] = []
    if principal.may(Permission.COMPLAINT_HANDLE):  # the same permission as GET /api/v1/complaints
        open_complaints = list(
            complaints.listing(
                session,
                principal,
                today=day,
                owner=None,
                case_id=None,
                status=str(ComplaintStatus.OPEN),
                overdue=False,
                before_id=None,
                limit=SHOWN,
            )
        )
    open_disputes = list(
        disputes.listing(
            session,
            principal,
            today=day,
            case_id=None,
            status=str(DisputeStatus.OPEN),
            overdue=False,
            before_id=None,
            limit=SHOWN,
        )
    )
    record_looks(
        session, principal, "contact.read", "contact_review", (r.customer_id for r in flagged), at=at
    )
    record_looks(
        session, principal, "complaint.read", "complaint", (c.customer_id for c in open_complaints), at=at
    )
    record_looks(session, principal, "dispute.read", "dispute", (d.customer_id for d in open_disputes), at=at)
    context: dict[str, Any] = {
        "contacts": shown,
        "complaints": sorted(open_complaints, key=lambda c: (c.respond_by, c.id)),
        "disputes": sorted(open_disputes, key=lambda d: (d.verify_by, d.id)),
        "today": day,
        "word": timeline.word,
        "done": done == "reviewed",
        "problem": refused.message(language) if refused else None,
    }
    return render.render(request, "review.html", context, status=refused.http_status if refused else 200)


@router.post("/review/{contact_id}")
def review_contact(
    request: Request,
    session: DatabaseSession,
    principal: Reviewer,
    contact_id: RowId,
    outcome: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Close the review of a flagged contact: cleared or confirmed, with a note (the same service
    as POST /api/v1/contacts/{id}/review; audited)."""
    with refusal(session) as caught:
        try:
            chosen = ReviewOutcome(outcome)
        except ValueError:
            raise InvalidInputError(N_("Choose cleared or confirmed")) from None
        contact_service.review(
            session, principal, contact_id, chosen, note or None, now=now(request), today=today(request)
        )
    if caught:
        return _review(request, session, principal, refused=caught[0])
    return _see_other("/review?done=reviewed")


# --- templates awaiting approval --------------------------------------------------------------


def _templates(
    request: Request,
    session: Session,
    *,
    done: str | None = None,
    refused: InvalidInputError | ConflictError | None = None,
) -> Response:
    drafts = templates.listing(session, status=str(TemplateStatus.DRAFT), limit=SHOWN)
    context = {
        "drafts": drafts,
        "names": names_of(session, {row.created_by for row in drafts}),
        "done": done if done in ("approved", "retired") else None,
        "problem": refused.message(render.language_of(request)) if refused else None,
    }
    return render.render(
        request, "template_approvals.html", context, status=refused.http_status if refused else 200
    )


@router.get("/template-approvals", response_class=HTMLResponse)
def template_approvals(
    request: Request,
    session: DatabaseSession,
    principal: TemplateApprover,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Message templates awaiting approval, newest first, with their text, to approve or retire
    (the same services as GET /api/v1/templates?status=draft)."""
    return _templates(request, session, done=done)


@router.post("/template-approvals/{template_id}/approve")
def approve_template(
    request: Request,
    session: DatabaseSession,
    principal: TemplateApprover,
    template_id: RowId,
    version: Version = None,
) -> Response:
    """Approve a draft, not one's own, after the content check (the same service as POST
    /api/v1/templates/{id}/approve)."""
    settings = request.app.state.context.settings
    with refusal(session) as caught:
        templates.approve(
            session,
            principal,
            template_id,
            expected=version,
            pack=pack_of(settings.compliance_pack, settings.compliance_policy),
            now=now(request),
        )
    if caught:
        return _templates(request, session, refused=caught[0])
    return _see_other("/template-approvals?done=approved")


@router.post("/template-approvals/{template_id}/retire")
def retire_template(
    request: Request,
    session: DatabaseSession,
    principal: TemplateApprover,
    template_id: RowId,
    version: Version = None,
) -> Response:
    """Retire (turn down) a draft (the same service as POST /api/v1/templates/{id}/retire)."""
    with refusal(session) as caught:
        templates.retire(session, principal, template_id, expected=version, now=now(request))
    if caught:
        return _templates(request, session, refused=caught[0])
    return _see_other("/template-approvals?done=retired")


# --- the rule pack in force -------------------------------------------------------------------


def _shown_value(value: object) -> object:
    """A parameter as a reader writes it: a time of day as 22:00."""
    return value.strftime("%H:%M") if isinstance(value, time) else value


def _pack_rules(pack: Pack) -> list[str]:
    ids = set(pack.checks.values()) | {rule for rules in pack.content.values() for rule in rules}
    return sorted(ids)


@router.get("/rule-pack", response_class=HTMLResponse)
def rule_pack(request: Request, principal: Checker) -> Response:
    """The compliance rule pack in force (the bank's policy over its pack): its parameters and
    its rules, in words."""
    settings = request.app.state.context.settings
    pack = pack_of(settings.compliance_pack, settings.compliance_policy)
    values = vars(pack.parameters)
    context = {
        "pack": pack,
        "title": pack.title_in(render.language_of(request)),
        "parameters": [(PARAMETERS[name], _shown_value(values.get(name))) for name in PARAMETERS],
        "rules": [(rule_id, describe(rule_id)) for rule_id in _pack_rules(pack)],
        "tightened": sorted(pack.tightened),
    }
    return render.render(request, "rule_pack.html", context)


# --- the audit trail --------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_search(
    request: Request,
    session: DatabaseSession,
    principal: AuditReader,
    actor: Filter = None,
    action: Filter = None,
    object_type: Filter = None,
    object_id: Filter = None,
    customer_id: Filter = None,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    """Search the audit trail (审计记录): by actor, action, object, customer and days, oldest first,
    a page at a time (the same query as GET /api/v1/audit/entries)."""
    start, end = exporting.day_bounds(first, last, request.app.state.context.settings.bank_timezone)
    given = {
        "actor": actor or None,
        "action": action or None,
        "object_type": object_type or None,
        "object_id": object_id or None,
        "customer_id": customer_id or None,
    }
    where = EntryFilter(start=start, end=end, **given)
    rows = trail.page(session.connection(), where, after=after, limit=SHOWN + 1)
    entries = [dict(zip(COLUMN_NAMES, row, strict=True)) for row in rows[:SHOWN]]
    query = {name: value for name, value in given.items() if value} | {
        name: day.isoformat() for name, day in (("from", first), ("to", last)) if day
    }
    context = {
        "entries": entries,
        "more": len(rows) > SHOWN,
        "filters": given
        | {"from": first.isoformat() if first else "", "to": last.isoformat() if last else ""},
        "query": query,
        "after": after,
        "outcomes": OUTCOMES,
        "role_names": {str(role): name for role, name in ROLE_NAMES.items()},
    }
    return render.render(request, "audit.html", context)


@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, session: DatabaseSession, principal: AuditReader) -> Response:
    """Verify the audit chain now: intact with its head, or its first break (the same walk as
    GET /api/v1/audit/verify)."""
    state = verify(session.connection())
    broken = (
        None if state.broken is None else ChainBrokenError(state.broken).message(render.language_of(request))
    )
    context = {"state": state, "broken": broken, "checked_at": now(request)}
    return render.render(request, "audit_verify.html", context)
