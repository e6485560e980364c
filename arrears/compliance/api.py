"""Routes of the compliance context under /api/v1 (thin: parse, check access, call the service).

``POST /compliance/check`` asks the gate the question ``arrears compliance replay`` asks of a
scenario, for one contact or one text, and answers in the caller's language. A stored customer
named in the question must be in the caller's row scope (else 404, as for an unknown id); their
zone and contact points join the facts. The decision is audited with its rule ids.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import now, problem_responses, today
from arrears.api.problems import language_of
from arrears.audit.trail import record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import customer_filter
from arrears.clock import is_time_zone
from arrears.compliance import service
from arrears.compliance.context import CHANNEL_POINT_TYPES
from arrears.compliance.facts import ContactPoint, ContactRequest, Facts, TextRequest
from arrears.compliance.facts import Request as Question
from arrears.compliance.parsing import DebtorModel, debts_of, facts_from
from arrears.compliance.scenarios import raw_tightening
from arrears.compliance.schemas import CheckIn, CheckOut, ReasonOut
from arrears.errors import InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.portfolio.models import Customer
from arrears.portfolio.repository import contact_facts

router = APIRouter(tags=["compliance"])

Checker = Annotated[Principal, Depends(requires(Permission.COMPLIANCE_CHECK))]


ASKED_PARTY = "asked-party"
"""The id of the contact point a question names only by its party."""


class CustomerNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No customer {customer_id}")


@router.post(
    "/compliance/check",
    response_model=CheckOut,
    responses=problem_responses(400, 403, 404),
    summary="Ask the compliance gate about one contact or one text",
)
def check(body: CheckIn, principal: Checker, session: DatabaseSession, request: Request) -> CheckOut:
    """The decision (allow, block or review), the rule ids behind it and their explanation in
    the caller's language, and for a contact blocked by time or frequency rules only, when the
    same contact would pass (``next_allowed_at``, UTC)."""
    question = _question(body, request)
    try:
        facts = _facts(session, principal, body, request)
        decision = service.ask(
            question, facts, body.pack, raw_tightening(body.tighten) if body.tighten else None
        )
    except OverflowError:  # date arithmetic at the ends of the calendar (year 1 or 9999)
        raise InvalidInputError(
            N_("An instant or a date of the question is too close to the ends of the calendar")
        ) from None
    instant = now(request)
    next_at = decision.next_allowed_at
    record(
        session,
        principal.actor(),
        "compliance.check",
        at=instant,
        object_type="customer" if body.customer_id else "contact" if body.contact else "text",
        object_id=body.customer_id,
        customer_id=body.customer_id,
        after={
            "kind": "contact" if isinstance(question, ContactRequest) else "text",
            "channel": question.channel,
            "decision": decision.verdict.value,
            "pack": decision.pack_id,
            "next_allowed_at": next_at,
        },
        rules=list(decision.rule_ids),
    )
    language = language_of(request)
    return CheckOut(
        decision=decision.verdict.value,
        rules=list(decision.rule_ids),
        reasons=[
            ReasonOut(rule_id=r.rule_id, message=r.message(language), blocking=r.blocking)
            for r in decision.reasons
        ],
        next_allowed_at=None if next_at is None else next_at.astimezone(UTC),
        next_allowed_local=next_at,
        pack=decision.pack_id,
        pack_version=decision.pack_version,
        language=language,
    )


def _question(body: CheckIn, request: Request) -> Question:
    if (body.contact is None) == (body.text is None):
        raise InvalidInputError(N_("Ask about one contact or one text: give contact or text, not both"))
    if body.text is not None:
        asked = body.text
        return TextRequest(purpose=asked.purpose, text=asked.text, channel=asked.channel, party=asked.party)
    contact = body.contact
    assert contact is not None
    at = contact.at or now(request)
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInputError(N_("contact.at must carry its UTC offset (e.g. 2026-11-21T22:30:00+08:00)"))
    return ContactRequest(
        at=at,
        channel=contact.channel,
        to=contact.to or (ASKED_PARTY if contact.party else None),
        debts=debts_of(contact.debts),
        registered_channel=contact.registered_channel,
    )


def _facts(session: Session, principal: Principal, body: CheckIn, request: Request) -> Facts:
    debtor = body.debtor
    known: list[ContactPoint] = []
    if body.customer_id is not None:
        visible = customer_filter(principal, today(request), Customer.customer_id.expression)
        stored = contact_facts(session, body.customer_id, visible)
        if stored is None:
            raise CustomerNotFoundError(customer_id=body.customer_id)
        known = [ContactPoint(str(i), kind, party, dnc) for i, kind, party, dnc in stored.points]
        if debtor is None and stored.timezone and is_time_zone(stored.timezone):
            debtor = DebtorModel.model_validate({"timezone": stored.timezone})
    asked = body.contact
    if asked is not None and asked.to is None and asked.party is not None:
        kind = CHANNEL_POINT_TYPES.get(asked.channel, "mobile")
        known.append(ContactPoint(ASKED_PARTY, kind, asked.party))
    return facts_from(debtor or DebtorModel(), body.contact_points, body.events, known_points=known)
