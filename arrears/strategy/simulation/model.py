"""How the simulated customers answer: the parameters of the behavioural model.

Every probability is per customer and day. The values are set from what collections departments
publish about their channels (an SMS read by most, an e-mail opened by few, a call answered by a
third to a half at a suitable hour) and checked against the generator: with no contact at all, a
late payer cures within their episode and a customer who stopped paying almost never does
(tests/strategy/test_simulation.py). docs/strategy.md, "The simulator", explains each.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _per_channel(**values: float) -> dict[str, float]:
    return values


@dataclass(frozen=True)
class Responses:
    nudge: dict[str, float] = field(
        default_factory=lambda: _per_channel(sms=0.03, email=0.02, letter=0.04, call=0.10, field_visit=0.20)
    )
    """Added to the day's chance of paying when a contact reaches a customer, times their willingness."""
    promise_on_conversation: float = 0.5
    """A conversation ends with a promise to pay, times willingness."""
    promise_days: int = 3
    """A promise falls due this many days after it was made."""
    complaint: dict[str, float] = field(
        default_factory=lambda: _per_channel(
            sms=0.0004, email=0.0002, letter=0.0004, call=0.002, field_visit=0.01
        )
    )
    """The chance a contact that reaches a customer turns into a complaint, times how touchy they are."""
    complaint_hold_days: int = 15
    """A complaint holds collection (a dispute) while it is looked into."""
    opt_out: dict[str, float] = field(default_factory=lambda: _per_channel(sms=0.002, email=0.004))
    """The chance a message read makes the customer opt out of its channel."""
    pressure: float = 0.5
    """Each contact of the last 7 days adds this share to the chance of a complaint or an opt-out."""
    morning_answer: float = 0.35
    """An evening customer answers a call whose window opens before noon this much as often."""
    agency_hazard: float = 0.004
    """Added to the day's chance of paying while an agency holds the case, times ability."""
    agency_commission: float = 0.20
    """The agency's share of what it collects (the bank's cost)."""
    agency_days: int = 90
    """How long a placement lasts when the step does not say."""
    legal_hazard: float = 0.006
    """Added to the day's chance of paying for ``legal_days`` after a legal referral, times ability."""
    legal_days: int = 60
    partial_share: float = 0.5
    """A payer who cannot pay everything pays this share of their ability times what is owed."""
    partial_payer_pays: float = 0.8
    """A partial payer pays their share of a due on its day this often, unasked."""
    broken_promise_score: float = 0.4
    """Log-odds a broken promise takes off the customer's score."""
