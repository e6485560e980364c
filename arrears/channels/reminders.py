"""The reminders the nightly batch queues (提醒): promises and plan installments coming due, a
promise found broken, a case opened.

The rules (docs/channels.md, "Reminders"):

- the night of ``as_of`` prepares the messages of the next morning, the *send day*
  (``as_of`` + 1). Four kinds:
  ``promise_reminder`` an open installment of an open promise due ``days_before`` (1) after the
  send day; ``plan_reminder`` an open installment of a plan in force (approved or active) due
  ``days_before`` (3) after the send day; ``broken_promise`` a promise this night found broken;
  ``first_delinquency`` a case this night *opened* (not reopened: its customer had the first
  notice when it first opened);
- the configuration (:data:`DEFAULT_FILE`, or the file of ``ARREARS_REMINDERS``) says per kind,
  for every product and language or for one of them (the most specific entry wins): enabled,
  channel, template code, days before, the customer's local time to send at and how many hours
  the message stays valid. The product is the one of the case's worst account, the language the
  customer's;
- a reminder is skipped, and counted by its reason, when: the customer is under a hold that stops
  collection (dispute, cease, bankruptcy, deceased, hardship); the case has a plan or settlement
  in force rescheduling its amounts (every kind but the plan's own reminder); the channel's
  contact point is missing (the debtor's primary mobile for SMS, primary e-mail for e-mail, an
  address for a letter); no version of the template is approved in the customer's language or
  zh-CN (never sent raw); the template does not render with the case's facts; its validity
  ended before ``now`` (a night run again long after);
- a reminder is queued with :func:`arrears.channels.outbox.queue_message` under the key
  ``reminder:<kind>:<promise, plan or case id>:<date>`` (the installment's due date; the night's
  date for the notices): a rerun of the night queues nothing twice. It is sent from
  ``send_at`` on the send day in the customer's time zone (else the bank's), expires
  ``valid_hours`` later (else by the template's validity), with the template's late policy;
- with pay-now set up (``pay_links``), a message whose template uses ``pay_link`` gets a link
  issued for it in the same transaction (:class:`PayLinks`: for the reminder's amount due, capped
  at what the account owes, living :data:`LINK_DAYS` days from ``send_at`` or to ``not_after``
  if later) and carries its URL; a reminder that is then not queued cancels its link. Without
  pay-now, or when nothing is left to ask, ``pay_link`` is none (templates guard it with
  ``{% if pay_link %}``);
- the selection is set-based (one query per kind and one per fact: products, contact points,
  holds, arrangements, templates), then each message is rendered and queued. The send-time gate
  of the worker stays the final word. Nothing here commits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from sqlalchemy import Connection, Select, String, literal, select, union_all
from sqlalchemy.orm import Session

from arrears.arrangements.models import (
    Arrangement,
    ArrangementInstallment,
    Promise,
    PromiseInstallment,
    PromiseStatus,
)
from arrears.arrangements.plans import IN_FORCE, rescheduled_accounts_query
from arrears.audit.trail import SYSTEM
from arrears.cases.models import Case, CaseAccount, CaseEvent, CaseEventKind
from arrears.channels.models import LatePolicy, MessageChannel, MessageTemplate, OutboxMessage
from arrears.channels.outbox import queue_many
from arrears.channels.rendering import (
    FALLBACK_LANGUAGE,
    LANGUAGES,
    InvalidTemplateError,
    MessageContext,
    provider_params,
    render,
    variables_used,
)
from arrears.channels.templates import active_template
from arrears.disputes.models import STOPPING_HOLDS, Hold
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.portfolio.models import Account, ContactPoint, Customer
from arrears.yamlfile import FileModel, YamlFileError, load_yaml

DEFAULT_FILE = Path(__file__).with_name("reminders.yaml")
MAX_ENTRIES = 200
POINT_TYPES: dict[str, str] = {
    MessageChannel.SMS: "mobile",
    MessageChannel.EMAIL: "email",
    MessageChannel.LETTER: "address",
}
HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class ReminderKind(StrEnum):
    PROMISE = "promise_reminder"
    PLAN = "plan_reminder"
    BROKEN_PROMISE = "broken_promise"
    FIRST_DELINQUENCY = "first_delinquency"


LINK_DAYS = 3
"""Days a reminder's pay-now link lives from the message's send time (longer when the message
itself stays valid longer): the customer may read the message a day or two after it came."""

DUE_KINDS = (ReminderKind.PROMISE, ReminderKind.PLAN)
"""The kinds about an installment coming due (``days_before`` counts for them)."""


class Skip(StrEnum):
    """Why a reminder was not queued (the summary counts each)."""

    HOLD = "hold"
    PLAN = "plan in force"
    NO_CONTACT = "no contact point"
    NO_TEMPLATE = "no approved template"
    RENDERING = "template does not render"
    LATE = "past its validity"


class RemindersFileError(YamlFileError):
    code = "invalid_reminders_file"
    default_message = N_("The reminders file cannot be used")


class ReminderRule(FileModel):
    """One entry of the file: a reminder kind, for a product and/or a language or for all."""

    kind: Literal["promise_reminder", "plan_reminder", "broken_promise", "first_delinquency"]
    product: str | None = Field(default=None, max_length=32)
    language: Literal["zh-CN", "en"] | None = None
    enabled: bool = True
    channel: Literal["sms", "email", "letter"] = "sms"
    template: str = Field(pattern=r"^[a-z0-9_.-]{1,64}$")
    days_before: int = Field(default=1, ge=0, le=60)
    send_at: str = "09:00"
    valid_hours: int | None = Field(default=None, ge=1, le=24 * 30)

    @field_validator("send_at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not HH_MM.fullmatch(value):
            raise InvalidInputError(
                N_("{value} is not a time of day (write it like 09:00)"), value=value[:20]
            )
        return value

    @property
    def local_time(self) -> time:
        return time.fromisoformat(self.send_at)

    @property
    def specificity(self) -> int:
        return (2 if self.product else 0) + (1 if self.language else 0)


class RemindersDocument(FileModel):
    reminders: list[ReminderRule] = Field(max_length=MAX_ENTRIES)

    @field_validator("reminders")
    @classmethod
    def _distinct(cls, rules: list[ReminderRule]) -> list[ReminderRule]:
        seen: set[tuple[str, str | None, str | None]] = set()
        for rule in rules:
            scope = (str(rule.kind), rule.product, rule.language)
            if scope in seen:
                raise InvalidInputError(
                    N_("{kind} is set twice for product {product} and language {language}"),
                    kind=str(rule.kind),
                    product=rule.product or "*",
                    language=rule.language or "*",
                )
            seen.add(scope)
        return rules

    def rule_for(self, kind: ReminderKind, product: str, language: str) -> ReminderRule | None:
        """The most specific entry of ``kind`` matching the product and language, if any."""
        matching = [
            rule
            for rule in self.reminders
            if rule.kind == kind and rule.product in (None, product) and rule.language in (None, language)
        ]
        return max(matching, key=lambda rule: rule.specificity, default=None)

    def days_before(self, kind: ReminderKind) -> set[int]:
        return {rule.days_before for rule in self.reminders if rule.kind == kind and rule.enabled}


def load_reminders(path: Path | None = None) -> RemindersDocument:
    """The reminders of ``path`` (else the shipped defaults), or RemindersFileError naming the
    file, line and key."""
    return load_yaml(path or DEFAULT_FILE, RemindersDocument, error=RemindersFileError)


@dataclass
class ReminderOutcome:
    """What a night's reminder step did."""

    queued: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        return {"reminders_queued": self.queued, "reminders_skipped": sum(self.skipped.values())}

    def note(self) -> str:
        text = f"reminders 提醒: {self.queued} queued"
        if self.skipped:
            reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(self.skipped.items()))
            text += f", {sum(self.skipped.values())} skipped: {reasons}"
        if self.already:
            text += f", {self.already} queued before"
        return text


@dataclass(frozen=True)
class Candidate:
    kind: ReminderKind
    case_id: str
    subject_id: str
    due_on: date
    amount: int | None
    customer_id: str
    name: str
    language: str
    zone: str | None
    overdue: int
    currency: str
    worst_dpd: int

    @property
    def key(self) -> str:
        return f"reminder:{self.kind}:{self.subject_id}:{self.due_on.isoformat()}"


@dataclass(frozen=True)
class ReminderLink:
    url: str
    link_id: int


class PayLinks(Protocol):
    """Pay-now links for reminders (:mod:`arrears.payments.reminder_links`; the channels do not
    import the payments: the night hands them in)."""

    def issue(
        self, session: Session, case_id: str, amount: int | None, now: datetime, expires_at: datetime
    ) -> ReminderLink | None:
        """A link for ``amount`` (none: what is overdue) of the case, none when nothing is owed."""
        ...

    def attach(self, session: Session, links: Mapping[int, int | None], now: datetime) -> None:
        """Tie each link to its queued message; a link whose message was not queued (none) is cancelled."""
        ...

    def withdraw(self, session: Session, now: datetime) -> None:
        """Cancel the unused links of reminders withdrawn since the last night."""
        ...


def queue_reminders(
    connection: Connection,
    as_of: date,
    now: datetime,
    config: RemindersDocument,
    bank_zone: str,
    pay_links: PayLinks | None = None,
) -> ReminderOutcome:
    """Queue the reminders of the night of ``as_of`` (see the module)."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        outcome = _queue(session, as_of, now, config, bank_zone, pay_links)
        session.flush()
        session.commit()  # the savepoint only: the night's transaction commits the lot
    finally:
        session.close()
    return outcome


def _queue(
    session: Session,
    as_of: date,
    now: datetime,
    config: RemindersDocument,
    bank_zone: str,
    pay_links: PayLinks | None = None,
) -> ReminderOutcome:
    outcome = ReminderOutcome()
    if pay_links is not None:
        pay_links.withdraw(session, now)
    send_day = as_of + timedelta(days=1)
    candidates = _candidates(session, as_of, send_day, config)
    if not candidates:
        return outcome
    selected = union_all(*candidates).subquery()
    case_ids = select(selected.c.case_id)
    rows = session.execute(
        select(
            selected,
            Case.customer_id,
            Customer.name,
            Customer.language,
            Customer.timezone,
            Case.overdue_total,
            Case.currency,
            Case.worst_dpd,
        )
        .join(Case, Case.case_id == selected.c.case_id)
        .join(Customer, Customer.customer_id == Case.customer_id)
        .where(Case.status == "open")
        .order_by(selected.c.kind, selected.c.subject_id)
    ).all()
    existing = _existing_keys(session, send_day)
    products = _worst_products(session, case_ids)
    points = debtor_points(session, case_ids)
    held = _held_customers(session, case_ids)
    rescheduled = _rescheduled_cases(session, as_of, case_ids)
    templates: dict[tuple[str, str, str], MessageTemplate | None] = {}
    specs: list[dict[str, Any]] = []
    links: dict[str, int] = {}  # a message's key → its link
    unsent_links: list[int] = []
    for row in rows:
        candidate = Candidate(
            kind=ReminderKind(row.kind),
            case_id=row.case_id,
            subject_id=row.subject_id,
            due_on=row.due_on,
            amount=row.amount,
            customer_id=row.customer_id,
            name=row.name,
            language=template_language(row.language),
            zone=row.timezone,
            overdue=row.overdue_total,
            currency=row.currency,
            worst_dpd=row.worst_dpd,
        )
        product = products.get(candidate.case_id, "")
        rule = config.rule_for(candidate.kind, product, candidate.language)
        if rule is None or not rule.enabled:
            continue
        if candidate.kind in DUE_KINDS and candidate.due_on != send_day + timedelta(days=rule.days_before):
            continue
        if candidate.key in existing:
            outcome.already += 1
            continue
        existing.add(candidate.key)  # two installments of one promise due the same day: one reminder
        skip = _why_not(candidate, rule, held, rescheduled, points)
        if skip is None:
            wanted = (rule.template, str(rule.channel), candidate.language)
            if wanted not in templates:
                templates[wanted] = active_template(session, *wanted)
            template = templates[wanted]
            link = None
            if template is not None and pay_links is not None and _uses_pay_link(template):
                link = _link(session, pay_links, candidate, rule, template, send_day, now, bank_zone)
            made = (
                Skip.NO_TEMPLATE
                if template is None
                else _message(
                    candidate,
                    rule,
                    template,
                    product,
                    points,
                    send_day,
                    now,
                    bank_zone,
                    pay_link=None if link is None else link.url,
                )
            )
            if link is not None:
                if isinstance(made, dict):
                    links[candidate.key] = link.link_id
                else:
                    unsent_links.append(link.link_id)
            if isinstance(made, dict):
                specs.append(made)
                continue
            skip = made
        outcome.skipped[str(skip)] += 1
    _queue_specs(session, specs, links, unsent_links, pay_links, now, outcome)
    return outcome


def _queue_specs(
    session: Session,
    specs: list[dict[str, Any]],
    links: dict[str, int],
    unsent_links: list[int],
    pay_links: PayLinks | None,
    now: datetime,
    outcome: ReminderOutcome,
) -> None:
    """Queue the messages, count them, and tie their links to them (the links of messages not
    queued are cancelled)."""
    attached: dict[int, int | None] = dict.fromkeys(unsent_links)
    for queued in queue_many(session, SYSTEM, specs, now=now):
        if queued.created:
            outcome.queued += 1
        else:
            outcome.already += 1
        key = queued.message.idempotency_key
        if key in links:
            attached[links[key]] = queued.message.id if queued.created else None
    if pay_links is not None and attached:
        pay_links.attach(session, attached, now)


def _uses_pay_link(template: MessageTemplate) -> bool:
    return "pay_link" in variables_used(template.body) | variables_used(template.subject or "")


def _link(
    session: Session,
    pay_links: PayLinks,
    candidate: Candidate,
    rule: ReminderRule,
    template: MessageTemplate,
    send_day: date,
    now: datetime,
    bank_zone: str,
) -> ReminderLink | None:
    """The reminder's pay-now link: for its amount due, living :data:`LINK_DAYS` from ``send_at``
    or to ``not_after`` if later."""
    send_at, not_after = _timing(candidate, rule, template, send_day, bank_zone)
    expires_at = (send_at + timedelta(days=LINK_DAYS)).astimezone(UTC)
    if not_after is not None:
        expires_at = max(expires_at, not_after)
    return pay_links.issue(session, candidate.case_id, candidate.amount, now, expires_at)


def _timing(
    candidate: Candidate, rule: ReminderRule, template: MessageTemplate, send_day: date, bank_zone: str
) -> tuple[datetime, datetime | None]:
    """When the message is sent (the customer's local ``send_at``) and until when (UTC), if limited."""
    send_at = datetime.combine(send_day, rule.local_time, tzinfo=ZoneInfo(candidate.zone or bank_zone))
    valid_hours = rule.valid_hours or template.valid_hours
    not_after = None if valid_hours is None else (send_at + timedelta(hours=valid_hours)).astimezone(UTC)
    return send_at, not_after


def _candidates(
    session: Session, as_of: date, send_day: date, config: RemindersDocument
) -> list[Select[Any]]:
    """One select per enabled kind: (kind, case_id, subject_id, due_on, amount)."""
    chosen: list[Select[Any]] = []
    promise_days = config.days_before(ReminderKind.PROMISE)
    if promise_days:
        chosen.append(
            select(
                _kind(ReminderKind.PROMISE),
                Promise.case_id.label("case_id"),
                _text(PromiseInstallment.promise_id).label("subject_id"),
                PromiseInstallment.due_on.label("due_on"),
                PromiseInstallment.amount.label("amount"),
            )
            .join(Promise, Promise.id == PromiseInstallment.promise_id)
            .where(
                Promise.status == str(PromiseStatus.OPEN),
                PromiseInstallment.status == "open",
                PromiseInstallment.due_on.in_([send_day + timedelta(days=d) for d in promise_days]),
            )
        )
    plan_days = config.days_before(ReminderKind.PLAN)
    if plan_days:
        chosen.append(
            select(
                _kind(ReminderKind.PLAN),
                Arrangement.case_id.label("case_id"),
                _text(ArrangementInstallment.arrangement_id).label("subject_id"),
                ArrangementInstallment.due_on.label("due_on"),
                (ArrangementInstallment.amount - ArrangementInstallment.paid_amount).label("amount"),
            )
            .join(Arrangement, Arrangement.id == ArrangementInstallment.arrangement_id)
            .where(
                Arrangement.status.in_([str(s) for s in IN_FORCE]),
                ArrangementInstallment.status == "open",
                ArrangementInstallment.due_on.in_([send_day + timedelta(days=d) for d in plan_days]),
            )
        )
    if config.days_before(ReminderKind.BROKEN_PROMISE):
        chosen.append(
            select(
                _kind(ReminderKind.BROKEN_PROMISE),
                Promise.case_id.label("case_id"),
                _text(Promise.id).label("subject_id"),
                literal(as_of).label("due_on"),
                (Promise.amount - Promise.paid_amount).label("amount"),
            ).where(Promise.status == str(PromiseStatus.BROKEN), Promise.closed_on == as_of)
        )
    if config.days_before(ReminderKind.FIRST_DELINQUENCY):
        chosen.append(
            select(
                _kind(ReminderKind.FIRST_DELINQUENCY),
                CaseEvent.case_id.label("case_id"),
                CaseEvent.case_id.label("subject_id"),
                literal(as_of).label("due_on"),
                literal(None).label("amount"),
            ).where(CaseEvent.kind == str(CaseEventKind.OPENED), CaseEvent.as_of == as_of)
        )
    return chosen


def _kind(kind: ReminderKind) -> Any:
    return literal(str(kind), String(32)).label("kind")


def _text(column: Any) -> Any:
    return column.cast(String(100))


def _existing_keys(session: Session, send_day: date) -> set[str]:
    """The reminder keys already queued for messages created around the night (a rerun's)."""
    since = datetime.combine(send_day - timedelta(days=3), time(), tzinfo=UTC)
    return set(
        session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.like("reminder:%"), OutboxMessage.created_at >= since
            )
        )
    )


def _worst_products(session: Session, case_ids: Select[Any]) -> dict[str, str]:
    """The product of each case's account with the highest DPD (then the largest overdue)."""
    rows = session.execute(
        select(CaseAccount.case_id, Account.product)
        .join(Account, Account.account_id == CaseAccount.account_id)
        .where(CaseAccount.case_id.in_(case_ids))
        .order_by(CaseAccount.case_id, CaseAccount.dpd, CaseAccount.overdue_amount, Account.account_id.desc())
    )
    return {row.case_id: row.product for row in rows}  # a case's last row is its worst account's


def debtor_points(session: Session, case_ids: Select[Any]) -> dict[tuple[str, str], tuple[int, str]]:
    """(customer, type) → (id, value) of the debtor's point of that type to write to: the primary
    one (an address: the primary, else the first recorded)."""
    customers = select(Case.customer_id).where(Case.case_id.in_(case_ids))
    rows = session.execute(
        select(ContactPoint.customer_id, ContactPoint.type, ContactPoint.id, ContactPoint.value)
        .where(
            ContactPoint.customer_id.in_(customers),
            ContactPoint.type.in_(list(POINT_TYPES.values())),
            ContactPoint.party == "debtor",
            ContactPoint.do_not_contact.is_(False),
            (ContactPoint.is_primary.is_(True)) | (ContactPoint.type == "address"),
        )
        .order_by(ContactPoint.is_primary, ContactPoint.id.desc())
    )
    return {(customer, kind): (point, value) for customer, kind, point, value in rows}


def _held_customers(session: Session, case_ids: Select[Any]) -> set[str]:
    customers = select(Case.customer_id).where(Case.case_id.in_(case_ids))
    return set(
        session.scalars(
            select(Hold.customer_id).where(
                Hold.customer_id.in_(customers),
                Hold.lifted_at.is_(None),
                Hold.kind.in_([str(kind) for kind in STOPPING_HOLDS]),
            )
        )
    )


def _rescheduled_cases(session: Session, as_of: date, case_ids: Select[Any]) -> set[str]:
    standing = rescheduled_accounts_query(as_of).subquery()
    return set(session.scalars(select(standing.c.case_id).where(standing.c.case_id.in_(case_ids))))


def _why_not(
    candidate: Candidate,
    rule: ReminderRule,
    held: set[str],
    rescheduled: set[str],
    points: dict[tuple[str, str], tuple[int, str]],
) -> Skip | None:
    if candidate.customer_id in held:
        return Skip.HOLD
    if candidate.kind != ReminderKind.PLAN and candidate.case_id in rescheduled:
        return Skip.PLAN
    if (candidate.customer_id, POINT_TYPES[rule.channel]) not in points:
        return Skip.NO_CONTACT
    return None


def _message(
    candidate: Candidate,
    rule: ReminderRule,
    template: MessageTemplate,
    product: str,
    points: dict[tuple[str, str], tuple[int, str]],
    send_day: date,
    now: datetime,
    bank_zone: str,
    *,
    pay_link: str | None = None,
) -> Skip | dict[str, Any]:
    """The message to queue (:func:`queue_many`'s mapping), or why there is none."""
    point_id, point_value = points[(candidate.customer_id, POINT_TYPES[rule.channel])]
    letter = rule.channel == str(MessageChannel.LETTER)
    context = _context(candidate, product, send_day, point_value if letter else None, pay_link)
    try:
        subject = render(template.subject, context, template.language) if template.subject else None
        body = render(template.body, context, template.language)
        params = provider_params(template.settings, context, template.language)
    except InvalidTemplateError:
        return Skip.RENDERING
    send_at, not_after = _timing(candidate, rule, template, send_day, bank_zone)
    if not_after is not None and not_after <= now:
        return Skip.LATE  # a night run again long after: its reminders' time has passed
    return {
        "channel": str(rule.channel),
        "customer_id": candidate.customer_id,
        "case_id": candidate.case_id,
        "contact_point_id": point_id,  # a letter's: the address it carries (the worker records it)
        "language": template.language,
        "subject": subject,
        "body": body,
        "provider_params": params,
        "purpose": str(candidate.kind),
        "idempotency_key": candidate.key,
        "not_after": not_after,
        "late_policy": LatePolicy(template.late_policy),
        "template_id": template.id,
        "created_by": None,
        "send_from": send_at.astimezone(UTC),
    }


def _context(
    candidate: Candidate, product: str, send_day: date, address: str | None, pay_link: str | None = None
) -> MessageContext:
    """The case's facts; for a promise or plan reminder ``promise_date`` / ``promise_amount`` are
    the installment coming due, for a broken promise what it left unpaid."""
    due = candidate.kind in DUE_KINDS
    return MessageContext(
        customer_name=candidate.name,
        case_id=candidate.case_id,
        overdue_amount=candidate.overdue,
        currency=candidate.currency,
        product=product,
        due_date=send_day - timedelta(days=candidate.worst_dpd) if candidate.worst_dpd > 0 else None,
        today=send_day,
        promise_date=candidate.due_on if due else None,
        promise_amount=candidate.amount,
        postal_address=address,
        pay_link=pay_link,
    )


def template_language(language: str | None) -> str:
    """The template language of a customer's language tag (en-GB → en; none → zh-CN)."""
    if not language:
        return FALLBACK_LANGUAGE
    for known in LANGUAGES:
        if language == known or language.split("-")[0] == known.split("-")[0]:
            return known
    return FALLBACK_LANGUAGE
