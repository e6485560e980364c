"""What the contacts context's services share: the settings every contact is checked against, the
case and customer as the caller sees them, and the gate's refusal as an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from arrears.auth.principal import Principal
from arrears.cases import repository as cases
from arrears.cases.models import Case
from arrears.cases.scope import case_filter, customer_filter
from arrears.cases.work import CaseNotFoundError
from arrears.clock import Clock
from arrears.compliance.decision import Decision
from arrears.compliance.packs import Pack
from arrears.contacts.dispositions import Disposition
from arrears.errors import ConflictError
from arrears.i18n import N_
from arrears.portfolio import repository as portfolio
from arrears.portfolio.models import Customer
from arrears.portfolio.views import no_customer


@dataclass(frozen=True)
class Gatekeeping:
    """What every contact is checked against: the pack (the bank's policy), the disposition codes,
    the clock and the bank's zone (the business day a contact counts on)."""

    pack: Pack
    codes: Mapping[str, Disposition]
    clock: Clock
    bank_timezone: str


def visible_case(session: Session, principal: Principal, case_id: str, today: date) -> Case:
    """The case if the caller sees it, else not found (the same answer as a missing one)."""
    case = cases.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError(N_("No case {case_id}"), case_id=case_id)
    return case


def visible_customer(session: Session, principal: Principal, customer_id: str, today: date) -> Customer:
    """The customer if the caller sees them, else not found (the same answer as a missing one)."""
    visible = customer_filter(principal, today, Customer.customer_id.expression)
    customer = portfolio.visible_customer(session, customer_id, visible)
    if customer is None:
        raise no_customer()
    return customer


class CaseClosedError(ConflictError):
    code = "case_closed"
    default_message = N_("Case {case_id} is closed: no collection contact is made on it")


class GateRefusalError(ConflictError):
    """The gate refused a contact (or a callback time): the message names the rule ids and, for
    a refusal by time or frequency only, the earliest instant allowed; the problem document carries
    them as ``rules``, ``reasons`` (each in zh-CN and en), ``next_allowed_at`` (UTC) and the ids of
    what was recorded."""

    refused: ClassVar[str] = N_("The compliance gate refuses this contact ({rules})")
    refused_until: ClassVar[str] = N_(
        "The compliance gate refuses this contact ({rules}); it is allowed from {next_allowed_at}"
    )

    def __init__(self, decision: Decision, **ids: int | None) -> None:
        rules = ", ".join(decision.rule_ids)
        next_at = None if decision.next_allowed_at is None else decision.next_allowed_at.astimezone(UTC)
        if next_at is None:
            super().__init__(self.refused, rules=rules)
        else:
            super().__init__(self.refused_until, rules=rules, next_allowed_at=next_at.isoformat())
        self.extensions: dict[str, Any] = {
            "rules": list(decision.rule_ids),
            "reasons": [r.to_json() for r in decision.reasons],
            "next_allowed_at": None if next_at is None else next_at.isoformat(),
            **ids,
        }
