"""The contact gate over a whole batch of requests at once: the nightly's planned actions.

``decide_batch(requests, facts, pack)`` answers, for every request, what
:func:`arrears.compliance.gate.decide` answers for it alone: the verdict, the rule ids in the same
order, and ``next_allowed_at``; :meth:`BatchDecisions.decision` gives the whole
:class:`~arrears.compliance.decision.Decision` of any row, its reasons worded as the scalar gate
words them (tests/compliance/test_batch_gate.py holds the two equal on random batches).

The answer is computed over columns, not one Python call per request:

- local dates and times from ``zoneinfo`` once per zone and UTC hour (:mod:`local_clock`), holidays
  once per local date, the permitted hours as arithmetic on the local time of day;
- the facts each request reads, in one DuckDB query over the Arrow tables: the requests joined to
  their customer's events known at the request's instant, the holds standing (the last opening
  or closing event of each kind), opt-outs, refusals, and the counts per local day, per number,
  per person and per 7 days, with the latest conversation;
- the rules as boolean columns, one per reason the scalar gate can give (:data:`SLOTS`, in its
  order); the distinct combinations of reasons, few in any batch, are turned into verdicts and rule
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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from arrears.compliance.batch_facts import UTC_MICROS, BatchFacts, conform
from arrears.compliance.context import CHANNEL_POINT_TYPES, PERSON_PARTIES, zones_for
from arrears.compliance.counting import (
    NOT_CONNECTED,
    UNANSWERED,
    after_conversation_detail,
    calls_in_7_days_detail,
    conversations_detail,
    texts_detail,
    unanswered_detail,
)
from arrears.compliance.decision import Decision, Reason, Verdict, verdict_of
from arrears.compliance.facts import CHANNELS, PHONE_CHANNELS, ContactRequest, Facts, canonical_channel
from arrears.compliance.gate import SEARCH_CHUNKS, decide, tenant_policy_reason, unique_reasons
from arrears.compliance.local_clock import (
    date_of,
    instant,
    local_days_and_times,
    micros_of,
    micros_of_day,
    wall_instant,
)
from arrears.compliance.messages import reason
from arrears.compliance.packs import Pack
from arrears.compliance.parties import (
    ATTORNEY_INSTEAD,
    CLOSING_CHANNELS,
    CLOSING_PURPOSES,
    DISPUTE_NOT_RESOLVED,
    VERIFICATION_PURPOSES,
    dispute_detail,
    opt_out_detail,
    refused_detail,
    unrelated_party_detail,
    unrelated_party_rule,
)
from arrears.compliance.standing import CLOSING_EVENTS, OPENING_EVENTS
from arrears.compliance.windows import MIDNIGHT, holiday_reason, quiet_hours_detail, quiet_hours_rule_ids
from arrears.errors import InvalidInputError
from arrears.i18n import N_, Text

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]

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
SCALAR_KINDS = frozenset({"consent", "callback_requested", "inconvenient_time", "inconvenient_place"})
"""Events whose customer's requests go to the scalar gate: they change the permitted hours."""
SCALAR_POLICIES = frozenset({"contact_person", "location_only"})
"""Parties whose requests go to the scalar gate: their rules read the history of attempts."""
STATES = ("dispute", "cease", "bankruptcy", "deceased", "hardship", "attorney")
"""The holds and conditions the columns follow (``incapacitated`` matters only to contact persons)."""
SEARCH_DAYS = SEARCH_CHUNKS[-1][1]
"""The last local day after the request on which ``decide`` looks for ``next_allowed_at``."""
NEVER = np.int64(1 << 40)
"""A local date no request reaches (a cap of 0 never lets a request pass)."""
NONE = np.int64(-(1 << 62))
"""No instant, no date (a null in the numpy columns)."""
CHANNEL_LIST = tuple(sorted(CHANNELS))


class BatchRequestError(InvalidInputError):
    code = "invalid_batch_requests"
    default_message = N_("The requests of a batch cannot be read")


@dataclass(frozen=True)
class Slot:
    """One reason the scalar gate can give, in the order it gives them."""

    name: str
    retryable: bool = False


SLOTS = (
    Slot("hold_dispute"),
    Slot("dispute"),
    Slot("hold_cease"),
    Slot("cease"),
    Slot("hold_bankruptcy"),
    Slot("hold_deceased"),
    Slot("hold_hardship"),
    Slot("hardship"),
    Slot("refused"),
    Slot("refused_rule"),
    Slot("attorney"),
    Slot("unrelated_party"),
    Slot("opt_out"),
    Slot("medium"),
    Slot("quiet", retryable=True),
    Slot("quiet_candidate", retryable=True),
    Slot("holiday", retryable=True),
    Slot("conversations", retryable=True),
    Slot("unanswered", retryable=True),
    Slot("texts", retryable=True),
    Slot("calls_7_days", retryable=True),
    Slot("after_conversation", retryable=True),
)
BIT = {slot.name: np.int64(1) << np.int64(index) for index, slot in enumerate(SLOTS)}
FINAL_BITS = np.int64(sum(int(BIT[s.name]) for s in SLOTS if not s.retryable))
"""The reasons that no later instant lifts: a request with any has no next_allowed_at."""


def slot_rules(pack: Pack) -> dict[str, str | None]:
    """The rule id each slot raises under ``pack`` (None: the pack has no such check)."""
    quiet, *candidate = quiet_hours_rule_ids(pack, candidate=True)
    medium = pack.check("medium_opt_out")
    return {
        "hold_dispute": "HOLD-DISPUTE",
        "dispute": pack.check("dispute"),
        "hold_cease": "HOLD-CEASE",
        "cease": pack.check("cease"),
        "hold_bankruptcy": "HOLD-BANKRUPTCY",
        "hold_deceased": "HOLD-DECEASED",
        "hold_hardship": "HOLD-HARDSHIP",
        "hardship": pack.check("hardship"),
        "refused": "OPT-OUT",
        "refused_rule": pack.check("contact_refused"),
        "attorney": pack.check("attorney"),
        "unrelated_party": unrelated_party_rule(pack),
        "opt_out": "OPT-OUT",
        "medium": medium if medium != "OPT-OUT" else None,
        "quiet": quiet,
        "quiet_candidate": candidate[0] if candidate else quiet,
        "holiday": "TENANT-POLICY",
        "conversations": pack.check("conversations_per_day"),
        "unanswered": pack.check("unanswered_per_number"),
        "texts": pack.check("texts_per_day"),
        "calls_7_days": pack.check("calls_in_7_days"),
        "after_conversation": pack.check("after_conversation"),
    }


@dataclass(frozen=True)
class Pattern:
    """One combination of reasons, as the scalar gate turns it into an answer."""

    slots: tuple[Slot, ...]
    tenant_policy: bool
    tenant_retryable: bool
    rule_ids: tuple[str, ...]
    retryable: bool

    @property
    def verdict(self) -> Verdict:
        return Verdict.BLOCK if self.slots else Verdict.ALLOW


def pattern_of(mask: int, base_mask: int, pack: Pack) -> Pattern:
    rules = slot_rules(pack)
    slots = tuple(s for s in SLOTS if mask >> SLOTS.index(s) & 1)
    ids = [rules[s.name] or "" for s in slots]
    tenant, tenant_retryable = False, True
    if pack.tightened:
        base_rules = slot_rules(pack.untightened)
        base_ids = {base_rules[s.name] for s in SLOTS if base_mask >> SLOTS.index(s) & 1}
        added = [s for s, i in zip(slots, ids, strict=True) if i not in base_ids and i != "TENANT-POLICY"]
        tenant, tenant_retryable = bool(added), all(s.retryable for s in added)
    if tenant:
        ids.append("TENANT-POLICY")
    return Pattern(
        slots=slots,
        tenant_policy=tenant,
        tenant_retryable=tenant_retryable,
        rule_ids=tuple(dict.fromkeys(ids)),
        retryable=bool(slots) and all(s.retryable for s in slots) and tenant_retryable,
    )


@dataclass
class Rows:
    """What each request reads, one numpy column per fact (index: the request's position)."""

    requests: pa.Table
    customer_zones: CustomerZones
    zones: list[str]
    zone: Ints
    """Index into :attr:`zones`; -1 for a customer with several zones (scalar gate)."""
    candidate: Flags
    at: Ints
    day: Ints
    """The local date of the request (days since the epoch) in its zone."""
    clock: Ints
    """The local time of day of the request, in microseconds."""
    channel: Ints
    """Index into :data:`CHANNEL_LIST`."""
    point_id: pa.Array
    party: pa.Array
    policy: npt.NDArray[np.object_]
    do_not_contact: Flags
    verification: Flags
    closing: Flags
    scalar: Flags
    read: dict[str, Ints] = field(default_factory=dict)
    """The facts read from the events (:data:`FACTS_SQL`), a column each."""

    def on(self, channels: frozenset[str] | set[str]) -> Flags:
        return np.isin(self.channel, [CHANNEL_LIST.index(c) for c in channels if c in CHANNEL_LIST])

    def info(self, position: int) -> ZoneInfo:
        return ZoneInfo(self.zones[self.zone[position]])


def decide_batch(requests: pa.Table, facts: BatchFacts, pack: Pack) -> BatchDecisions:
    """The gate's answer to every request of ``requests`` (see the module)."""
    con = duckdb.connect()
    try:
        rows = _rows(con, conform_requests(requests), facts, pack)
        rows.read = _read_facts(con, rows, facts, pack)
    finally:
        con.close()
    masks = _masks(rows, pack)
    base_masks = _masks(rows, pack.untightened) if pack.tightened else masks
    pairs, inverse = np.unique(np.stack([masks, base_masks], axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    patterns = [pattern_of(int(mask), int(base), pack) for mask, base in pairs]
    retryable = np.array([p.retryable for p in patterns], bool)[inverse] & ~rows.scalar
    next_allowed = _next_allowed(rows, pack, masks, retryable)
    explainer = Explainer(pack, rows, inverse, patterns, next_allowed)
    verdicts = [p.verdict.value for p in patterns]
    rule_ids = [list(p.rule_ids) for p in patterns]
    scalar = np.flatnonzero(rows.scalar)
    if len(scalar):
        decided = _scalar_decisions(rows, facts, pack, scalar)
        explainer.scalar.update(zip(scalar.tolist(), decided, strict=True))
        inverse = inverse.copy()
        inverse[scalar] = len(patterns) + np.arange(len(scalar))
        verdicts += [d.verdict.value for d in decided]
        rule_ids += [list(d.rule_ids) for d in decided]
        next_allowed[scalar] = [
            NONE if d.next_allowed_at is None else micros_of(d.next_allowed_at) for d in decided
        ]
    choice = pa.array(inverse)
    table = pa.table(
        [
            rows.requests["row"],
            pa.array(verdicts, pa.string()).take(choice),
            pa.array(rule_ids, pa.list_(pa.string())).take(choice),
            pa.array(next_allowed, pa.int64(), mask=next_allowed == NONE).cast(UTC_MICROS),
        ],
        schema=RESULT_SCHEMA,
    )
    return BatchDecisions(table, len(rows.zone) - len(scalar), len(scalar), explainer)


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


def _rows(con: duckdb.DuckDBPyConnection, requests: pa.Table, facts: BatchFacts, pack: Pack) -> Rows:
    n = requests.num_rows
    zones = CustomerZones.of(facts, pack)
    zone, candidate = zones.of_customers(requests["customer_id"])
    at = _micros(requests["at"])
    day, clock = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for code, name in enumerate(zones.names):
        here = zone == code
        day[here], clock[here] = local_days_and_times(ZoneInfo(name), at[here])
    channel = _codes(requests["channel"], CHANNEL_LIST)
    point_id, party, do_not_contact = _request_points(con, requests, facts, channel)
    party_codes, parties = _dictionary(party)
    policy = np.array([pack.party_policy(p) for p in parties] or ["never"], dtype=object)[party_codes]
    purpose_codes, purposes = _dictionary(pc.utf8_lower(pc.fill_null(requests["purpose"], "")))
    verification = np.array([p.startswith(VERIFICATION_PURPOSES) for p in purposes], bool)[purpose_codes]
    closing = np.array([p.startswith(CLOSING_PURPOSES) for p in purposes], bool)[purpose_codes]
    special = _customers_with(facts, SCALAR_KINDS)
    return Rows(
        requests=requests,
        customer_zones=zones,
        zones=zones.names,
        zone=zone,
        candidate=candidate,
        at=at,
        day=day,
        clock=clock,
        channel=channel,
        point_id=point_id,
        party=party,
        policy=policy,
        do_not_contact=do_not_contact,
        verification=verification,
        closing=closing
        & np.isin(channel, [CHANNEL_LIST.index(c) for c in CLOSING_CHANNELS])
        & pack.option("cease_allows_closing_letters"),
        scalar=(zone < 0)
        | np.isin(policy, list(SCALAR_POLICIES))
        | np.asarray(pc.is_in(requests["customer_id"], special).to_numpy(zero_copy_only=False), bool),
    )


def _micros(column: pa.ChunkedArray | pa.Array) -> Ints:
    return np.asarray(pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False), np.int64)


def _codes(column: pa.ChunkedArray | pa.Array, values: tuple[str, ...]) -> Ints:
    """Each value's index into ``values`` (-1 for one not among them)."""
    found = pc.fill_null(pc.index_in(column, pa.array(values, pa.string())), -1)
    return np.asarray(found.to_numpy(zero_copy_only=False), np.int64)


def _dictionary(column: pa.ChunkedArray | pa.Array) -> tuple[Ints, list[str]]:
    """Each value's index into the distinct values (no nulls), and those values."""
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    encoded = pc.dictionary_encode(
        chunked.combine_chunks() if chunked.num_chunks else pa.array([], chunked.type)
    )
    return np.asarray(
        encoded.indices.to_numpy(zero_copy_only=False), np.int64
    ), encoded.dictionary.to_pylist()


@dataclass(frozen=True)
class CustomerZones:
    """The zone each customer's requests are decided in, as the scalar gate's ``zones_for`` gives
    them; a customer with several zones has none here (-1)."""

    names: list[str]
    customer_ids: pa.Array
    zone: Ints
    candidate: Flags
    nowhere: tuple[int, bool]
    """The zone of a customer the facts do not name."""

    @classmethod
    def of(cls, facts: BatchFacts, pack: Pack) -> CustomerZones:
        customers = facts.customers
        names: list[str] = []
        resolved: dict[tuple[str, tuple[str, ...]], tuple[int, bool]] = {}

        def resolve(timezone: str, candidates: tuple[str, ...]) -> tuple[int, bool]:
            key = (timezone, candidates)
            if key not in resolved:
                found = zones_for(Facts(timezone=timezone or None, candidate_timezones=candidates), pack)
                if len(found) != 1:
                    resolved[key] = (-1, False)
                else:
                    if found[0].name not in names:
                        names.append(found[0].name)
                    resolved[key] = (names.index(found[0].name), found[0].candidate)
            return resolved[key]

        codes, timezones = _dictionary(pc.fill_null(customers["timezone"], ""))
        by_timezone = [resolve(t, ()) for t in timezones] or [(-1, False)]
        zone = np.array([z for z, _ in by_timezone], np.int64)[codes]
        candidate = np.array([c for _, c in by_timezone], bool)[codes]
        lengths = pc.fill_null(pc.list_value_length(customers["candidate_timezones"]), 0)
        for position in np.flatnonzero(np.asarray(lengths.to_numpy(zero_copy_only=False)) > 0).tolist():
            customer = customers.slice(position, 1).to_pylist()[0]
            zone[position], candidate[position] = resolve(
                customer["timezone"] or "", tuple(customer["candidate_timezones"])
            )
        return cls(names, customers["customer_id"].combine_chunks(), zone, candidate, resolve("", ()))

    def of_customers(self, customer_ids: pa.ChunkedArray | pa.Array) -> tuple[Ints, Flags]:
        index = np.asarray(
            pc.fill_null(pc.index_in(customer_ids, self.customer_ids), -1).to_numpy(zero_copy_only=False),
            np.int64,
        )
        known = index >= 0
        zone = np.full(len(index), self.nowhere[0], np.int64)
        candidate = np.full(len(index), self.nowhere[1], bool)
        zone[known], candidate[known] = self.zone[index[known]], self.candidate[index[known]]
        return zone, candidate


def _customers_with(facts: BatchFacts, kinds: frozenset[str]) -> pa.Array:
    events = facts.events
    chosen = events.filter(pc.is_in(events["kind"], pa.array(sorted(kinds), pa.string())))
    return pc.unique(chosen["customer_id"].combine_chunks()) if chosen.num_rows else pa.array([], pa.string())


POINTS_SQL = """
SELECT r.position, p.party, p.do_not_contact
FROM requests AS r LEFT JOIN (
    SELECT customer_id, point_id, arg_min(party, n) AS party, arg_min(do_not_contact, n) AS do_not_contact
    FROM points GROUP BY customer_id, point_id
) AS p ON p.customer_id = r.customer_id AND p.point_id = r."to"
ORDER BY r.position
"""


def _request_points(
    con: duckdb.DuckDBPyConnection, requests: pa.Table, facts: BatchFacts, channel: Ints
) -> tuple[pa.Array, pa.Array, Flags]:
    """The point each request goes to: the customer's first point of that id, else the debtor's
    point its channel implies (as ``build_context`` takes it): its id, party and do-not-contact."""
    con.register(
        "requests",
        pa.table(
            {
                "position": np.arange(requests.num_rows, dtype=np.int64),
                "customer_id": requests["customer_id"],
                "to": requests["to"],
            }
        ),
    )
    con.register("points", facts.points.append_column("n", pa.array(np.arange(facts.points.num_rows))))
    found = con.sql(POINTS_SQL).to_arrow_table()
    con.unregister("requests")
    implied = pa.array(
        [f"debtor-{CHANNEL_POINT_TYPES.get(c, 'mobile')}" for c in CHANNEL_LIST], pa.string()
    ).take(pa.array(channel))
    point_id = pc.coalesce(requests["to"].combine_chunks(), implied)
    party = pc.fill_null(found["party"], "debtor").combine_chunks()
    do_not_contact = pc.fill_null(found["do_not_contact"], False).to_numpy(zero_copy_only=False)
    return point_id, party, np.asarray(do_not_contact, bool)


def _state_sql(pack: Pack) -> str:
    """The hold or condition an event opens or closes (``standing_of``), as a SQL expression."""
    cases = [f"WHEN '{kind}' THEN '{state}'" for kind, state in {**OPENING_EVENTS, **CLOSING_EVENTS}.items()]
    cases += ["WHEN 'hold_placed' THEN nullif(hold, '')", "WHEN 'hold_lifted' THEN nullif(hold, '')"]
    if pack.option("verification_ends_dispute"):
        cases.append("WHEN 'verification_sent' THEN 'dispute'")
    return f"CASE kind {' '.join(cases)} END"


def _sql_list(values: frozenset[str] | set[str] | dict[str, str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


def facts_sql(pack: Pack) -> str:
    """Per request, the facts its rules read from the customer's events known at its instant.

    ``events`` carry their local date in the customer's zone (``day``) and the channel an opt-out
    names as the requests name theirs (``channel_key``: ``*`` for any, ``phone`` for calls and
    voicemail); ``requests`` their point, the party whose points count as the same person
    (``person_party``, null when the point is a person of its own), ``channel_key`` and ``day``.
    """
    cap = pack.parameters.max_calls_in_7_days
    capping_call = (
        f"list(day ORDER BY day DESC) FILTER (WHERE counted_call AND to_person AND day IS NOT NULL)[{cap}]"
        if cap
        else "NULL::BIGINT"
    )
    not_connected = "true" if pack.option("exclude_not_connected") else "false"
    states = ",\n    ".join(f"arg_max(opens, seq) FILTER (WHERE state = '{s}') AS {s}" for s in STATES)
    return f"""
WITH parties AS (
    SELECT customer_id, point_id, list(DISTINCT party) AS parties FROM points GROUP BY ALL
), facts AS (
    SELECT e.customer_id, e.seq, e.kind, e.instant, e.day, e."to", e.source, e.channel_key,
        {_state_sql(pack)} AS state,
        CASE WHEN kind IN ({_sql_list(OPENING_EVENTS)}, 'hold_placed') THEN 1 ELSE 0 END AS opens,
        CASE WHEN written THEN 1 WHEN NOT written THEN 0 ELSE -1 END AS written,
        coalesce(outcome = 'conversation', false) AS conversation,
        kind IN ('call', 'visit') AND coalesce(outcome = 'conversation', false) AS met,
        kind = 'call' AND coalesce(outcome IN ({_sql_list(UNANSWERED)}), false) AS unanswered,
        kind = 'call' AND NOT ({not_connected} AND coalesce(outcome IN ({_sql_list(NOT_CONNECTED)}), false))
            AS counted_call,
        CASE WHEN coalesce(contact, '') <> '' THEN contact WHEN coalesce("to", '') <> '' THEN "to" ELSE ''
            END AS refused_contact,
        t.parties AS to_parties, s.parties AS source_parties
    FROM events AS e
    LEFT JOIN parties AS t ON t.customer_id = e.customer_id AND t.point_id = e."to"
    LEFT JOIN parties AS s ON s.customer_id = e.customer_id AND s.point_id = e.source
), pairs AS (
    SELECT r.position, r.day AS asked_day, f.*,
        coalesce(f."to" = r.point_id, false) AS to_point,
        coalesce(f."to" = r.point_id, false)
            OR coalesce(list_contains(f.to_parties, r.person_party), false) AS to_person,
        coalesce(f.source = r.point_id, false)
            OR coalesce(list_contains(f.source_parties, r.person_party), false) AS from_person,
        coalesce(f.channel_key = '*' OR f.channel_key = r.channel_key, false) AS same_channel,
        f.refused_contact = r.point_id AS refused_here
    FROM requests AS r
    JOIN facts AS f ON f.customer_id = r.customer_id AND (f.instant IS NULL OR f.instant <= r.instant)
)
SELECT position,
    {states},
    arg_max(written, seq) FILTER (WHERE state = 'dispute') AS dispute_written,
    arg_max(coalesce(instant, {NONE}), seq) FILTER (WHERE state = 'dispute') AS dispute_at,
    arg_max(written, seq) FILTER (WHERE state = 'cease') AS cease_written,
    coalesce(bool_or(kind = 'opt_out' AND ("to" IS NULL OR to_point) AND same_channel), false) AS opted_out,
    coalesce(bool_or(kind = 'contact_refused' AND refused_here), false) AS refused,
    count(*) FILTER (WHERE met AND to_person AND day = asked_day) AS conversations,
    count(*) FILTER (WHERE unanswered AND to_point AND day = asked_day) AS unanswered,
    count(*) FILTER (WHERE kind = 'sms' AND to_person AND day = asked_day) AS texts,
    count(*) FILTER (WHERE counted_call AND to_person AND day BETWEEN asked_day - 6 AND asked_day)
        AS calls_7_days,
    {capping_call} AS capping_call_day,
    max(day) FILTER (WHERE conversation AND day IS NOT NULL
        AND ((kind = 'call' AND to_person) OR (kind = 'inbound_call' AND from_person))) AS last_conversation
FROM pairs GROUP BY position
"""


FACT_DEFAULTS: dict[str, int] = {
    **dict.fromkeys(STATES, -1),
    "dispute_written": -1,
    "dispute_at": int(NONE),
    "cease_written": -1,
    "opted_out": 0,
    "refused": 0,
    "conversations": 0,
    "unanswered": 0,
    "texts": 0,
    "calls_7_days": 0,
    "capping_call_day": int(NONE),
    "last_conversation": int(NONE),
}
"""What a request reads when its customer has no event known at its instant."""


def _read_facts(con: duckdb.DuckDBPyConnection, rows: Rows, facts: BatchFacts, pack: Pack) -> dict[str, Ints]:
    """:func:`facts_sql` over the requests decided in columns, a column each (every request)."""
    positions = np.flatnonzero(~rows.scalar)
    channel_keys = np.array([("phone" if c in PHONE_CHANNELS else c) for c in CHANNEL_LIST], dtype=object)[
        rows.channel
    ]
    person = pc.if_else(pc.is_in(rows.party, pa.array(sorted(PERSON_PARTIES))), rows.party, None)
    requests = pa.table(
        {
            "position": positions,
            "customer_id": rows.requests["customer_id"].take(positions),
            "point_id": rows.point_id.take(positions),
            "person_party": person.take(positions),
            "channel_key": pa.array(channel_keys[positions], pa.string()),
            "instant": rows.at[positions],
            "day": rows.day[positions],
        }
    )
    con.register("requests", requests)
    con.register("events", _events(facts, rows.customer_zones))
    found = con.sql(facts_sql(pack)).to_arrow_table()
    read: dict[str, Ints] = {}
    where = np.asarray(found["position"].to_numpy(), np.int64)
    for name, default in FACT_DEFAULTS.items():
        column = np.full(len(rows.zone), default, np.int64)
        column[where] = np.asarray(
            pc.fill_null(found[name].cast(pa.int64()), default).to_numpy(zero_copy_only=False), np.int64
        )
        read[name] = column
    return read


def _events(facts: BatchFacts, zones: CustomerZones) -> pa.Table:
    """The events with their instant in microseconds, their local date in their customer's zone and
    the key of the channel they name (see :func:`facts_sql`)."""
    events = facts.events
    at = pc.cast(events["at"], pa.int64())
    micros = np.asarray(pc.fill_null(at, 0).to_numpy(zero_copy_only=False), np.int64)
    zone, _ = zones.of_customers(events["customer_id"])
    day = np.zeros(len(micros), np.int64)
    for code, name in enumerate(zones.names):
        here = zone == code
        day[here], _ = local_days_and_times(ZoneInfo(name), micros[here])
    codes, channels = _dictionary(pc.fill_null(events["channel"], "\0"))
    keys = np.array([_channel_key(c) for c in channels] or ["*"], dtype=object)[codes]
    return pa.table(
        {
            "customer_id": events["customer_id"],
            "seq": events["seq"],
            "kind": events["kind"],
            "instant": at,
            "day": pa.array(
                day, pa.int64(), mask=np.asarray(pc.is_null(at).to_numpy(zero_copy_only=False)) | (zone < 0)
            ),
            "to": events["to"],
            "source": events["source"],
            "outcome": events["outcome"],
            "written": events["written"],
            "contact": events["contact"],
            "hold": events["hold"],
            "channel_key": pa.array(keys, pa.string()),
        }
    )


def _channel_key(channel: str) -> str:
    """An event's channel as ``channel_matches`` reads it: ``*`` covers every channel."""
    if channel in ("\0", "all", "any"):
        return "*"
    wanted = canonical_channel(channel)
    return "phone" if wanted in PHONE_CHANNELS else wanted


def _in_window(clock: Ints, start: time, end: time) -> Flags:
    """``TimeWindow(start, end).contains`` on local times of day in microseconds."""
    first, last = micros_of_day(start), micros_of_day(end)
    if first <= last:
        return (clock >= first) & (clock < last)
    return (clock >= first) | (clock < last)


def _holidays(days: Ints, pack: Pack) -> Flags:
    """Whether each local date is one of the pack's holidays (asked once per distinct date)."""
    if not pack.parameters.holidays or len(days) == 0:
        return np.zeros(len(days), bool)
    distinct, inverse = np.unique(days, return_inverse=True)
    holidays = pack.parameters.holidays
    return np.array([date_of(int(d)) in holidays for d in distinct], bool)[inverse.reshape(-1)]


def _at_cap(count: Ints, cap: int | None) -> Flags:
    return np.zeros(len(count), bool) if cap is None else count >= cap


def slot_flags(rows: Rows, pack: Pack) -> dict[str, Flags]:
    """Each reason of :data:`SLOTS`, for every request, as the scalar gate's checks raise it."""
    read, parameters = rows.read, pack.parameters
    timed = ~rows.on(pack.time_exempt_channels)
    phone = rows.on(PHONE_CHANNELS)
    dispute = (read["dispute"] == 1) & ~rows.verification
    cease = (read["cease"] == 1) & ~rows.closing
    opted_out = (read["opted_out"] == 1) | rows.do_not_contact
    quiet = timed & ~_in_window(rows.clock, parameters.quiet_end, parameters.quiet_start)
    days = parameters.days_after_conversation
    return {
        "hold_dispute": dispute,
        "dispute": dispute & ~(pack.option("written_dispute_rule_only") & (read["dispute_written"] == 0)),
        "hold_cease": cease,
        "cease": cease & (read["cease_written"] != 0),
        "hold_bankruptcy": read["bankruptcy"] == 1,
        "hold_deceased": (read["deceased"] == 1)
        & (
            pc.equal(rows.party, "debtor").to_numpy(zero_copy_only=False)
            | (not pack.option("deceased_blocks_debtor_only"))
        ),
        "hold_hardship": read["hardship"] == 1,
        "hardship": read["hardship"] == 1,
        "refused": read["refused"] == 1,
        "refused_rule": read["refused"] == 1,
        "attorney": (rows.policy == "consumer") & (read["attorney"] == 1),
        "unrelated_party": rows.policy == "never",
        "opt_out": opted_out,
        "medium": opted_out,
        "quiet": quiet,
        "quiet_candidate": quiet & rows.candidate,
        "holiday": timed & _holidays(rows.day, pack),
        "conversations": _at_cap(read["conversations"], parameters.max_conversations_per_day)
        & rows.on(pack.conversation_channels),
        "unanswered": _at_cap(read["unanswered"], parameters.max_unanswered_per_number_per_day) & phone,
        "texts": _at_cap(read["texts"], parameters.max_texts_per_day) & rows.on({"sms"}),
        "calls_7_days": _at_cap(read["calls_7_days"], parameters.max_calls_in_7_days) & phone,
        "after_conversation": phone
        & (days is not None)
        & (read["last_conversation"] != NONE)
        & (rows.day <= read["last_conversation"] + (days or 0) - 1),
    }


def _masks(rows: Rows, pack: Pack) -> Ints:
    """Each request's reasons as bits of :data:`SLOTS` (0 for a request the scalar gate decides)."""
    rules = slot_rules(pack)
    masks = np.zeros(len(rows.zone), np.int64)
    for name, raised in slot_flags(rows, pack).items():
        if rules[name] is not None:
            masks |= np.where(raised, BIT[name], np.int64(0))
    masks[rows.scalar] = 0
    return masks


def _first_free_day(rows: Rows, pack: Pack, masks: Ints) -> Ints:
    """The first local date from which no count rule blocks the request: each is monotone in the
    date (a day's count starts again at 0 the next day, the 7 days move on, the days after a
    conversation pass), so the request passes them on every later date too."""
    parameters, read = pack.parameters, rows.read
    first = rows.day.copy()

    def after(name: str, day: Ints, cap: int | None) -> None:
        hit = (masks & BIT[name]) != 0
        first[hit] = np.maximum(first[hit], day[hit]) if cap != 0 else NEVER

    after("conversations", rows.day + 1, parameters.max_conversations_per_day)
    after("unanswered", rows.day + 1, parameters.max_unanswered_per_number_per_day)
    after("texts", rows.day + 1, parameters.max_texts_per_day)
    after("calls_7_days", read["capping_call_day"] + 7, parameters.max_calls_in_7_days)
    after("after_conversation", read["last_conversation"] + (parameters.days_after_conversation or 0), None)
    return first


@dataclass(frozen=True)
class Boundaries:
    """The instants of a zone where a time or day-count answer can change (``boundary_instants``:
    local midnight and the end of the quiet hours of each day), sorted, with the local date each
    was made for, its own local date and whether the permitted hours are open then."""

    instants: Ints
    made_for: Ints
    day: Ints
    open: Flags

    @classmethod
    def of(cls, info: ZoneInfo, first_day: int, last_day: int, pack: Pack) -> Boundaries:
        parameters = pack.parameters
        walls = sorted({MIDNIGHT, parameters.quiet_end})
        made = [
            (wall_instant(info, day, wall), day) for day in range(first_day, last_day + 1) for wall in walls
        ]
        instants = np.array([m for m, _ in made], np.int64)
        made_for = np.array([d for _, d in made], np.int64)
        instants, first = np.unique(instants, return_index=True)
        day, clock = local_days_and_times(info, instants)
        open_ = _in_window(clock, parameters.quiet_end, parameters.quiet_start) & ~_holidays(day, pack)
        return cls(instants, made_for[first], day, open_)


def _next_allowed(rows: Rows, pack: Pack, masks: Ints, retryable: Flags) -> Ints:
    """``next_allowed_at`` (microseconds; :data:`NONE` for none) of the requests blocked only by
    time and count rules: the first boundary after the request, on or after the first free date,
    open if the time rules apply, within the days ``decide`` searches."""
    found = np.full(len(masks), NONE, np.int64)
    first = _first_free_day(rows, pack, masks)
    todo = np.flatnonzero(retryable & (first < NEVER))
    if not len(todo):
        return found
    timed = ~rows.on(pack.time_exempt_channels)
    keys = np.stack([rows.zone[todo], first[todo], timed[todo].astype(np.int64)], axis=1)
    groups, group_of = np.unique(keys, axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    boundaries: dict[int, Boundaries] = {}
    for zone in np.unique(rows.zone[todo]).tolist():
        days = rows.day[todo][rows.zone[todo] == zone]
        boundaries[zone] = Boundaries.of(
            ZoneInfo(rows.zones[zone]), int(days.min()) - 1, int(days.max()) + SEARCH_DAYS, pack
        )
    order = np.argsort(group_of, kind="stable")
    starts = np.searchsorted(group_of[order], np.arange(len(groups)))
    for (zone, first_day, is_timed), members in zip(
        groups.tolist(), np.split(todo[order], starts[1:]), strict=True
    ):
        b = boundaries[zone]
        eligible = (b.day >= first_day) & (b.open | (not is_timed))
        instants, made_for = b.instants[eligible], b.made_for[eligible]
        index = np.searchsorted(instants, rows.at[members], side="right")
        hit = index < len(instants)
        hit[hit] = made_for[index[hit]] <= rows.day[members][hit] + SEARCH_DAYS
        found[members[hit]] = instants[index[hit]]
    return found


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
        detail = DETAILS[slot.name](self, position) if slot.name in DETAILS else None
        if slot.name == "holiday":
            return holiday_reason(self._day(position))
        return reason(rule_id, detail, retryable=slot.retryable)

    def _value(self, name: str, position: int) -> int:
        return int(self.rows.read[name][position])

    def _day(self, position: int) -> date:
        return date_of(int(self.rows.day[position]))

    def _zone(self, position: int) -> str:
        return self.rows.zones[int(self.rows.zone[position])]

    def _point(self, position: int) -> str:
        return str(self.rows.point_id[position].as_py())

    def _dispute(self, position: int) -> Text | None:
        opened = self._value("dispute_at", position)
        opened_on = None if opened == NONE else instant(opened).astimezone(self.rows.info(position)).date()
        return dispute_detail(self.pack, opened_on, self._day(position))

    def _quiet(self, position: int) -> Text:
        local = instant(int(self.rows.at[position])).astimezone(self.rows.info(position))
        return quiet_hours_detail(self.pack, [(self._zone(position), local)])

    def _opt_out(self, position: int) -> Text:
        return opt_out_detail(self._point(position), CHANNEL_LIST[self.rows.channel[position]])

    def _cap(self, name: str) -> int:
        return int(getattr(self.pack.parameters, name) or 0)


DETAILS: dict[str, Callable[[Explainer, int], Text | None]] = {
    "hold_dispute": lambda e, p: DISPUTE_NOT_RESOLVED,
    "dispute": Explainer._dispute,
    "refused": lambda e, p: refused_detail(e._point(p)),
    "attorney": lambda e, p: ATTORNEY_INSTEAD,
    "unrelated_party": lambda e, p: unrelated_party_detail(str(e.rows.party[p].as_py())),
    "opt_out": Explainer._opt_out,
    "medium": Explainer._opt_out,
    "quiet": Explainer._quiet,
    "quiet_candidate": Explainer._quiet,
    "conversations": lambda e, p: conversations_detail(
        e._value("conversations", p), e._day(p), e._zone(p), e._cap("max_conversations_per_day")
    ),
    "unanswered": lambda e, p: unanswered_detail(
        e._value("unanswered", p),
        e._point(p),
        e._day(p),
        e._zone(p),
        e._cap("max_unanswered_per_number_per_day"),
    ),
    "texts": lambda e, p: texts_detail(e._value("texts", p), e._day(p), e._cap("max_texts_per_day")),
    "calls_7_days": lambda e, p: calls_in_7_days_detail(
        e._value("calls_7_days", p), e._day(p), e._zone(p), e._cap("max_calls_in_7_days")
    ),
    "after_conversation": lambda e, p: after_conversation_detail(
        date_of(e._value("last_conversation", p)), e._cap("days_after_conversation"), e._zone(p)
    ),
}
"""What each reason says beyond its rule's wording (none for the others)."""
