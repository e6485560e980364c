"""API shapes of the compliance check: the question (in the scenario format's terms, see
docs/compliance-scenarios.md) and the gate's answer in the caller's language."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from arrears.compliance.packfile import Tightening
from arrears.compliance.parsing import (
    Channel,
    ContactPointModel,
    DebtorModel,
    Debts,
    EventModel,
    PackId,
    Party,
    Purpose,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactQuestion(_In):
    at: datetime | None = Field(
        default=None, description="The instant of the contact, with its UTC offset; none: now"
    )
    channel: Channel = "call"
    to: str | None = Field(
        default=None,
        description=(
            "The contact point: the id of one of the customer's stored contact points, or of one "
            "given in contact_points; none: the debtor by the channel's usual point"
        ),
    )
    party: Party | None = Field(
        default=None,
        description=(
            "Who is contacted, when `to` names no point: a point of the channel's type for this "
            "party joins the facts (e.g. emergency_contact)"
        ),
    )
    debts: Debts | None = Field(default=None, description="The debts the contact is about")
    registered_channel: bool = Field(default=True, description="False: an agency's unregistered channel")


class TextQuestion(_In):
    purpose: Purpose = Field(default="template", description="template, script or note")
    text: str = Field(min_length=1, max_length=20000)
    channel: Channel | None = None
    party: Party = "debtor"


class CheckIn(_In):
    """One question: a contact (``contact``) or a text (``text``), not both."""

    pack: PackId = "cn"
    tighten: Tightening | None = Field(
        default=None, description="The bank's stricter settings (a loosening is refused)"
    )
    customer_id: str | None = Field(
        default=None,
        description="A stored customer: their zone and contact points are taken into the facts",
    )
    debtor: DebtorModel | None = Field(
        default=None, description="The debtor's zone or candidate zones (else the customer's)"
    )
    contact_points: list[ContactPointModel] = Field(
        default_factory=list, description="Contact points beside the customer's stored ones"
    )
    events: list[EventModel] = Field(
        default_factory=list, description="What happened before, oldest first (scenario event kinds)"
    )
    contact: ContactQuestion | None = None
    text: TextQuestion | None = None


class ReasonOut(BaseModel):
    rule_id: str
    message: str = Field(description="The rule and what triggered it, in the caller's language")
    blocking: bool


class CheckOut(BaseModel):
    decision: str = Field(description="allow, block or review")
    rules: list[str] = Field(description="The rule ids behind the decision")
    reasons: list[ReasonOut]
    next_allowed_at: datetime | None = Field(
        description="UTC: the earliest instant the same contact passes the time and frequency rules"
    )
    next_allowed_local: datetime | None = Field(description="The same instant in the debtor's zone")
    pack: str
    pack_version: str
    language: str = Field(description="The language of the messages")
