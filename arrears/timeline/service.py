"""The timeline of a case: what happened to it, newest first, one page at a time.

Sources (:mod:`arrears.timeline.sources`, one query each per page): the batch's events (opened,
bucket moves, cured, closed …), assignments, contacts with their gate verdicts and the rules
they broke, promises and their outcomes, plans and settlements, payments on the case's
accounts, holds on the customer, disputes, complaints, placements and field visits.

The caller must see the case (``case.read`` and the row scope: else 404, as for a missing one);
an agency user sees the payments and placements of the accounts placed with the agency only.
Contact points are masked unless the caller's role sees them in full; free texts are shown as
stored (masked when written). The look is audited (``case.timeline``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Arrangement, Promise
from arrears.auth.masking import CONTACT_FIELDS, mask, scrub
from arrears.auth.models import Team, User
from arrears.auth.permissions import Permission, Scope
from arrears.auth.principal import Principal
from arrears.cases.models import BATCH_EVENT_KINDS, Case, CaseAccount, CaseAssignment, FieldVisit, Placement
from arrears.cases.scope import account_filter, case_filter
from arrears.cases.work import CaseNotFoundError
from arrears.compliance.parties import PARTY_WORDS
from arrears.contacts.dispositions import dispositions
from arrears.contacts.models import Contact
from arrears.disputes.models import Complaint, Dispute, Hold
from arrears.i18n import N_, Text
from arrears.money import format_major
from arrears.portfolio.models import ContactPoint, Payment
from arrears.portfolio.views import record_look
from arrears.queues import reasons
from arrears.timeline.sources import CASE_EVENTS, Entry, Key, Source, below, read, sorted_page, start_of

WORDS = {
    "open": N_("open"),
    "kept": N_("kept"),
    "partially_kept": N_("partially kept"),
    "broken": N_("broken"),
    "superseded": N_("superseded"),
    "cancelled": N_("cancelled"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "active": N_("active"),
    "completed": N_("completed"),
    "proposed": N_("proposed"),
    "upheld": N_("upheld"),
    "withdrawn": N_("withdrawn"),
    "planned": N_("planned"),
    "done": N_("done"),
    "plan": N_("repayment plan"),
    "settlement": N_("settlement"),
    "debt": N_("debt"),
    "amount": N_("amount"),
    "cease": N_("cease communication"),
    "bankruptcy": N_("bankruptcy"),
    "deceased": N_("deceased"),
    "hardship": N_("hardship"),
    "vulnerability": N_("vulnerability"),
    "dispute": N_("dispute"),
    "allow": N_("allowed"),
    "block": N_("blocked"),
    "review": N_("to review"),
    "cured": N_("cured"),
    "paid_off": N_("paid off"),
    "written_off": N_("written off"),
    "call": N_("call"),
    "sms": N_("SMS"),
    "email": N_("e-mail"),
    "letter": N_("letter"),
    "visit": N_("visit"),
    "wechat": N_("WeChat"),
    "ivr": N_("IVR"),
    "chat": N_("chat"),
    "outbound": N_("outbound"),
    "inbound": N_("inbound"),
    "conduct": N_("conduct"),
    "harassment": N_("harassment"),
    "privacy": N_("privacy"),
    "charges": N_("charges"),
    "service": N_("service"),
    **PARTY_WORDS,
}
"""The codes an entry names, in words (a code without a word is shown as it is)."""


def word(code: str | None) -> Text | str:
    if code is None:
        return ""
    return Text.of(WORDS[code]) if code in WORDS else code


def timeline(
    session: Session,
    principal: Principal,
    case_id: str,
    *,
    after: Key | None,
    limit: int,
    today: date,
    now: datetime,
    bank_zone: str,
    language: str,
) -> tuple[list[Entry], dict[int, str]]:
    """``limit`` entries of the case after the key ``after`` (none: the newest), and the names of
    the users who acted in them (labels from data files, the dispositions', in ``language``).
    CaseNotFoundError when the caller does not see the case."""
    principal.require(Permission.CASE_READ)
    case = session.execute(
        select(Case).where(Case.case_id == case_id, case_filter(principal, today))
    ).scalar_one_or_none()
    if case is None:
        raise CaseNotFoundError(case_id=case_id)
    accounts = session.scalars(
        select(CaseAccount.account_id).where(CaseAccount.case_id == case_id).order_by(CaseAccount.account_id)
    ).all()
    groups: list[Sequence[Entry]] = [
        read(session, source, after, limit, bank_zone)
        for source in _sources(principal, case, accounts, today, language)
    ]
    if not _has_batch_events(session, case_id):  # a case older than the batch's case_events
        groups.append([e for e in derived_case_events(case, bank_zone) if below(e, after)])
    page = sorted_page(groups, limit)
    actor_ids = sorted({e.actor_id for e in page if e.actor_id is not None})
    names = {
        row.id: row.username
        for row in session.execute(select(User.id, User.username).where(User.id.in_(actor_ids)))
    }
    record_look(session, principal, "case.timeline", "case", case_id, case.customer_id, at=now)
    return page, names


def derived_case_events(case: Case, bank_zone: str) -> list[Entry]:
    """The case's opening and closing from its row, for a case the batch wrote no events for (one
    opened before ``case_events`` existed)."""
    entries = [Entry(start_of(case.opened_on, bank_zone), "case_opened", 0, Text.of(N_("Case opened")))]
    if case.closed_on is not None:
        title = Text.of(N_("Case closed ({reason})"), reason=word(case.close_reason))
        entries.append(Entry(start_of(case.closed_on, bank_zone), "case_closed", 0, title))
    return entries


def _sources(
    principal: Principal, case: Case, accounts: Sequence[str], today: date, language: str
) -> list[Source]:
    """Every source of the case's entries (``accounts``: the case's, named so that the payments'
    and placements' queries go by their account index)."""
    payments = select(
        Payment.payment_id.label("ident"),
        Payment.paid_on.label("at"),
        Payment.account_id,
        Payment.amount,
        Payment.currency,
        Payment.reverses,
        Payment.channel,
    ).where(Payment.account_id.in_(accounts), Payment.paid_on >= case.opened_on)
    placements = select(Placement).where(Placement.account_id.in_(accounts))
    if principal.scope is Scope.AGENCY:
        payments = payments.where(account_filter(principal, today, Payment.account_id.expression))
        placements = placements.where(account_filter(principal, today, Placement.account_id.expression))
    sources = [
        *batch_event_sources(case.case_id),
        _assignments(case.case_id),
        _contacts(principal, case.case_id, language),
        *_promises(case.case_id),
        *_arrangements(case.case_id),
        Source("payment", payments, Payment.paid_on, Payment.payment_id, _payment, dated=True, numeric=False),
        *_holds(case.customer_id),
        *_disputes(case.case_id),
        *_complaints(case.case_id),
        *_placements(placements.subquery()),
        _visits(case.case_id),
    ]
    return sources


def _has_batch_events(session: Session, case_id: str) -> bool:
    events = CASE_EVENTS.c
    batch = events.kind.in_(BATCH_EVENT_KINDS)
    return (
        session.execute(select(events.id).where(events.case_id == case_id, batch).limit(1)).first()
        is not None
    )


def batch_event_sources(case_id: str) -> list[Source]:
    """The batch's events of the case from ``case_events`` (opened, bucket moves, cured, closed …)."""
    events = CASE_EVENTS.c
    base = select(
        events.id.label("ident"),
        events.occurred_on.label("at"),
        events.kind,
        events.from_bucket,
        events.to_bucket,
        events.account_id,
    ).where(events.case_id == case_id)
    titles = {
        "opened": N_("Case opened"),
        "bucket_changed": N_("Bucket {from_bucket} → {to_bucket}"),
        "cured": N_("Cured"),
        "closed": N_("Case closed"),
        "reopened": N_("Case reopened"),
        "account_joined": N_("Account {account} joined the case"),
        "account_left": N_("Account {account} left the case"),
        "legal_referral": N_("Referred for legal action (a strategy's step, confirmed)"),
    }

    def render(kind: str) -> Any:
        def entry(row: Any, at: datetime) -> Entry:
            title = Text.of(
                titles[kind],
                from_bucket=row.from_bucket or "",
                to_bucket=row.to_bucket or "",
                account=row.account_id or "",
            )
            links = {"account_id": row.account_id} if row.account_id else {}
            return Entry(at, f"case_{kind}", row.ident, title, links=links)

        return entry

    return [
        Source(
            f"case_{kind}",
            base.where(events.kind == kind),
            events.occurred_on,
            events.id,
            render(kind),
            dated=True,
        )
        for kind in titles
    ]


def _assignments(case_id: str) -> Source:
    query = (
        select(
            CaseAssignment.id.label("ident"),
            CaseAssignment.assigned_at.label("at"),
            CaseAssignment.assigned_by,
            CaseAssignment.reason,
            CaseAssignment.team_id,
            CaseAssignment.collector_id,
            Team.code.label("team"),
            User.username.label("collector"),
        )
        .join(Team, Team.id == CaseAssignment.team_id)
        .outerjoin(User, User.id == CaseAssignment.collector_id)
        .where(CaseAssignment.case_id == case_id)
    )

    def render(row: Any, at: datetime) -> Entry:
        if row.collector is None:
            title = Text.of(N_("Assigned to team {team}"), team=row.team)
        else:
            title = Text.of(
                N_("Assigned to {collector} of team {team}"), collector=row.collector, team=row.team
            )
        links: dict[str, int | str] = {"assignment_id": row.ident, "team_id": row.team_id}
        if row.collector_id is not None:
            links["collector_id"] = row.collector_id
        return Entry(
            at,
            "assignment",
            row.ident,
            title,
            (reasons.in_words(row.reason),),
            row.assigned_by,
            links,
        )

    return Source("assignment", query, CaseAssignment.assigned_at, CaseAssignment.id, render)


def _contacts(principal: Principal, case_id: str, language: str) -> Source:
    query = (
        select(
            Contact.id.label("ident"),
            Contact.started_at.label("at"),
            Contact.channel,
            Contact.direction,
            Contact.party,
            Contact.disposition,
            Contact.note,
            Contact.gate_verdict,
            Contact.gate_decision_id,
            Contact.violations,
            Contact.after_the_fact,
            Contact.recorded_by,
            Contact.contact_point_id,
            ContactPoint.type.label("point_type"),
            ContactPoint.value.label("point_value"),
        )
        .outerjoin(ContactPoint, ContactPoint.id == Contact.contact_point_id)
        .where(Contact.case_id == case_id)
    )
    codes = dispositions()

    def render(row: Any, at: datetime) -> Entry:
        known = codes.get(row.disposition)
        disposition = known.label(language) if known is not None else row.disposition
        title = Text.of(
            N_("{channel} ({direction}): {disposition}"),
            channel=word(row.channel),
            direction=word(row.direction),
            disposition=disposition,
        )
        details: list[Text] = []
        if row.point_value is not None:
            field = CONTACT_FIELDS.get(row.point_type)
            shown = (
                row.point_value if field is None or principal.sees(field) else mask(field, row.point_value)
            )
            details.append(Text.of(N_("To {point} ({party})"), point=shown, party=word(row.party)))
        if row.gate_verdict is not None:
            details.append(Text.of(N_("Compliance gate: {verdict}"), verdict=word(row.gate_verdict)))
        if row.violations:
            details.append(Text.of(N_("Rules broken: {rules}"), rules=", ".join(row.violations)))
        if row.after_the_fact:
            details.append(Text.of(N_("Recorded after the fact")))
        if row.note:
            details.append(Text.of(N_("Note: {note}"), note=scrub(row.note)))
        links: dict[str, int | str] = {"contact_id": row.ident}
        if row.gate_decision_id is not None:
            links["decision_id"] = row.gate_decision_id
        return Entry(at, "contact", row.ident, title, tuple(details), row.recorded_by, links)

    return Source("contact", query, Contact.started_at, Contact.id, render)


def _promises(case_id: str) -> list[Source]:
    columns = (
        Promise.id.label("ident"),
        Promise.amount,
        Promise.paid_amount,
        Promise.currency,
        Promise.status,
        Promise.last_due_on,
        Promise.taken_by,
        Promise.contact_id,
    )
    taken = select(*columns, Promise.taken_at.label("at")).where(Promise.case_id == case_id)
    closed = select(*columns, Promise.closed_on.label("at")).where(
        Promise.case_id == case_id, Promise.closed_on.is_not(None)
    )

    def taken_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(
            N_("Promise to pay {amount} {currency} by {due}"),
            amount=format_major(row.amount, row.currency),
            currency=row.currency,
            due=row.last_due_on.isoformat(),
        )
        links: dict[str, int | str] = {"promise_id": row.ident}
        if row.contact_id is not None:
            links["contact_id"] = row.contact_id
        return Entry(at, "promise_taken", row.ident, title, actor_id=row.taken_by, links=links)

    def closed_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(
            N_("Promise {status}: {paid} of {amount} {currency} paid"),
            status=word(row.status),
            paid=format_major(row.paid_amount, row.currency),
            amount=format_major(row.amount, row.currency),
            currency=row.currency,
        )
        return Entry(at, "promise_outcome", row.ident, title, links={"promise_id": row.ident})

    return [
        Source("promise_taken", taken, Promise.taken_at, Promise.id, taken_entry),
        Source("promise_outcome", closed, Promise.closed_on, Promise.id, closed_entry, dated=True),
    ]


def _arrangements(case_id: str) -> list[Source]:
    columns = (
        Arrangement.id.label("ident"),
        Arrangement.kind,
        Arrangement.status,
        Arrangement.currency,
        Arrangement.total_amount,
        Arrangement.discount_amount,
        Arrangement.installment_count,
        Arrangement.proposed_by,
        Arrangement.decided_by,
        Arrangement.decision_note,
    )
    mine = Arrangement.case_id == case_id
    proposed = select(*columns, Arrangement.proposed_at.label("at")).where(mine)
    decided = select(*columns, Arrangement.decided_at.label("at")).where(
        mine, Arrangement.decided_at.is_not(None)
    )
    ended = select(*columns, Arrangement.ended_on.label("at")).where(mine, Arrangement.ended_on.is_not(None))

    def proposed_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(
            N_("{kind} proposed: {amount} {currency} in {count} installments"),
            kind=word(row.kind),
            amount=format_major(row.total_amount, row.currency),
            currency=row.currency,
            count=row.installment_count,
        )
        details: tuple[Text, ...] = ()
        if row.discount_amount:
            details = (
                Text.of(N_("Discount: {amount}"), amount=format_major(row.discount_amount, row.currency)),
            )
        return Entry(
            at,
            "arrangement_proposed",
            row.ident,
            title,
            details,
            row.proposed_by,
            {"arrangement_id": row.ident},
        )

    def decided_entry(row: Any, at: datetime) -> Entry:
        decision = "rejected" if row.status == "rejected" else "approved"
        title = Text.of(N_("{kind} {status}"), kind=word(row.kind), status=word(decision))
        details = (Text.of(N_("Note: {note}"), note=row.decision_note),) if row.decision_note else ()
        return Entry(
            at,
            "arrangement_decided",
            row.ident,
            title,
            details,
            row.decided_by,
            {"arrangement_id": row.ident},
        )

    def ended_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(N_("{kind} {status}"), kind=word(row.kind), status=word(row.status))
        return Entry(at, "arrangement_ended", row.ident, title, links={"arrangement_id": row.ident})

    return [
        Source("arrangement_proposed", proposed, Arrangement.proposed_at, Arrangement.id, proposed_entry),
        Source("arrangement_decided", decided, Arrangement.decided_at, Arrangement.id, decided_entry),
        Source("arrangement_ended", ended, Arrangement.ended_on, Arrangement.id, ended_entry, dated=True),
    ]


def _payment(row: Any, at: datetime) -> Entry:
    amount = format_major(row.amount, row.currency)
    if row.reverses is None:
        title = Text.of(
            N_("Payment of {amount} {currency} on account {account}"),
            amount=amount,
            currency=row.currency,
            account=row.account_id,
        )
    else:
        title = Text.of(
            N_("Payment {payment} reversed: {amount} {currency} on account {account}"),
            payment=row.reverses,
            amount=amount,
            currency=row.currency,
            account=row.account_id,
        )
    details = (Text.of(N_("Channel: {channel}"), channel=row.channel),) if row.channel else ()
    return Entry(
        at,
        "payment",
        row.ident,
        title,
        details,
        links={"payment_id": row.ident, "account_id": row.account_id},
    )


def _holds(customer_id: str) -> list[Source]:
    columns = (
        Hold.id.label("ident"),
        Hold.kind,
        Hold.evidence,
        Hold.placed_by,
        Hold.lifted_by,
        Hold.lift_reason,
    )
    placed = select(*columns, Hold.placed_at.label("at")).where(Hold.customer_id == customer_id)
    lifted = select(*columns, Hold.lifted_at.label("at")).where(
        Hold.customer_id == customer_id, Hold.lifted_at.is_not(None)
    )

    def placed_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(N_("Hold placed: {kind}"), kind=word(row.kind))
        details = (Text.of(N_("Evidence: {evidence}"), evidence=row.evidence),)
        return Entry(at, "hold_placed", row.ident, title, details, row.placed_by, {"hold_id": row.ident})

    def lifted_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(N_("Hold lifted: {kind}"), kind=word(row.kind))
        details = (Text.of(N_("Reason: {reason}"), reason=row.lift_reason),) if row.lift_reason else ()
        return Entry(at, "hold_lifted", row.ident, title, details, row.lifted_by, {"hold_id": row.ident})

    return [
        Source("hold_placed", placed, Hold.placed_at, Hold.id, placed_entry),
        Source("hold_lifted", lifted, Hold.lifted_at, Hold.id, lifted_entry),
    ]


def _disputes(case_id: str) -> list[Source]:
    columns = (
        Dispute.id.label("ident"),
        Dispute.kind,
        Dispute.status,
        Dispute.verify_by,
        Dispute.recorded_by,
        Dispute.resolved_by,
        Dispute.resolution,
        Dispute.hold_id,
        Dispute.account_id,
    )
    raised = select(*columns, Dispute.received_at.label("at")).where(Dispute.case_id == case_id)
    closed = select(*columns, Dispute.resolved_at.label("at")).where(
        Dispute.case_id == case_id, Dispute.resolved_at.is_not(None)
    )

    def links(row: Any) -> dict[str, int | str]:
        found: dict[str, int | str] = {"dispute_id": row.ident}
        if row.hold_id is not None:
            found["hold_id"] = row.hold_id
        if row.account_id is not None:
            found["account_id"] = row.account_id
        return found

    def raised_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(
            N_("Dispute about the {kind}, to verify by {verify_by}"),
            kind=word(row.kind),
            verify_by=row.verify_by.isoformat(),
        )
        return Entry(at, "dispute_raised", row.ident, title, actor_id=row.recorded_by, links=links(row))

    def closed_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(N_("Dispute {status}"), status=word(row.status))
        details = (Text.of(N_("Resolution: {text}"), text=row.resolution),) if row.resolution else ()
        return Entry(at, "dispute_closed", row.ident, title, details, row.resolved_by, links(row))

    return [
        Source("dispute_raised", raised, Dispute.received_at, Dispute.id, raised_entry),
        Source("dispute_closed", closed, Dispute.resolved_at, Dispute.id, closed_entry),
    ]


def _complaints(case_id: str) -> list[Source]:
    columns = (
        Complaint.id.label("ident"),
        Complaint.category,
        Complaint.respond_by,
        Complaint.recorded_by,
        Complaint.owner_id,
        Complaint.response,
    )
    mine = Complaint.case_id == case_id
    received = select(*columns, Complaint.received_at.label("at")).where(mine)
    responded = select(*columns, Complaint.responded_at.label("at")).where(
        mine, Complaint.responded_at.is_not(None)
    )
    closed = select(*columns, Complaint.closed_at.label("at")).where(mine, Complaint.closed_at.is_not(None))

    def received_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(
            N_("Complaint ({category}), to answer by {respond_by}"),
            category=word(row.category),
            respond_by=row.respond_by.isoformat(),
        )
        return Entry(
            at,
            "complaint_received",
            row.ident,
            title,
            actor_id=row.recorded_by,
            links={"complaint_id": row.ident},
        )

    def responded_entry(row: Any, at: datetime) -> Entry:
        details = (Text.of(N_("Response: {text}"), text=row.response),) if row.response else ()
        title = Text.of(N_("Complaint answered"))
        return Entry(
            at, "complaint_responded", row.ident, title, details, row.owner_id, {"complaint_id": row.ident}
        )

    def closed_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(N_("Complaint closed"))
        return Entry(
            at, "complaint_closed", row.ident, title, actor_id=row.owner_id, links={"complaint_id": row.ident}
        )

    return [
        Source("complaint_received", received, Complaint.received_at, Complaint.id, received_entry),
        Source("complaint_responded", responded, Complaint.responded_at, Complaint.id, responded_entry),
        Source("complaint_closed", closed, Complaint.closed_at, Complaint.id, closed_entry),
    ]


def _placements(placements: Any) -> list[Source]:
    p = placements.c
    agency = select(p.id.label("ident"), p.account_id, p.agency_id, p.ends_on, p.reason, p.recall_reason)
    placed = agency.add_columns(p.placed_at.label("at"), p.placed_by.label("actor"))
    recalled = agency.add_columns(p.recalled_at.label("at"), p.recalled_by.label("actor")).where(
        p.recalled_at.is_not(None)
    )

    def placed_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(
            N_("Account {account} placed with agency {agency} until {ends_on}"),
            account=row.account_id,
            agency=row.agency_id,
            ends_on=row.ends_on.isoformat(),
        )
        details = (Text.of(N_("Reason: {reason}"), reason=row.reason),)
        links = {"placement_id": row.ident, "account_id": row.account_id, "agency_id": row.agency_id}
        return Entry(at, "placement", row.ident, title, details, row.actor, links)

    def recalled_entry(row: Any, at: datetime) -> Entry:
        title = Text.of(N_("Placement of account {account} recalled"), account=row.account_id)
        details = (Text.of(N_("Reason: {reason}"), reason=row.recall_reason),) if row.recall_reason else ()
        links = {"placement_id": row.ident, "account_id": row.account_id, "agency_id": row.agency_id}
        return Entry(at, "placement_recalled", row.ident, title, details, row.actor, links)

    return [
        Source("placement", placed, p.placed_at, p.id, placed_entry),
        Source("placement_recalled", recalled, p.recalled_at, p.id, recalled_entry),
    ]


def _visits(case_id: str) -> Source:
    query = (
        select(
            FieldVisit.id.label("ident"),
            FieldVisit.assigned_at.label("at"),
            FieldVisit.agent_id,
            FieldVisit.planned_on,
            FieldVisit.status,
            FieldVisit.assigned_by,
            FieldVisit.reason,
            User.username.label("agent"),
        )
        .join(User, User.id == FieldVisit.agent_id)
        .where(FieldVisit.case_id == case_id)
    )

    def render(row: Any, at: datetime) -> Entry:
        title = Text.of(
            N_("Field visit by {agent} planned for {planned_on} ({status})"),
            agent=row.agent,
            planned_on=row.planned_on.isoformat(),
            status=word(row.status),
        )
        details = (Text.of(N_("Reason: {reason}"), reason=row.reason),)
        links: dict[str, int | str] = {"visit_id": row.ident, "agent_id": row.agent_id}
        return Entry(at, "visit", row.ident, title, details, row.assigned_by, links)

    return Source("visit", query, FieldVisit.assigned_at, FieldVisit.id, render)
