"""Message templates (消息模板): drafted, approved by someone else, retired; previewed on a case.

The rules (docs/channels.md, "Templates"):

- a template is drafted (``template.write``) for a code, a channel (sms, email, letter, or call
  for a call script) and a language (zh-CN, en) and gets the next number of that code, channel
  and language; it must parse (a syntax error names its line); an e-mail needs a subject; a call
  script's code is ``call_script`` or ``call_script.<bucket>``, and only a call script's is;
- it is approved (``template.approve``) only as a draft, only by someone other than its author
  (the command line, acting as the system, approves no template it drafted itself), and only when
  it renders with the sample context, passes the compliance pack's content check (threats,
  insults, false legal consequences …, and the SMS/e-mail opt-out a pack asks for; a call script
  is checked as a script: the same rules, no required elements) and, for a
  letter, carries the pack's required elements (CN-DISC-1: name, balance, reason, rights, how to
  object, contact, and the seal, which the letter's seal box carries);
- approving a version retires the approved one of its code, channel and language: one approved
  at a time (a unique index makes the second of two racing approvals fail);
- a draft or an approved version is retired (``template.approve``); a retired one is final;
- approve and retire take the version the caller read (If-Match: 412 when stale); every write is
  audited;
- :func:`active_template` is what a message is rendered from: the approved version in the
  customer's language, else in zh-CN;
- a preview renders a template with a real case's facts (the case as the caller sees it: out of
  scope is not found), the postal address masked for a role that does not see addresses; the
  look is audited. Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.auth.masking import mask_address
from arrears.auth.permissions import Permission, PersonalField
from arrears.auth.principal import Principal, actor_of, check_permission
from arrears.cases import repository as cases
from arrears.cases.models import Case
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError
from arrears.channels import template_repository as repository
from arrears.channels.letters import seal_caption
from arrears.channels.models import (
    CALL,
    SCRIPT_CODE,
    TEMPLATE_CHANNELS,
    LatePolicy,
    MessageChannel,
    MessageTemplate,
    TemplateStatus,
)
from arrears.channels.rendering import (
    FALLBACK_LANGUAGE,
    LANGUAGES,
    MessageContext,
    SmsLength,
    check_param_names,
    check_syntax,
    provider_params,
    render,
    sample_context,
    sms_segments,
)
from arrears.compliance.content import check_text
from arrears.compliance.facts import TextRequest
from arrears.compliance.packs import Pack
from arrears.concurrency import LostRaceError, check_version
from arrears.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    echo,
    one_of,
)
from arrears.i18n import N_
from arrears.portfolio.models import Customer
from arrears.portfolio.views import record_look

CODE = re.compile(r"[a-z0-9_.-]{1,64}")
MAX_SUBJECT = 500
MAX_VALID_HOURS = 24 * 30
MAX_SETTINGS = 20


class TemplateNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No template {template_id}")


class TemplateNotDraftError(ConflictError):
    code = "template_not_draft"
    default_message = N_("Template {template_id} is {status}: only a draft is approved")


class TemplateRetiredError(ConflictError):
    code = "template_retired"
    default_message = N_("Template {template_id} is retired already")


class OwnTemplateError(PermissionDeniedError):
    code = "own_template"
    default_message = N_("Template {template_id} was drafted by you: someone else approves it")


class TemplateRefusedError(InvalidInputError):
    """The content check blocks the template (its rule ids and reasons in the problem document)."""

    code = "template_refused"
    http_status = 422
    default_message = N_("Template {template_id} fails the content check: {rules}")

    def __init__(self, reasons: list[dict[str, Any]], **params: Any) -> None:
        super().__init__(**params)
        self.extensions = {"rules": [r["rule_id"] for r in reasons], "reasons": reasons}


@dataclass(frozen=True)
class TemplateDraft:
    code: str
    channel: str
    language: str
    body: str
    subject: str | None = None
    late_policy: str = LatePolicy.WAIT
    valid_hours: int | None = None
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    template: MessageTemplate
    case_id: str
    subject: str | None
    body: str
    sms: SmsLength | None


Who = Principal | Actor


def draft(session: Session, who: Who, spec: TemplateDraft, *, now: datetime) -> MessageTemplate:
    """Store a new draft version of the template of ``spec``'s code, channel and language."""
    check_permission(who, Permission.TEMPLATE_WRITE)
    _check_spec(spec)
    row = MessageTemplate(
        code=spec.code,
        channel=spec.channel,
        language=spec.language,
        number=repository.next_number(session, spec.code, spec.channel, spec.language),
        status=str(TemplateStatus.DRAFT),
        subject=spec.subject,
        body=spec.body,
        late_policy=spec.late_policy,
        valid_hours=spec.valid_hours,
        settings=dict(spec.settings) or None,
        created_at=now,
        created_by=who.user_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise LostRaceError() from None
    _audit(session, who, "template.draft", row, now, after=_shown(row))
    return row


def approve(
    session: Session, who: Who, template_id: int, *, expected: int | None, pack: Pack, now: datetime
) -> MessageTemplate:
    """Approve a draft (see the module's rules); the approved version before it retires."""
    check_permission(who, Permission.TEMPLATE_APPROVE)
    row = one(session, template_id)
    check_version(row, expected, N_("template"), template_id)
    if row.status != TemplateStatus.DRAFT:
        raise TemplateNotDraftError(template_id=template_id, status=row.status)
    if row.created_by == who.user_id:
        raise OwnTemplateError(template_id=template_id)
    decision = content_check(row, pack, sample_context(now.date()))
    if decision:
        raise TemplateRefusedError(
            decision, template_id=template_id, rules=", ".join(r["rule_id"] for r in decision)
        )
    previous = repository.approved(session, row.code, row.channel, row.language)
    try:
        with session.begin_nested():
            if previous is not None:
                _retire(session, who, previous, now)
            before = _shown(row)
            row.status = str(TemplateStatus.APPROVED)
            row.approved_at, row.approved_by = now, who.user_id
            session.flush()
    except IntegrityError:
        raise LostRaceError() from None
    _audit(session, who, "template.approve", row, now, before=before, after=_shown(row) | {"pack": pack.id})
    return row


def retire(
    session: Session, who: Who, template_id: int, *, expected: int | None, now: datetime
) -> MessageTemplate:
    """Retire a draft or the approved version: no message is rendered from it any more."""
    check_permission(who, Permission.TEMPLATE_APPROVE)
    row = one(session, template_id)
    check_version(row, expected, N_("template"), template_id)
    if row.status == TemplateStatus.RETIRED:
        raise TemplateRetiredError(template_id=template_id)
    _retire(session, who, row, now)
    return row


def content_check(row: MessageTemplate, pack: Pack, context: MessageContext) -> list[dict[str, Any]]:
    """The content check's blocking reasons on the template rendered with ``context`` (an
    InvalidTemplateError when it does not render); none: it may be approved."""
    subject = render(row.subject, context, row.language) if row.subject else ""
    body = render(row.body, context, row.language)
    provider_params(row.settings, context, row.language)  # they must render too
    letter = row.channel == MessageChannel.LETTER
    # a letter is checked as it is printed: with its seal box
    text = "\n".join(part for part in (subject, body, seal_caption(row.language) if letter else "") if part)
    decision = check_text(
        TextRequest(
            purpose="script" if row.channel == CALL else "template",
            text=text,
            channel=row.channel,
            template_kind="collection_letter" if letter else None,
        ),
        pack,
    )
    return [] if decision.allowed else [r.to_json() for r in decision.reasons]


def one(session: Session, template_id: int) -> MessageTemplate:
    row = repository.template(session, template_id)
    if row is None:
        raise TemplateNotFoundError(template_id=template_id)
    return row


def listing(
    session: Session,
    *,
    code: str | None = None,
    channel: str | None = None,
    language: str | None = None,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[MessageTemplate]:
    return list(
        repository.templates(
            session,
            code=code,
            channel=channel,
            language=language,
            status=status,
            before_id=before_id,
            limit=limit,
        )
    )


def active_template(
    session: Session, code: str, channel: str, language: str | None
) -> MessageTemplate | None:
    """The approved version a message to a customer of ``language`` is rendered from: in their
    language, else in zh-CN; none when neither is approved."""
    for candidate in dict.fromkeys((language or FALLBACK_LANGUAGE, FALLBACK_LANGUAGE)):
        found = repository.approved(session, code, channel, candidate)
        if found is not None:
            return found
    return None


def context_for(session: Session, case: Case, today: date, *, full_address: bool = True) -> MessageContext:
    """The facts of ``case`` a template is rendered with."""
    customer = session.get(Customer, case.customer_id)
    assert customer is not None  # a case's customer is a foreign key
    promised = repository.next_promised(session, case.case_id)
    address = repository.postal_address(session, case.customer_id)
    return MessageContext(
        customer_name=customer.name,
        case_id=case.case_id,
        overdue_amount=case.overdue_total,
        currency=case.currency,
        product=repository.worst_product(session, case.case_id) or "",
        due_date=date.fromordinal(today.toordinal() - case.worst_dpd) if case.worst_dpd > 0 else None,
        today=today,
        promise_date=promised[0].due_on if promised else None,
        promise_amount=promised[0].amount if promised else None,
        postal_address=address if full_address or address is None else mask_address(address),
    )


def preview(
    session: Session, principal: Principal, template_id: int, case_id: str, *, now: datetime, today: date
) -> Preview:
    """The template rendered with the case's facts as ``principal`` may see them; the look audited."""
    principal.require(Permission.CASE_READ)
    row = one(session, template_id)
    case = cases.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError(N_("No case {case_id}"), case_id=case_id)
    context = context_for(session, case, today, full_address=principal.sees(PersonalField.ADDRESS))
    subject = render(row.subject, context, row.language) if row.subject else None
    body = render(row.body, context, row.language)
    sms = sms_segments(body) if row.channel == MessageChannel.SMS else None
    record_look(session, principal, "template.preview", "case", case_id, case.customer_id, at=now)
    return Preview(row, case_id, subject, body, sms)


def _check_spec(spec: TemplateDraft) -> None:
    if not CODE.fullmatch(spec.code):
        raise InvalidInputError(
            N_("A template's code is 1 to 64 of a-z, 0-9, _ . -, not {code}"), code=repr(echo(spec.code, 80))
        )
    one_of(spec.channel, list(TEMPLATE_CHANNELS), "channel")
    if (spec.channel == CALL) != is_script_code(spec.code):
        raise InvalidInputError(
            N_("A call script's code is {code} or {code}.<bucket>, and only a call script's is"),
            code=SCRIPT_CODE,
        )
    one_of(spec.language, LANGUAGES, "language")
    one_of(spec.late_policy, [str(p) for p in LatePolicy], "late_policy")
    if spec.valid_hours is not None and not 1 <= spec.valid_hours <= MAX_VALID_HOURS:
        raise InvalidInputError(
            N_("valid_hours is from 1 to {maximum}, not {value}"),
            maximum=MAX_VALID_HOURS,
            value=spec.valid_hours,
        )
    if spec.channel == MessageChannel.EMAIL and not (spec.subject or "").strip():
        raise InvalidInputError(N_("An e-mail template needs a subject"))
    if spec.subject is not None and len(spec.subject) > MAX_SUBJECT:
        raise InvalidInputError(
            N_("A template's subject has at most {maximum} characters"), maximum=MAX_SUBJECT
        )
    if len(spec.settings) > MAX_SETTINGS:
        raise InvalidInputError(N_("A template has at most {maximum} settings"), maximum=MAX_SETTINGS)
    if not spec.body.strip():
        raise InvalidInputError(N_("A template's body is empty"))
    check_syntax(spec.body)
    if spec.subject:
        check_syntax(spec.subject)
    check_param_names(spec.settings)


def is_script_code(code: str) -> bool:
    """``call_script`` or ``call_script.<bucket>``: a call script's code."""
    return code == SCRIPT_CODE or code.startswith(SCRIPT_CODE + ".")


def _retire(session: Session, who: Who, row: MessageTemplate, now: datetime) -> None:
    before = _shown(row)
    row.status = str(TemplateStatus.RETIRED)
    row.retired_at = now
    session.flush()
    _audit(session, who, "template.retire", row, now, before=before, after=_shown(row))


def _shown(row: MessageTemplate) -> dict[str, Any]:
    return {
        "code": row.code,
        "channel": row.channel,
        "language": row.language,
        "number": row.number,
        "status": row.status,
        "version": row.version,
    }


def _audit(
    session: Session,
    who: Who,
    action: str,
    row: MessageTemplate,
    now: datetime,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        actor_of(who),
        action,
        at=now,
        object_type="message_template",
        object_id=str(row.id),
        before=before,
        after=after,
    )
