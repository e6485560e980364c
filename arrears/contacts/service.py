"""Logging contacts, through the compliance gate; their review by compliance.

The rules:

- :func:`record_contact` is the only function that inserts a contact (a test reads the package's
  code to prove it), and it refuses an outbound contact without the gate's decision on it: every
  path that records an outbound contact (a collector's log, an attempt refused, the channels'
  outbox of a later issue) asks the gate first (:func:`arrears.contacts.gate.check_contact`);
- an outbound contact made now is put to the gate at its start: blocked, it is refused
  (:class:`ContactBlockedError`, 409, naming the rule ids and ``next_allowed_at``) and the refusal
  itself is recorded (a contact ``refused_by_gate``, the gate's decision), which the way in
  commits although the request fails. A clearance asked just before (:func:`clear_attempt`) is
  used once, within :data:`CLEARANCE` of the question, for the same channel and contact point;
- an outbound contact recorded after the fact (a call from a desk phone) is checked at its start
  and stored whatever the answer, the blocking rule ids as its ``violations``, for review;
- inbound contacts are not gated;
- a note passes the content check (a note is never blocked: a flagged one is kept with its flags);
  a violation, a flagged note or a gate verdict of review puts the contact on the review list.

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.audit.trail import SYSTEM, Actor, Outcome, record, record_many
from arrears.auth.masking import scrub
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal, actor_of
from arrears.cases import repository as cases
from arrears.cases import work_repository
from arrears.cases.models import Case, CaseStatus
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError
from arrears.clock import local_date
from arrears.compliance import repository as decisions
from arrears.compliance.content import check_text
from arrears.compliance.decision import Decision, Verdict
from arrears.compliance.facts import ContactRequest, Facts, TextRequest
from arrears.compliance.gate import decide
from arrears.compliance.models import ComplianceDecision
from arrears.compliance.packs import Pack
from arrears.compliance.service import record_decision
from arrears.contacts import repository
from arrears.contacts.callbacks import CallbackDraft, schedule_on
from arrears.contacts.common import CaseClosedError, Gatekeeping, GateRefusalError, visible_case
from arrears.contacts.dispositions import CALLBACK_REQUESTED, REFUSED_BY_GATE, UnknownDispositionError
from arrears.contacts.gate import (
    GATE_CHANNELS,
    GATE_PARTIES,
    Checked,
    check_contact,
    facts_for_many,
    take_turns,
)
from arrears.contacts.models import (
    Callback,
    CallTaskStatus,
    Channel,
    Contact,
    ContactDayChange,
    Direction,
    ReviewOutcome,
    ReviewStatus,
)
from arrears.errors import ArrearsError, ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_, Text
from arrears.portfolio import repository as portfolio

CLEARANCE = timedelta(minutes=15)
"""How long the gate's clearance of a contact about to be made holds (the contact starts within it)."""
NOW_TOLERANCE = timedelta(minutes=5)
"""A contact logged as made now may start this far either side of the clock's now (clocks drift)."""
CALL_CHANNELS = frozenset({Channel.CALL, Channel.IVR})
"""Channels whose contacts may carry a recording."""
SHA256 = re.compile("[0-9a-f]{64}")
MAX_NOTE = 4000


@dataclass(frozen=True)
class Draft:
    """A contact as its author tells it."""

    channel: str
    direction: str
    party: str
    disposition: str
    contact_point_id: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    note: str | None = None
    recording_uri: str | None = None
    recording_sha256: str | None = None
    after_the_fact: bool = False
    gate_decision_id: int | None = None


@dataclass(frozen=True)
class Gated:
    """The gate's word on one contact: its recorded decision, the verdict, the blocking rule ids."""

    decision_id: int
    verdict: str
    violations: tuple[str, ...] = ()

    @classmethod
    def of(cls, checked: Checked) -> Gated:
        return cls(
            checked.decision_id,
            checked.decision.verdict.value,
            tuple(r.rule_id for r in checked.decision.reasons if r.blocking),
        )


@dataclass(frozen=True)
class Clearance:
    """A contact about to be made, allowed by the gate: log it with ``gate_decision_id`` before
    ``expires_at``."""

    gate_decision_id: int
    case_id: str
    channel: str
    contact_point_id: int
    decided_at: datetime
    expires_at: datetime


# --- Errors. ------------------------------------------------------------------------------------


class ContactInputError(InvalidInputError):
    code = "contact_invalid"
    default_message = N_("The contact cannot be logged as given")


class ContactPointUnknownError(InvalidInputError):
    code = "contact_point_unknown"
    default_message = N_("Contact point {contact_point_id} is not one of the customer's")


class ContactBlockedError(GateRefusalError):
    """The gate refused a contact about to be made; the refusal is on the record (``contact_id``,
    ``gate_decision_id`` in the problem document)."""

    code = "contact_blocked"


class ClearanceError(ConflictError):
    code = "clearance_invalid"
    default_message = N_("Gate decision {decision_id} does not clear this contact: {why}")


USED = N_("it cleared another contact already")


class UngatedContactError(ArrearsError):
    """A bug: a path tried to record an outbound contact without asking the gate."""

    code = "ungated_contact"
    default_message = N_("An outbound contact is recorded only with the compliance gate's decision")


class ContactNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No contact {contact_id}")


class NotPendingError(ConflictError):
    code = "contact_not_pending"
    default_message = N_("Contact {contact_id} is not waiting for review ({status})")


# --- The one insert. ----------------------------------------------------------------------------


def record_contact(
    session: Session,
    case: Case,
    draft: Draft,
    *,
    started_at: datetime,
    gated: Gated | None,
    note_flags: list[dict[str, Any]],
    recorded_by: int | None,
    source: str,
    ctx: Gatekeeping,
    teams: Mapping[str, int] | None = None,
) -> Contact:
    """Insert one contact (the only place that does). An outbound contact needs the gate's
    decision on it (``gated``), else :class:`UngatedContactError`; a decision clears one contact.
    ``teams``: the current team of each case, read by a caller recording many contacts at once;
    the contact is then left to that caller's one flush (its decision is new: no clearance race)."""
    if draft.direction == Direction.OUTBOUND and gated is None:
        raise UngatedContactError()
    refused = draft.disposition == REFUSED_BY_GATE
    violations = list(gated.violations) if gated is not None and draft.after_the_fact else []
    pending = bool(violations or note_flags) or (gated is not None and gated.verdict == Verdict.REVIEW)
    contact = Contact(
        case_id=case.case_id,
        customer_id=case.customer_id,
        channel=draft.channel,
        direction=draft.direction,
        contact_point_id=draft.contact_point_id,
        party=draft.party,
        started_at=started_at,
        ended_at=None if refused else draft.ended_at,
        started_on=local_date(started_at, ctx.bank_timezone),
        disposition=draft.disposition,
        note=None if refused else draft.note,
        note_flags=note_flags,
        recording_uri=None if refused else draft.recording_uri,
        recording_sha256=None if refused else draft.recording_sha256,
        gate_decision_id=None if gated is None else gated.decision_id,
        gate_verdict=None if gated is None else gated.verdict,
        violations=violations,
        after_the_fact=draft.after_the_fact,
        review_status=ReviewStatus.PENDING if pending and not refused else ReviewStatus.NONE,
        source=source,
        recorded_at=ctx.clock.now(),
        recorded_by=recorded_by,
        team_id=_team_of(session, case.case_id) if teams is None else teams.get(case.case_id),
    )
    if contact.direction == Direction.OUTBOUND:  # the dashboard reads its day live until the night
        session.add(ContactDayChange(started_on=contact.started_on))
    if teams is not None:
        session.add(contact)
        return contact
    try:
        with session.begin_nested():
            repository.add_contact(session, contact)
    except IntegrityError:  # the unique index on gate_decision_id: a clearance used twice at once
        if gated is None or not repository.decision_used(session, gated.decision_id):
            raise
        raise ClearanceError(decision_id=gated.decision_id, why=Text.of(USED)) from None
    return contact


def _team_of(session: Session, case_id: str) -> int | None:
    current = cases.current_assignment_of(session, case_id)
    return None if current is None else current.assignment.team_id


# --- Logging a contact. -------------------------------------------------------------------------


def log_contact(
    session: Session,
    principal: Principal,
    case_id: str,
    draft: Draft,
    *,
    ctx: Gatekeeping,
    today: date,
    callback: CallbackDraft | None = None,
) -> tuple[Contact, Callback | None]:
    """Log one contact on a case the caller sees (see the module for the rules), and the callback
    agreed on it (needed with ``callback_requested``). Raises :class:`ContactBlockedError` after
    recording the refusal: the way in commits it."""
    principal.require(Permission.CONTACT_LOG)
    case = visible_case(session, principal, case_id, today)
    started_at = _checked(session, case, draft, ctx)
    if draft.disposition == CALLBACK_REQUESTED and callback is None:
        raise ContactInputError(N_("callback_requested needs the callback: its due_at and contact point"))
    _open_for(case, draft)
    note_flags = note_findings(draft.note, draft.party, ctx.pack)
    now = ctx.clock.now()
    gated: Gated | None = None
    if draft.direction == Direction.OUTBOUND:
        if draft.gate_decision_id is not None:
            gated = _cleared(session, case, draft, started_at)
        else:
            assert draft.contact_point_id is not None  # _checked: outbound names its point
            checked = _ask(session, principal, case, draft.channel, draft.contact_point_id, started_at, ctx)
            gated = Gated.of(checked)
            if not draft.after_the_fact and checked.decision.verdict is Verdict.BLOCK:
                raise refuse(session, principal, case, draft, checked, at=started_at, ctx=ctx)
    contact = record_contact(
        session,
        case,
        draft,
        started_at=started_at,
        gated=gated,
        note_flags=note_flags,
        recorded_by=principal.user_id,
        source="agency" if principal.agency_id is not None else "collector",
        ctx=ctx,
    )
    record(
        session,
        principal.actor(),
        "contact.log",
        at=now,
        object_type="contact",
        object_id=str(contact.id),
        customer_id=case.customer_id,
        after=shown(contact),
        rules=list(contact.violations) + [f["rule_id"] for f in note_flags] or None,
    )
    close_call_task(session, principal, case, contact, at=now)
    agreed = None
    if callback is not None:
        agreed = schedule_on(session, principal, case, callback, ctx=ctx, contact_id=contact.id)
    return contact, agreed


def close_call_task(
    session: Session, principal: Principal, case: Case, contact: Contact, *, at: datetime
) -> None:
    """The strategy's call task of the case on the contact's day is done by it (kept as its
    ``contact_id``): a person logged a contact on the case that day."""
    task = repository.open_call_task(session, case.case_id, contact.started_on)
    if task is None:
        return
    task.status = str(CallTaskStatus.DONE)
    task.contact_id = contact.id
    task.done_at = at
    task.done_by = principal.user_id
    session.flush()
    record(
        session,
        principal.actor(),
        "call_task.done",
        at=at,
        object_type="case",
        object_id=case.case_id,
        customer_id=case.customer_id,
        after={"call_task": task.id, "contact": contact.id},
    )


def record_outbound(
    session: Session,
    case_id: str,
    draft: Draft,
    *,
    ctx: Gatekeeping,
    source: str,
    actor: Actor = SYSTEM,
) -> Contact:
    """The way a path without a person at a desk (the channels' outbox, a strategy's step) records
    an outbound contact it makes now: put to the gate first; blocked, the refusal is recorded and
    :class:`ContactBlockedError` raised (the caller commits the refusal and does not send)."""
    case = _system_case(session, case_id)
    _made_now(draft)
    started_at = _checked(session, case, draft, ctx)
    _open_for(case, draft)
    assert draft.contact_point_id is not None  # _checked: outbound names its point
    checked = check_contact(
        session,
        customer_id=case.customer_id,
        channel=draft.channel,
        contact_point_id=draft.contact_point_id,
        at=started_at,
        pack=ctx.pack,
        clock=ctx.clock,
        requested_by=f"{source}:{actor.name}"[:100],
        codes=ctx.codes,
    )
    if checked.decision.verdict is Verdict.BLOCK:
        raise refuse(session, actor, case, draft, checked, at=started_at, ctx=ctx, source=source)
    flags = note_findings(draft.note, draft.party, ctx.pack)
    return _system_recorded(session, case, draft, started_at, Gated.of(checked), flags, ctx, source, actor)


def record_inbound(
    session: Session,
    case_id: str,
    draft: Draft,
    *,
    ctx: Gatekeeping,
    source: str,
    actor: Actor = SYSTEM,
) -> Contact:
    """The way a path without a person at a desk records a contact the customer made (a reply to an
    SMS): not gated; the note is the customer's own words, so it is not put to the content check
    (which judges what the bank's people write)."""
    case = _system_case(session, case_id)
    if draft.direction != Direction.INBOUND:
        raise ContactInputError(N_("Only an inbound contact is recorded this way"))
    started_at = _checked(session, case, draft, ctx)
    return _system_recorded(session, case, draft, started_at, None, [], ctx, source, actor)


def _system_case(session: Session, case_id: str) -> Case:
    """The case, for the system (no scope: no person at a desk asks)."""
    case = cases.visible_case(session, case_id, true())
    if case is None:
        raise CaseNotFoundError(N_("No case {case_id}"), case_id=case_id)
    return case


def _system_recorded(
    session: Session,
    case: Case,
    draft: Draft,
    started_at: datetime,
    gated: Gated | None,
    note_flags: list[dict[str, Any]],
    ctx: Gatekeeping,
    source: str,
    actor: Actor,
) -> Contact:
    """A contact recorded by a path without a person at a desk, and its audit entry."""
    contact = record_contact(
        session,
        case,
        draft,
        started_at=started_at,
        gated=gated,
        note_flags=note_flags,
        recorded_by=actor.user_id,
        source=source,
        ctx=ctx,
    )
    record(session, actor, "contact.log", at=ctx.clock.now(), **_logged_entry(contact))
    return contact


@dataclass(frozen=True)
class Outbound:
    """An outbound contact a path without a person at a desk makes now, on a case."""

    case_id: str
    draft: Draft


Asked = tuple[Case, Draft, datetime]
"""A contact of a batch that passed the rules needing no gate: its case, draft and start."""


def record_outbound_many(
    session: Session,
    outbounds: Sequence[Outbound],
    *,
    ctx: Gatekeeping,
    source: str,
    actor: Actor = SYSTEM,
) -> list[Contact | ArrearsError]:
    """:func:`record_outbound` of many contacts at once (the outbox's batch), each to a different
    customer: a customer's second contact must be decided on facts holding the first, so it waits
    for a later call. The same rules, with one query per kind of fact and one insert per kind of
    row. Answers, in order, each contact recorded or the error that stopped it (a
    :class:`ContactBlockedError` once its refusal is recorded; the caller commits either)."""
    found = _one_per_customer(session, outbounds)
    answers: dict[int, Contact | ArrearsError] = {}
    asked: dict[int, Asked] = {}
    for index, outbound in enumerate(outbounds):
        try:
            asked[index] = _system_draft_rules(found, outbound, ctx)
        except ArrearsError as error:
            answers[index] = error
    if asked:
        checked = _decide_many(session, asked, ctx, source, actor, answers)
        answers |= _record_many(session, asked, checked, ctx, source, actor)
    return [answers[index] for index in range(len(outbounds))]


def _decide_many(
    session: Session,
    asked: Mapping[int, Asked],
    ctx: Gatekeeping,
    source: str,
    actor: Actor,
    answers: dict[int, Contact | ArrearsError],
) -> dict[int, Checked]:
    """The gate's decisions on a batch, its customers' turns taken, their facts read together;
    recorded in one insert. A contact stopped before the gate has its error put in ``answers``."""
    customer_ids = [case.customer_id for case, _, _ in asked.values()]
    take_turns(session, customer_ids)
    facts = facts_for_many(session, customer_ids, ctx.clock.now(), ctx.codes)
    decided: dict[int, tuple[Decision, ComplianceDecision]] = {}
    for index, (case, draft, started_at) in asked.items():
        try:
            decided[index] = _decided(
                session, facts[case.customer_id], case, draft, started_at, ctx, source, actor
            )
        except ArrearsError as error:
            answers[index] = error
    session.flush()  # the decisions, in one insert: the contacts name them
    return {
        index: Checked(decision, row.id, facts[asked[index][0].customer_id])
        for index, (decision, row) in decided.items()
    }


def _record_many(
    session: Session,
    asked: Mapping[int, Asked],
    checked: Mapping[int, Checked],
    ctx: Gatekeeping,
    source: str,
    actor: Actor,
) -> dict[int, Contact | ArrearsError]:
    """The contacts of a batch decided by the gate, each allowed or refused, in one insert, and
    their audit entries in one more each kind."""
    assignments = work_repository.current_assignments(
        session, [case.case_id for case, _, _ in asked.values()]
    )
    teams = {case_id: assignment.team_id for case_id, assignment in assignments.items()}
    made: dict[int, Contact] = {}
    for index, check in checked.items():
        case, draft, started_at = asked[index]
        if check.decision.verdict is Verdict.BLOCK:
            made[index] = _refused_contact(
                session, actor.user_id, case, draft, check.decision_id, started_at, ctx, source, teams
            )
        else:
            made[index] = record_contact(
                session,
                case,
                draft,
                started_at=started_at,
                gated=Gated.of(check),
                note_flags=note_findings(draft.note, draft.party, ctx.pack),
                recorded_by=actor.user_id,
                source=source,
                ctx=ctx,
                teams=teams,
            )
    session.flush()  # the contacts, in one insert: the audit entries name them
    blocked = sorted(i for i, check in checked.items() if check.decision.verdict is Verdict.BLOCK)
    logged = sorted(set(made) - set(blocked))
    now = ctx.clock.now()
    record_many(session, actor, "contact.log", at=now, entries=[_logged_entry(made[i]) for i in logged])
    refusals = [_refusal_entry(made[i], checked[i].decision) for i in blocked]
    record_many(session, actor, "contact.refused", at=now, entries=refusals)
    return {index: made[index] for index in logged} | {
        index: ContactBlockedError(
            checked[index].decision, contact_id=made[index].id, gate_decision_id=checked[index].decision_id
        )
        for index in blocked
    }


def _one_per_customer(session: Session, outbounds: Sequence[Outbound]) -> dict[str, Case | None]:
    """The cases of ``outbounds`` (None for one that does not exist), each customer's only one."""
    found = cases.cases_by_id(session, {o.case_id for o in outbounds})
    customers = [found[o.case_id].customer_id for o in outbounds if o.case_id in found]
    if len(set(customers)) != len(customers):
        raise ValueError("record_outbound_many takes one contact per customer")
    return {o.case_id: found.get(o.case_id) for o in outbounds}


def _system_draft_rules(found: Mapping[str, Case | None], outbound: Outbound, ctx: Gatekeeping) -> Asked:
    case = found[outbound.case_id]
    if case is None:
        raise CaseNotFoundError(N_("No case {case_id}"), case_id=outbound.case_id)
    _made_now(outbound.draft)
    started_at = _draft_rules(outbound.draft, ctx)
    _open_for(case, outbound.draft)
    return case, outbound.draft, started_at


def _decided(
    session: Session,
    facts: Facts,
    case: Case,
    draft: Draft,
    started_at: datetime,
    ctx: Gatekeeping,
    source: str,
    actor: Actor,
) -> tuple[Decision, ComplianceDecision]:
    """The gate's decision on one contact of a batch, on facts read for the batch, recorded
    (added: the batch's flush writes it)."""
    if str(draft.contact_point_id) not in {p.id for p in facts.contact_points}:
        raise ContactPointUnknownError(contact_point_id=draft.contact_point_id)
    request = ContactRequest(
        at=started_at, channel=GATE_CHANNELS[draft.channel], to=str(draft.contact_point_id)
    )
    decision = decide(request, facts, ctx.pack)
    row = record_decision(
        session,
        decision,
        request,
        facts,
        ctx.clock,
        customer_id=case.customer_id,
        requested_by=f"{source}:{actor.name}"[:100],
        tightened=dict(ctx.pack.tightened),
        flush=False,
    )
    return decision, row


def _logged_entry(contact: Contact) -> dict[str, Any]:
    """The audit entry of a contact logged (its ``record`` arguments after ``at``)."""
    return {
        "object_type": "contact",
        "object_id": str(contact.id),
        "customer_id": contact.customer_id,
        "after": shown(contact),
    }


def clear_attempt(
    session: Session,
    principal: Principal,
    case_id: str,
    *,
    channel: str,
    contact_point_id: int,
    party: str,
    ctx: Gatekeeping,
    today: date,
) -> Clearance:
    """Ask the gate about a contact about to be made, now. Allowed: a clearance to log it with;
    blocked: the refusal recorded and :class:`ContactBlockedError` raised (the way in commits)."""
    principal.require(Permission.CONTACT_LOG)
    case = visible_case(session, principal, case_id, today)
    draft = Draft(
        channel=channel,
        direction=Direction.OUTBOUND,
        party=party,
        disposition=REFUSED_BY_GATE,
        contact_point_id=contact_point_id,
    )
    _checked(session, case, draft, ctx, logged=False)
    _open_for(case, draft)
    now = ctx.clock.now()
    checked = _ask(session, principal, case, channel, contact_point_id, now, ctx)
    if checked.decision.verdict is Verdict.BLOCK:
        raise refuse(session, principal, case, draft, checked, at=now, ctx=ctx)
    record(
        session,
        principal.actor(),
        "contact.clear",
        at=now,
        object_type="case",
        object_id=case.case_id,
        customer_id=case.customer_id,
        after={
            "channel": channel,
            "contact_point_id": contact_point_id,
            "gate_decision_id": checked.decision_id,
            "decision": checked.decision.verdict.value,
        },
    )
    return Clearance(checked.decision_id, case.case_id, channel, contact_point_id, now, now + CLEARANCE)


def refuse(
    session: Session,
    who: Principal | Actor,
    case: Case,
    draft: Draft,
    checked: Checked,
    *,
    at: datetime,
    ctx: Gatekeeping,
    source: str = "collector",
) -> ContactBlockedError:
    """Record the gate's refusal of a contact about to be made (a contact ``refused_by_gate``, the
    decision already recorded, an audit entry) and answer the error to raise."""
    now = ctx.clock.now()
    refused = _refused_contact(session, who.user_id, case, draft, checked.decision_id, at, ctx, source)
    record(session, actor_of(who), "contact.refused", at=now, **_refusal_entry(refused, checked.decision))
    return ContactBlockedError(checked.decision, contact_id=refused.id, gate_decision_id=checked.decision_id)


def _refused_contact(
    session: Session,
    recorded_by: int | None,
    case: Case,
    draft: Draft,
    decision_id: int,
    at: datetime,
    ctx: Gatekeeping,
    source: str,
    teams: Mapping[str, int] | None = None,
) -> Contact:
    """The record of a contact the gate refused (a ``refused_by_gate`` on the decision)."""
    return record_contact(
        session,
        case,
        Draft(
            channel=draft.channel,
            direction=Direction.OUTBOUND,
            party=draft.party,
            disposition=REFUSED_BY_GATE,
            contact_point_id=draft.contact_point_id,
        ),
        started_at=at,
        gated=Gated(decision_id, Verdict.BLOCK.value),
        note_flags=[],
        recorded_by=recorded_by,
        source=source,
        ctx=ctx,
        teams=teams,
    )


def _refusal_entry(refused: Contact, decision: Decision) -> dict[str, Any]:
    """The audit entry of a refusal (its ``record`` arguments after ``at``)."""
    next_at = None if decision.next_allowed_at is None else decision.next_allowed_at.astimezone(UTC)
    return {
        "outcome": Outcome.REFUSED,
        "object_type": "contact",
        "object_id": str(refused.id),
        "customer_id": refused.customer_id,
        "after": shown(refused) | {"next_allowed_at": next_at},
        "rules": list(decision.rule_ids),
    }


def note_findings(note: str | None, party: str, pack: Pack) -> list[dict[str, Any]]:
    """The content check's findings on a note (rule id and messages in both languages), if any."""
    if not note or not note.strip():
        return []
    decision = check_text(TextRequest(purpose="note", text=note, party=GATE_PARTIES.get(party, party)), pack)
    return [r.to_json() for r in decision.reasons]


def _ask(
    session: Session,
    principal: Principal,
    case: Case,
    channel: str,
    contact_point_id: int,
    at: datetime,
    ctx: Gatekeeping,
) -> Checked:
    return check_contact(
        session,
        customer_id=case.customer_id,
        channel=channel,
        contact_point_id=contact_point_id,
        at=at,
        pack=ctx.pack,
        clock=ctx.clock,
        requested_by=f"{principal.role}:{principal.user_id}",
        codes=ctx.codes,
    )


def _checked(
    session: Session, case: Case, draft: Draft, ctx: Gatekeeping, *, logged: bool = True
) -> datetime:
    """The draft's rules that need no gate; answers the instant the contact started. (``logged``:
    a contact that happened, with its disposition; else an attempt about to be made.)"""
    started_at = _draft_rules(draft, ctx, logged=logged)
    if draft.contact_point_id is not None and (
        portfolio.contact_point_of(session, case.customer_id, draft.contact_point_id) is None
    ):
        raise ContactPointUnknownError(contact_point_id=draft.contact_point_id)
    return started_at


def _made_now(draft: Draft) -> None:
    if draft.direction != Direction.OUTBOUND or draft.after_the_fact or draft.gate_decision_id is not None:
        raise ContactInputError(N_("Only an outbound contact made now is recorded this way"))


def _draft_rules(draft: Draft, ctx: Gatekeeping, *, logged: bool = True) -> datetime:
    """:func:`_checked` but for the contact point, which is the customer's (checked by the caller)."""
    now = ctx.clock.now()
    if logged and draft.disposition not in ctx.codes:
        raise UnknownDispositionError(code=repr(draft.disposition[:40]), known=", ".join(ctx.codes))
    if logged and draft.disposition == REFUSED_BY_GATE:
        raise ContactInputError(N_("refused_by_gate is written by the gate itself, not logged"))
    outbound = draft.direction == Direction.OUTBOUND
    if draft.contact_point_id is None and outbound:
        raise ContactInputError(N_("An outbound contact names its contact_point_id"))
    if not outbound and (draft.after_the_fact or draft.gate_decision_id is not None):
        raise ContactInputError(
            N_("An inbound contact is not gated: after_the_fact and gate_decision_id are for outbound ones")
        )
    if draft.after_the_fact and draft.gate_decision_id is not None:
        raise ContactInputError(
            N_("A contact recorded after the fact has no clearance: leave out gate_decision_id")
        )
    started_at = draft.started_at or now
    if draft.after_the_fact and draft.started_at is None:
        raise ContactInputError(N_("A contact recorded after the fact gives its started_at"))
    if started_at > now + NOW_TOLERANCE:
        raise ContactInputError(
            N_("started_at ({started_at}) is in the future"), started_at=started_at.isoformat()
        )
    made_now = outbound and not draft.after_the_fact and draft.gate_decision_id is None
    if made_now and started_at < now - NOW_TOLERANCE:
        raise ContactInputError(
            N_("started_at ({started_at}) is not now: log a contact made earlier with after_the_fact true"),
            started_at=started_at.isoformat(),
        )
    if draft.ended_at is not None and draft.ended_at < started_at:
        raise ContactInputError(N_("ended_at is before started_at"))
    if (draft.recording_uri is None) != (draft.recording_sha256 is None):
        raise ContactInputError(N_("A recording gives both recording_uri and recording_sha256"))
    if draft.recording_sha256 is not None and not SHA256.fullmatch(draft.recording_sha256):
        raise ContactInputError(N_("recording_sha256 is 64 hexadecimal digits"))
    if draft.recording_uri is not None and draft.channel not in CALL_CHANNELS:
        raise ContactInputError(N_("Only a call carries a recording, not a {channel}"), channel=draft.channel)
    if draft.note is not None and len(draft.note) > MAX_NOTE:
        raise ContactInputError(N_("A note has at most {maximum} characters"), maximum=MAX_NOTE)
    return started_at


def _open_for(case: Case, draft: Draft) -> None:
    """No outbound contact is made on a closed case (one made before, or an inbound one, is logged)."""
    if case.status != CaseStatus.OPEN and draft.direction == Direction.OUTBOUND and not draft.after_the_fact:
        raise CaseClosedError(case_id=case.case_id)


def _cleared(session: Session, case: Case, draft: Draft, started_at: datetime) -> Gated:
    """The clearance ``draft.gate_decision_id`` checked against the contact it is used for."""
    ident = draft.gate_decision_id
    assert ident is not None
    found = decisions.get_decision(session, ident)

    def wrong(why: str) -> ClearanceError:
        return ClearanceError(decision_id=ident, why=Text.of(why))

    if found is None or found.customer_id != case.customer_id:
        raise wrong(N_("no such decision about this customer"))
    if found.decision not in (Verdict.ALLOW, Verdict.REVIEW):
        raise wrong(N_("the gate refused it"))
    asked = found.request or {}
    same_point = asked.get("to") == str(draft.contact_point_id)
    if asked.get("channel") != GATE_CHANNELS.get(draft.channel) or not same_point:
        raise wrong(N_("it was asked for another channel or contact point"))
    at = datetime.fromisoformat(str(asked.get("at")))
    if not (at - NOW_TOLERANCE <= started_at <= at + CLEARANCE):
        raise wrong(N_("the contact must start within 15 minutes of the question"))
    if repository.decision_used(session, ident):
        raise wrong(USED)
    return Gated(ident, found.decision, ())


def shown(contact: Contact) -> dict[str, Any]:
    """A contact as the audit trail keeps it: ids, codes and findings, never the note, the
    recording or a contact point's value."""
    return {
        "case_id": contact.case_id,
        "channel": contact.channel,
        "direction": contact.direction,
        "contact_point_id": contact.contact_point_id,
        "party": contact.party,
        "disposition": contact.disposition,
        "started_at": contact.started_at,
        "after_the_fact": contact.after_the_fact,
        "gate_decision_id": contact.gate_decision_id,
        "gate_verdict": contact.gate_verdict,
        "violations": ",".join(contact.violations) or None,
        "note_flags": ",".join(f["rule_id"] for f in contact.note_flags) or None,
        "review_status": contact.review_status,
    }


# --- Review. ------------------------------------------------------------------------------------


def review(
    session: Session,
    principal: Principal,
    contact_id: int,
    outcome: ReviewOutcome,
    note: str | None,
    *,
    now: datetime,
    today: date,
) -> Contact:
    """Close the review of a flagged contact (once: a second review is 409, also when two race)."""
    principal.require(Permission.CONTACT_REVIEW)
    contact = repository.visible_contact(session, contact_id, case_filter(principal, today))
    if contact is None:
        raise ContactNotFoundError(contact_id=contact_id)
    if contact.review_status != ReviewStatus.PENDING:
        raise NotPendingError(contact_id=contact_id, status=contact.review_status)
    text = None if note is None else scrub(note.strip())[:1000] or None
    if not repository.close_review(
        session, contact_id, outcome=outcome.value, note=text, at=now, by=principal.user_id
    ):
        raise NotPendingError(contact_id=contact_id, status=ReviewStatus.REVIEWED.value)
    session.refresh(contact)
    record(
        session,
        principal.actor(),
        "contact.review",
        at=now,
        object_type="contact",
        object_id=str(contact_id),
        customer_id=contact.customer_id,
        before={"review_status": ReviewStatus.PENDING.value},
        after={"review_status": contact.review_status, "outcome": outcome.value},
        reason=text,
        rules=list(contact.violations) + [f["rule_id"] for f in contact.note_flags] or None,
    )
    return contact
