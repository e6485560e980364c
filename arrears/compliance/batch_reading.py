"""What each request of a batch reads from its customer's facts, one numpy column per fact.

The requests' zones, local dates and times come from ``zoneinfo`` (:mod:`local_clock`); the rest,
from the requests' points to the counts per day, from one DuckDB query over the Arrow tables of
:class:`~arrears.compliance.batch_facts.BatchFacts` (:func:`facts_sql`). Everything here reads as
:func:`arrears.compliance.context.build_context` and the scalar checks read, for a request whose
customer has one zone; :attr:`Rows.scalar` marks the requests the columns do not model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from arrears.compliance.batch_facts import BatchFacts
from arrears.compliance.context import CHANNEL_POINT_TYPES, PERSON_PARTIES, zones_for
from arrears.compliance.counting import NOT_CONNECTED, UNANSWERED
from arrears.compliance.facts import CHANNELS, PHONE_CHANNELS, Facts, canonical_channel
from arrears.compliance.local_clock import local_days_and_times
from arrears.compliance.packs import Pack
from arrears.compliance.parties import CLOSING_CHANNELS, CLOSING_PURPOSES, VERIFICATION_PURPOSES
from arrears.compliance.standing import CLOSING_EVENTS, OPENING_EVENTS

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]

CHANNEL_LIST = tuple(sorted(CHANNELS))
SCALAR_KINDS = frozenset({"consent", "callback_requested", "inconvenient_time", "inconvenient_place"})
"""Events that send their customer's requests to the scalar gate: consents and callbacks open other
hours, inconvenient times and places close some (rare, and each is a window of its own)."""
SCALAR_POLICIES = frozenset({"contact_person", "location_only"})
"""Parties whose requests go to the scalar gate: whether a contact person may be reached reads the
debtor's run of failed attempts and numbers, a location inquiry the earlier communications."""
STATES = ("dispute", "cease", "bankruptcy", "deceased", "hardship", "attorney")
"""The holds and conditions the columns follow (``incapacitated`` matters only to contact persons)."""
NONE = np.int64(-(1 << 62))
"""No instant, no date: a null in the numpy columns."""


@dataclass(frozen=True)
class Rows:
    """What each request reads, a numpy column per fact (index: the request's position)."""

    requests: pa.Table
    zones: list[str]
    zone: Ints
    """Index into :attr:`zones`; -1 for a customer with several zones (scalar gate)."""
    candidate: Flags
    """The zone is a candidate one (the debtor's location is uncertain)."""
    at: Ints
    """The request's instant, microseconds since the epoch."""
    day: Ints
    """Its local date (days since the epoch) in its zone."""
    clock: Ints
    """Its local time of day, in microseconds."""
    channel: Ints
    """Index into :data:`CHANNEL_LIST`."""
    point_id: pa.Array
    party: pa.Array
    debtor: Flags
    policy: npt.NDArray[np.object_]
    """The pack's policy for the point's party (consumer, attorney, never …)."""
    do_not_contact: Flags
    verification: Flags
    """The purpose is a verification (a dispute does not hold it)."""
    closing: Flags
    """A closing letter or e-mail the pack lets through a cease request."""
    scalar: Flags
    """Decided by the scalar gate (see :data:`SCALAR_KINDS`, :data:`SCALAR_POLICIES`)."""
    read: dict[str, Ints]
    """The facts of :func:`facts_sql`, a column each."""

    def on(self, channels: frozenset[str] | set[str]) -> Flags:
        """The request's channel is one of ``channels``."""
        return np.isin(self.channel, [CHANNEL_LIST.index(c) for c in channels if c in CHANNEL_LIST])

    def info(self, position: int) -> ZoneInfo:
        return ZoneInfo(self.zones[int(self.zone[position])])


@cache
def _database() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for the process; each batch reads through a cursor of its own, whose
    registered tables no other batch sees."""
    return duckdb.connect()


def read_rows(requests: pa.Table, facts: BatchFacts, pack: Pack) -> Rows:
    """What every request of ``requests`` (the columns of ``REQUESTS_SCHEMA``) reads."""
    n = requests.num_rows
    zones = CustomerZones.of(facts, pack)
    zone, candidate = zones.of_customers(requests["customer_id"])
    at = _micros(requests["at"])
    day, clock = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for code, name in enumerate(zones.names):
        here = zone == code
        day[here], clock[here] = local_days_and_times(ZoneInfo(name), at[here])
    channel = codes_of(requests["channel"], CHANNEL_LIST)
    implied = pa.array(
        [f"debtor-{CHANNEL_POINT_TYPES.get(c, 'mobile')}" for c in CHANNEL_LIST], pa.string()
    ).take(pa.array(channel))
    point_id = pc.coalesce(requests["to"].combine_chunks(), implied)
    keys = np.array([("phone" if c in PHONE_CHANNELS else c) for c in CHANNEL_LIST], dtype=object)
    asked = pa.table(
        {
            "position": np.arange(n, dtype=np.int64),
            "customer_id": requests["customer_id"],
            "to": requests["to"],
            "point_id": point_id,
            "channel_key": pa.array(keys[channel], pa.string()),
            "instant": at,
            "day": day,
        }
    )
    con = _database().cursor()
    try:
        con.register("requests", asked)
        con.register("points", facts.points.append_column("n", pa.array(np.arange(facts.points.num_rows))))
        con.register("events", _events(facts, zones))
        found = con.sql(facts_sql(pack)).to_arrow_table()
    finally:
        con.close()
    party = found["party"].combine_chunks()
    party_codes, parties = dictionary_of(party)
    policy = np.array([pack.party_policy(p) for p in parties] or ["never"], dtype=object)[party_codes]
    purpose_codes, purposes = dictionary_of(pc.utf8_lower(pc.fill_null(requests["purpose"], "")))
    closing = np.array([p.startswith(CLOSING_PURPOSES) for p in purposes], bool)[purpose_codes]
    special = _customers_with(facts, SCALAR_KINDS)
    return Rows(
        requests=requests,
        zones=zones.names,
        zone=zone,
        candidate=candidate,
        at=at,
        day=day,
        clock=clock,
        channel=channel,
        point_id=point_id,
        party=party,
        debtor=np.asarray(pc.equal(party, "debtor").to_numpy(zero_copy_only=False), bool),
        policy=policy,
        do_not_contact=_ints(found["do_not_contact"], 0) == 1,
        verification=np.array([p.startswith(VERIFICATION_PURPOSES) for p in purposes], bool)[purpose_codes],
        closing=closing
        & np.isin(channel, [CHANNEL_LIST.index(c) for c in CLOSING_CHANNELS])
        & pack.option("cease_allows_closing_letters"),
        scalar=(zone < 0)
        | np.isin(policy, sorted(SCALAR_POLICIES))
        | np.asarray(pc.is_in(requests["customer_id"], special).to_numpy(zero_copy_only=False), bool),
        read={name: _ints(found[name], default) for name, default in FACT_DEFAULTS.items()},
    )


def _micros(column: pa.ChunkedArray | pa.Array) -> Ints:
    return np.asarray(pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False), np.int64)


def _ints(column: pa.ChunkedArray, default: int) -> Ints:
    return np.asarray(pc.fill_null(column.cast(pa.int64()), default).to_numpy(zero_copy_only=False), np.int64)


def codes_of(column: pa.ChunkedArray | pa.Array, values: tuple[str, ...]) -> Ints:
    """Each value's index into ``values`` (-1 for one not among them)."""
    found = pc.fill_null(pc.index_in(column, pa.array(values, pa.string())), -1)
    return np.asarray(found.to_numpy(zero_copy_only=False), np.int64)


def dictionary_of(column: pa.ChunkedArray | pa.Array) -> tuple[Ints, list[str]]:
    """Each value's index into the distinct values (``column`` has no nulls), and those values."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(array)
    return np.asarray(
        encoded.indices.to_numpy(zero_copy_only=False), np.int64
    ), encoded.dictionary.to_pylist()


@dataclass(frozen=True)
class CustomerZones:
    """The zone each customer's requests are decided in, as ``zones_for`` gives it (asked once per
    distinct zone and candidate list); a customer with several zones to respect has none (-1)."""

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

        codes, timezones = dictionary_of(pc.fill_null(customers["timezone"], ""))
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
        """The zone of each customer (index into :attr:`names`) and whether it is a candidate one."""
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
    unknown = np.asarray(pc.is_null(at).to_numpy(zero_copy_only=False), bool) | (zone < 0)
    codes, channels = dictionary_of(pc.fill_null(events["channel"], "\0"))
    keys = np.array([_channel_key(c) for c in channels] or ["*"], dtype=object)[codes]
    return pa.table(
        {
            "customer_id": events["customer_id"],
            "seq": events["seq"],
            "kind": events["kind"],
            "instant": at,
            "day": pa.array(day, pa.int64(), mask=unknown),
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
    """An event's channel as ``channel_matches`` reads it (``*`` covers every channel)."""
    if channel in ("\0", "all", "any"):
        return "*"
    wanted = canonical_channel(channel)
    return "phone" if wanted in PHONE_CHANNELS else wanted


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
    """Per request (in position order), its point's party and do-not-contact mark, and the facts its
    rules read from the customer's events known at its instant (an event with no instant is always
    known): the holds (the last event that opens or closes each, by ``seq``), opt-outs and
    refusals of its point, and the counts on its local date, per number, per person and over 7 days,
    with the latest conversation.

    ``requests``: ``position``, ``customer_id``, ``to``, ``point_id`` (``to`` or the implied point),
    ``channel_key`` (``phone`` for calls and voicemail), ``instant`` and local ``day``. ``events``:
    as :func:`_events` makes them; ``points``: as the facts hold them, with their order ``n``.
    """
    cap = pack.parameters.max_calls_in_7_days
    capping_call = (
        f"list(day ORDER BY day DESC) FILTER (WHERE counted_call AND to_person AND day IS NOT NULL)[{cap}]"
        if cap
        else "NULL::BIGINT"
    )
    not_connected = "true" if pack.option("exclude_not_connected") else "false"
    states = ",\n        ".join(f"arg_max(opens, seq) FILTER (WHERE state = '{s}') AS {s}" for s in STATES)
    return f"""
WITH firsts AS (
    SELECT customer_id, point_id, arg_min(party, n) AS party, arg_min(do_not_contact, n) AS do_not_contact
    FROM points GROUP BY customer_id, point_id
), asked AS (
    SELECT r.position, r.customer_id, r.point_id, r.channel_key, r.instant, r.day,
        coalesce(p.party, 'debtor') AS party, coalesce(p.do_not_contact, false) AS do_not_contact
    FROM requests AS r LEFT JOIN firsts AS p ON p.customer_id = r.customer_id AND p.point_id = r."to"
), parties AS (
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
    SELECT a.position, a.day AS asked_day, f.*,
        coalesce(f."to" = a.point_id, false) AS to_point,
        coalesce(f."to" = a.point_id, false) OR coalesce(list_contains(f.to_parties, a.person), false)
            AS to_person,
        coalesce(f.source = a.point_id, false) OR coalesce(list_contains(f.source_parties, a.person), false)
            AS from_person,
        coalesce(f.channel_key = '*' OR f.channel_key = a.channel_key, false) AS same_channel,
        f.refused_contact = a.point_id AS refused_here
    FROM (
        SELECT *, CASE WHEN party IN ({_sql_list(PERSON_PARTIES)}) THEN party END AS person FROM asked
    ) AS a
    JOIN facts AS f ON f.customer_id = a.customer_id AND (f.instant IS NULL OR f.instant <= a.instant)
), counted AS (
    SELECT position,
        {states},
        arg_max(written, seq) FILTER (WHERE state = 'dispute') AS dispute_written,
        arg_max(coalesce(instant, {NONE}), seq) FILTER (WHERE state = 'dispute') AS dispute_at,
        arg_max(written, seq) FILTER (WHERE state = 'cease') AS cease_written,
        bool_or(kind = 'opt_out' AND ("to" IS NULL OR to_point) AND same_channel) AS opted_out,
        bool_or(kind = 'contact_refused' AND refused_here) AS refused,
        count(*) FILTER (WHERE met AND to_person AND day = asked_day) AS conversations,
        count(*) FILTER (WHERE unanswered AND to_point AND day = asked_day) AS unanswered,
        count(*) FILTER (WHERE kind = 'sms' AND to_person AND day = asked_day) AS texts,
        count(*) FILTER (WHERE counted_call AND to_person AND day BETWEEN asked_day - 6 AND asked_day)
            AS calls_7_days,
        {capping_call} AS capping_call_day,
        max(day) FILTER (WHERE conversation AND day IS NOT NULL
            AND ((kind = 'call' AND to_person) OR (kind = 'inbound_call' AND from_person)))
            AS last_conversation
    FROM pairs GROUP BY position
)
SELECT a.party, a.do_not_contact, c.* EXCLUDE (position)
FROM asked AS a LEFT JOIN counted AS c ON c.position = a.position
ORDER BY a.position
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
"""The facts :func:`facts_sql` reads, and what a request reads with no event known at its instant:
states are 1 (open), 0 (closed) or -1 (never named); ``written`` 1, 0 or -1 (not said)."""
