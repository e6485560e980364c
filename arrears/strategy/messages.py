"""The night's message actions (SMS, e-mail, letter) put in the outbox, as the reminders are: the
template's approved version in the customer's language (else zh-CN) rendered with the case's
facts, to the debtor's primary point of the channel, sent from the action's local time, under
the action's key (a night run again queues nothing twice). The send-time gate of the outbox
worker stays the final word.

An action that cannot become a message is *skipped* with why (no approved template, no contact
point of the channel, a template that does not render), counted in the night's note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.trail import SYSTEM
from arrears.cases.models import Case
from arrears.channels.models import LatePolicy, MessageTemplate
from arrears.channels.outbox import queue_many
from arrears.channels.reminders import POINT_TYPES, debtor_points, template_language
from arrears.channels.rendering import InvalidTemplateError, MessageContext, provider_params, render
from arrears.channels.templates import active_template
from arrears.db.keys import one_of
from arrears.i18n import N_, Text
from arrears.portfolio.models import Customer

NO_TEMPLATE = N_("no approved template")
NO_CONTACT = N_("no contact point of the channel")
RENDERING = N_("the template does not render with the case's facts")


@dataclass
class MessageAction:
    """What a message action needs, and what became of it."""

    key: str
    case_id: str
    customer_id: str
    channel: str
    template: str
    send_from: datetime
    facts: Mapping[str, Any]
    message_id: int | None = None
    skipped: str | None = None


CHUNK = 5000
"""Actions composed together (their messages queued in one go)."""


def queue_messages(
    session: Session, actions: Sequence[MessageAction], action_day: date, now: datetime
) -> None:
    """Queue each action's message (setting ``message_id``) or say why not (``skipped``)."""
    templates: dict[tuple[str, str, str], MessageTemplate | None] = {}
    for start in range(0, len(actions), CHUNK):
        _queue_chunk(session, actions[start : start + CHUNK], action_day, now, templates)


def _queue_chunk(
    session: Session,
    actions: Sequence[MessageAction],
    action_day: date,
    now: datetime,
    templates: dict[tuple[str, str, str], MessageTemplate | None],
) -> None:
    dialect = session.get_bind().dialect.name
    case_ids = select(Case.case_id).where(one_of(Case.case_id, sorted({a.case_id for a in actions}), dialect))
    points = debtor_points(session, case_ids)
    customers = sorted({a.customer_id for a in actions})
    names = dict(
        session.execute(
            select(Customer.customer_id, Customer.name).where(
                one_of(Customer.customer_id, customers, dialect)
            )
        ).all()
    )
    specs: list[dict[str, Any]] = []
    by_key: dict[str, MessageAction] = {}
    for action in actions:
        language = template_language(action.facts.get("language"))
        wanted = (action.template, action.channel, language)
        if wanted not in templates:
            templates[wanted] = active_template(session, *wanted)
        spec = _spec(action, templates[wanted], points, names.get(action.customer_id, ""), action_day)
        if isinstance(spec, str):
            action.skipped = spec
            continue
        specs.append(spec)
        by_key[action.key] = action
    for queued in queue_many(session, SYSTEM, specs, now=now):
        by_key[queued.message.idempotency_key].message_id = queued.message.id


def _spec(
    action: MessageAction,
    template: MessageTemplate | None,
    points: Mapping[tuple[str, str], tuple[int, str]],
    name: str,
    action_day: date,
) -> dict[str, Any] | str:
    if template is None:
        return NO_TEMPLATE
    point = points.get((action.customer_id, POINT_TYPES[action.channel]))
    if point is None:
        return NO_CONTACT
    facts = action.facts
    dpd = int(facts.get("dpd") or 0)
    context = MessageContext(
        customer_name=name,
        case_id=action.case_id,
        overdue_amount=int(facts["overdue"]),
        currency=str(facts["currency"]),
        product=str(facts.get("product") or ""),
        due_date=action_day - timedelta(days=dpd) if dpd > 0 else None,
        today=action_day,
        postal_address=point[1] if action.channel == "letter" else None,
    )
    try:
        subject = render(template.subject, context, template.language) if template.subject else None
        body = render(template.body, context, template.language)
        params = provider_params(template.settings, context, template.language)
    except InvalidTemplateError:
        return RENDERING
    not_after = None
    if template.valid_hours is not None:
        not_after = (action.send_from + timedelta(hours=template.valid_hours)).astimezone(UTC)
    return {
        "channel": action.channel,
        "customer_id": action.customer_id,
        "case_id": action.case_id,
        "contact_point_id": point[0],
        "language": template.language,
        "subject": subject,
        "body": body,
        "provider_params": params,
        "purpose": "strategy",
        "idempotency_key": action.key,
        "not_after": not_after,
        "late_policy": LatePolicy(template.late_policy),
        "template_id": template.id,
        "created_by": None,
        "send_from": action.send_from,
    }


def skipped_reason(why: str) -> dict[str, Any]:
    """A skipped action's reason as the actions keep the gate's (rule id and words in each language)."""
    text = Text.of(why)
    return {"rule_id": "not-sent", **text.both(), "blocking": True}
