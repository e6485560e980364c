"""The contact gate over a whole batch of requests at once: the nightly's planned actions.

``decide_batch(requests, facts, pack)`` answers, for every request, what
:func:`arrears.compliance.gate.decide` answers for it alone: the verdict, the rule ids in the same
order, and ``next_allowed_at``; :meth:`BatchDecisions.decision` gives the whole
:class:`~arrears.compliance.decision.Decision` of any row, its reasons worded as the scalar gate
words them (tests/compliance/test_batch_gate.py holds the two equal on random batches).

The answer is computed over columns, not one Python call per request:

- local dates and times from ``zoneinfo`` once per zone and UTC hour (:mod:`local_clock`), holidays
  once per local date, the permitted hours as arithmetic on the local time of day;
- the facts each request reads, in a few DuckDB queries over the Arrow tables
  (:mod:`batch_reading`): the requests joined to their customer's events known at the request's
  instant, the holds standing (the last opening or closing event of each kind), opt-outs,
  refusals, and the counts per local day, per number, per person and per 7 days, with the latest
  conversation;
- the rules as boolean columns, one per reason the scalar gate can give (:mod:`batch_rules`,
  in its order); the distinct combinations of reasons, few in any batch, are turned into verdicts and rule
  ids once each, with the bank's TENANT-POLICY found by comparing with the untightened pack;
- ``next_allowed_at``: a request blocked only by time and frequency rules passes the count rules
  from a local date on (each is monotone in the date), and the time rules at the start of the
  permitted hours of a day that is no holiday; the earliest such boundary after the request is
  found by a sorted search over the zone's boundaries, per group of requests (zone, first date).

What the columns do not model is handed to the scalar gate one request at a time, and counted
(:attr:`BatchDecisions.scalar_rows`): a customer with more than one zone to respect (candidate
zones; a pack's several default zones when none is known), a customer who gave consents to
other times, asked for callbacks or named inconvenient times or places, and a request to a
contact person or a third party (their rules read the debtor's history of attempts or earlier
communications). The nightly's ordinary actions — the debtor's own numbers and addresses, one
known zone, recent contacts, holds and opt-outs — are all decided in columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arrears.compliance.batch_facts import UTC_MICROS, BatchFacts, conform
from arrears.compliance.batch_reading import CHANNEL_LIST, NONE, Ints, Rows, read_rows
from arrears.compliance.batch_rules import (
    SLOTS,
    Pattern,
    Slot,
    masks_of,
    next_allowed,
    pattern_of,
    slot_rules,
)
from arrears.compliance.counting import (
    after_conversation_detail,
    calls_in_7_days_detail,
    conversations_detail,
    texts_detail,
    unanswered_detail,
)
from arrears.compliance.decision import Decision, Reason, Verdict, verdict_of
from arrears.compliance.facts import CHANNELS, ContactRequest, Facts
from arrears.compliance.gate import decide, tenant_policy_reason, unique_reasons
from arrears.compliance.local_clock import date_of, instant, micros_of
from arrears.compliance.messages import reason
from arrears.compliance.packs import Pack
from arrears.compliance.parties import (
    ATTORNEY_INSTEAD,
    DISPUTE_NOT_RESOLVED,
    dispute_detail,
    opt_out_detail,
    refused_detail,
    unrelated_party_detail,
)
from arrears.compliance.windows import holiday_reason, quiet_hours_detail
from arrears.errors import InvalidInputError
from arrears.i18n import N_, Text

REQUESTS_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int64(), nullable=False),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("to", pa.string()),
        pa.field("at", UTC_MICROS, nullable=False),
        pa.field("purpose", pa.string()),
    ]
)
RESULT_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int64(), nullable=False),
        pa.field("verdict", pa.string(), nullable=False),
        pa.field("rule_ids", pa.list_(pa.string()), nullable=False),
        pa.field("next_allowed_at", UTC_MICROS),
    ]
)


class BatchRequestError(InvalidInputError):
    code = "invalid_batch_requests"
    default_message = N_("The requests of a batch cannot be read")


def decide_batch(requests: pa.Table, facts: BatchFacts, pack: Pack) -> BatchDecisions:
    """The gate's answer to every request of ``requests`` (see the module)."""
    rows = read_rows(conform_requests(requests), facts, pack)
    masks = masks_of(rows, pack)
    base_masks = masks_of(rows, pack.untightened) if pack.tightened else masks
    both = masks << np.int64(len(SLOTS)) | base_masks  # each under 2**len(SLOTS)
    pairs, inverse = np.unique(both, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    patterns = [
        pattern_of(int(pair) >> len(SLOTS), int(pair) & ((1 << len(SLOTS)) - 1), pack) for pair in pairs
    ]
    retryable = np.array([p.retryable for p in patterns], bool)[inverse] & ~rows.scalar
    retry_at = next_allowed(rows, pack, masks, retryable)
    explainer = Explainer(pack, rows, inverse, patterns, retry_at)
    verdicts = [(Verdict.BLOCK if p.slots else Verdict.ALLOW).value for p in patterns]
    rule_ids = [list(p.rule_ids) for p in patterns]
    scalar = np.flatnonzero(rows.scalar)
    if len(scalar):
        decided = _scalar_decisions(rows, facts, pack, scalar)
        explainer.scalar.update(zip(scalar.tolist(), decided, strict=True))
        inverse = inverse.copy()  # the scalar decisions, after the patterns
        inverse[scalar] = len(patterns) + np.arange(len(scalar))
        verdicts += [d.verdict.value for d in decided]
        rule_ids += [list(d.rule_ids) for d in decided]
        retry_at[scalar] = [
            NONE if d.next_allowed_at is None else micros_of(d.next_allowed_at) for d in decided
        ]
    choice = pa.array(inverse)
    table = pa.table(
        [
            rows.requests["row"],
            pa.array(verdicts, pa.string()).take(choice),
            pa.array(rule_ids, pa.list_(pa.string())).take(choice),
            pa.array(retry_at, pa.int64(), mask=retry_at == NONE).cast(UTC_MICROS),
        ],
        schema=RESULT_SCHEMA,
    )
    return BatchDecisions(table, len(inverse) - len(scalar), len(scalar), explainer)


@dataclass(frozen=True)
class BatchDecisions:
    table: pa.Table
    """``row``, ``verdict``, ``rule_ids``, ``next_allowed_at``, in the order of the requests."""
    columnar_rows: int
    """Requests decided in columns."""
    scalar_rows: int
    """Requests handed to the scalar gate one by one (see the module for which and why)."""
    explainer: Explainer

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {row: position for position, row in enumerate(self.table["row"].to_pylist())}

    def decision(self, row: int) -> Decision:
        """The whole decision on the request of ``row``, its reasons worded as ``decide`` words them."""
        return self.explainer.decision(self._positions[row])

    def decisions(self, verdict: Verdict | None = None) -> Iterator[tuple[int, Decision]]:
        """``(row, decision)`` for every request (or those with ``verdict``), in request order."""
        row_ids = self.table["row"].to_numpy()
        wanted = np.arange(len(row_ids))
        if verdict is not None:
            wanted = np.flatnonzero(
                pc.equal(self.table["verdict"], verdict.value).to_numpy(zero_copy_only=False)
            )
        for position in wanted.tolist():
            yield int(row_ids[position]), self.explainer.decision(position)

    def scalar_row_ids(self) -> list[int]:
        """The rows handed to the scalar gate."""
        return [int(r) for r in self.table["row"].to_numpy()[self.explainer.rows.scalar]]


def conform_requests(requests: pa.Table) -> pa.Table:
    """The requests with the columns of :data:`REQUESTS_SCHEMA`; unknown channels and repeated rows
    are refused."""
    table = conform(requests, REQUESTS_SCHEMA, "requests")
    unknown = set(pc.unique(table["channel"]).to_pylist()) - CHANNELS
    if unknown:
        raise BatchRequestError(
            N_("unknown channels {channels}; known: {known}"),
            channels=", ".join(sorted(unknown)),
            known=", ".join(CHANNEL_LIST),
        )
    if pc.count_distinct(table["row"]).as_py() != table.num_rows:
        raise BatchRequestError(N_("the requests' row ids are not unique"))
    return table


def _scalar_decisions(rows: Rows, facts: BatchFacts, pack: Pack, positions: Ints) -> list[Decision]:
    chosen = rows.requests.take(pa.array(positions)).to_pylist()
    by_customer = facts.subset(r["customer_id"] for r in chosen).facts_by_customer()
    return [
        decide(
            ContactRequest(at=r["at"], channel=r["channel"], to=r["to"], purpose=r["purpose"]),
            by_customer.get(r["customer_id"], Facts()),
            pack,
        )
        for r in chosen
    ]


@dataclass
class Explainer:
    """The whole decision of any request, built when asked: the reasons of its combination, worded
    from the facts its request read, as the scalar gate words them."""

    pack: Pack
    rows: Rows
    pattern_of: Ints
    patterns: list[Pattern]
    next_allowed: Ints
    scalar: dict[int, Decision] = field(default_factory=dict)

    def decision(self, position: int) -> Decision:
        if position in self.scalar:
            return self.scalar[position]
        pattern = self.patterns[self.pattern_of[position]]
        rules = slot_rules(self.pack)
        reasons = [self._reason(slot, rules[slot.name] or "", position) for slot in pattern.slots]
        if pattern.tenant_policy:
            reasons.append(tenant_policy_reason(self.pack, retryable=pattern.tenant_retryable))
        next_allowed = self.next_allowed[position]
        return Decision(
            verdict_of(reasons),
            tuple(unique_reasons(reasons)),
            self.pack.id,
            self.pack.label,
            None if next_allowed == NONE else instant(int(next_allowed)).astimezone(self.rows.info(position)),
        )

    def _reason(self, slot: Slot, rule_id: str, position: int) -> Reason:
        if slot.name == "holiday":
            return holiday_reason(self._day(position))
        return reason(rule_id, self.detail(slot.name, position), retryable=slot.retryable)

    def detail(self, name: str, p: int) -> Text | None:
        """What the reason of slot ``name`` says of the request at position ``p`` beyond its rule's
        wording, from the facts the request read (None: the rule's wording alone)."""
        parameters = self.pack.parameters
        match name:
            case "hold_dispute":
                return DISPUTE_NOT_RESOLVED
            case "dispute":
                opened = self._value("dispute_at", p)
                opened_on = None if opened == NONE else instant(opened).astimezone(self.rows.info(p)).date()
                return dispute_detail(self.pack, opened_on, self._day(p))
            case "refused":
                return refused_detail(self._point(p))
            case "attorney":
                return ATTORNEY_INSTEAD
            case "unrelated_party":
                return unrelated_party_detail(str(self.rows.party[p].as_py()))
            case "opt_out" | "medium":
                return opt_out_detail(self._point(p), CHANNEL_LIST[self.rows.channel[p]])
            case "quiet" | "quiet_candidate":
                local = instant(int(self.rows.at[p])).astimezone(self.rows.info(p))
                return quiet_hours_detail(self.pack, [(self._zone(p), local)])
            case "conversations":
                count, cap = self._value("conversations", p), parameters.max_conversations_per_day
                return conversations_detail(count, self._day(p), self._zone(p), cap or 0)
            case "unanswered":
                count, cap = self._value("unanswered", p), parameters.max_unanswered_per_number_per_day
                return unanswered_detail(count, self._point(p), self._day(p), self._zone(p), cap or 0)
            case "texts":
                return texts_detail(self._value("texts", p), self._day(p), parameters.max_texts_per_day or 0)
            case "calls_7_days":
                count, cap = self._value("calls_7_days", p), parameters.max_calls_in_7_days
                return calls_in_7_days_detail(count, self._day(p), self._zone(p), cap or 0)
            case "after_conversation":
                latest = date_of(self._value("last_conversation", p))
                return after_conversation_detail(
                    latest, parameters.days_after_conversation or 0, self._zone(p)
                )
        return None

    def _value(self, name: str, position: int) -> int:
        return int(self.rows.read[name][position])

    def _day(self, position: int) -> date:
        return date_of(int(self.rows.day[position]))

    def _zone(self, position: int) -> str:
        return self.rows.zones[int(self.rows.zone[position])]

    def _point(self, position: int) -> str:
        return str(self.rows.point_id[position].as_py())
