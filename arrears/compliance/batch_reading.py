"""What each request of a batch reads from its customer's facts, one numpy column per fact.

The requests' zones, local dates and times come from ``zoneinfo`` (:mod:`local_clock`); the rest,
from the requests' points to the counts per day, from a few DuckDB queries over the Arrow tables
of :class:`~arrears.compliance.batch_facts.BatchFacts`, with the customers as integer keys: the
requests' points (:data:`POINTS_SQL`), the events as the rules read them (:func:`facts_sql`, read
once), and per request the holds, opt-outs and refusals (:data:`STANDING_SQL`) and the counts
(:data:`COUNTS_SQL`, :func:`capping_sql`). Everything here reads as
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
PERSONS = tuple(sorted(PERSON_PARTIES))
"""The parties whose points all reach one person, each a bit in :func:`facts_sql`."""


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
    """The facts the queries read (:data:`FACT_DEFAULTS`), a column each."""

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
    customers = Customers.of(requests, facts, pack)
    key = customers.requests
    zone = customers.zone[key]
    at = _micros(requests["at"])
    day, clock = _local(customers.zones, zone, at)
    channel = codes_of(requests["channel"], CHANNEL_LIST)
    points = Points.of(facts, customers)
    con = _database().cursor()
    try:
        con.register("points", points.table)
        point_id, party, do_not_contact = points.of_requests(con, requests, key, channel)
        policy = np.array([pack.party_policy(p) for p in points.parties], dtype=object)[party]
        scalar = (zone < 0) | np.isin(policy, sorted(SCALAR_POLICIES)) | customers.special[key]
        columnar = np.flatnonzero(~scalar)
        keys = np.array([("phone" if c in PHONE_CHANNELS else c) for c in CHANNEL_LIST], dtype=object)
        asked = pa.table(
            {
                "position": columnar,
                "customer": key[columnar],
                "point_id": point_id.take(pa.array(columnar)),
                "person": points.person(party[columnar]),
                "channel_key": pa.array(keys[channel[columnar]], pa.string()),
                "instant": at[columnar],
                "day": day[columnar],
            }
        )
        read = _read_events(con, asked, _events(facts, customers), requests.num_rows, pack)
    finally:
        con.close()
    verification, closing = _purposes(requests["purpose"])
    debtor = points.parties.index("debtor")
    return Rows(
        requests=requests,
        zones=customers.zones,
        zone=zone,
        candidate=customers.candidate[key],
        at=at,
        day=day,
        clock=clock,
        channel=channel,
        point_id=point_id,
        party=pa.array(points.parties, pa.string()).take(pa.array(party)),
        debtor=party == debtor,
        policy=policy,
        do_not_contact=do_not_contact,
        verification=verification,
        closing=closing
        & np.isin(channel, [CHANNEL_LIST.index(c) for c in CLOSING_CHANNELS])
        & pack.option("cease_allows_closing_letters"),
        scalar=scalar,
        read=read,
    )


def _local(zones: list[str], zone: Ints, at: Ints) -> tuple[Ints, Ints]:
    """The local date and time of day of each instant in its zone (index into ``zones``)."""
    day, clock = np.zeros(len(at), np.int64), np.zeros(len(at), np.int64)
    for code, name in enumerate(zones):
        here = zone == code
        day[here], clock[here] = local_days_and_times(ZoneInfo(name), at[here])
    return day, clock


def _purposes(purpose: pa.ChunkedArray) -> tuple[Flags, Flags]:
    """Whether each purpose is a verification, and whether it is a closing one (as ``_purpose_is``
    reads them: the lower-cased purpose starts with one of the names)."""
    codes, purposes = dictionary_of(pc.fill_null(purpose, ""))
    lowered = [p.lower() for p in purposes]
    verification = np.array([p.startswith(VERIFICATION_PURPOSES) for p in lowered], bool)
    closing = np.array([p.startswith(CLOSING_PURPOSES) for p in lowered], bool)
    return verification[codes], closing[codes]


@dataclass(frozen=True)
class Points:
    """The facts' contact points as the queries read them: the customer's key, the id, the party (an
    index into :attr:`parties`), its person bit (:data:`PERSONS`), do-not-contact and the order."""

    table: pa.Table
    parties: list[str]

    @classmethod
    def of(cls, facts: BatchFacts, customers: Customers) -> Points:
        codes, parties = dictionary_of(facts.points["party"])
        parties = [*parties, *(["debtor"] if "debtor" not in parties else [])]
        table = pa.table(
            {
                "customer": customers.points,
                "point_id": facts.points["point_id"],
                "party": codes,
                "person": np.array([_person(p) for p in parties], np.int64)[codes],
                "do_not_contact": facts.points["do_not_contact"],
                "n": np.arange(facts.points.num_rows, dtype=np.int64),
            }
        )
        return cls(table, parties)

    def person(self, party: Ints) -> Ints:
        """The person bit of each party (-1 for a point that is a person of its own)."""
        return np.array([_person(p) for p in self.parties], np.int64)[party]

    def of_requests(
        self, con: duckdb.DuckDBPyConnection, requests: pa.Table, key: Ints, channel: Ints
    ) -> tuple[pa.Array, Ints, Flags]:
        """The point each request goes to, as ``build_context`` takes it: the customer's first point
        of the id it names, else the debtor's point its channel implies. Its id, party, do-not-contact."""
        n = requests.num_rows
        con.register("requests", pa.table({"position": np.arange(n), "customer": key, "to": requests["to"]}))
        found = con.sql(POINTS_SQL).to_arrow_table()
        where = _ints(found["position"], 0)
        party = np.full(n, self.parties.index("debtor"), np.int64)
        party[where] = _ints(found["party"], 0)
        do_not_contact = np.zeros(n, bool)
        do_not_contact[where] = _ints(found["do_not_contact"], 0) == 1
        named = np.zeros(n, bool)
        named[where] = True
        to = requests["to"].combine_chunks()
        implied = pa.array(
            [f"debtor-{CHANNEL_POINT_TYPES.get(c, 'mobile')}" for c in CHANNEL_LIST], pa.string()
        ).take(pa.array(channel))
        named_or_given = pc.or_(pa.array(named), pc.fill_null(pc.not_equal(to, ""), False))
        return pc.if_else(named_or_given, to, implied), party, do_not_contact


def _read_events(
    con: duckdb.DuckDBPyConnection, asked: pa.Table, events: pa.Table, n: int, pack: Pack
) -> dict[str, Ints]:
    """The facts of :data:`STANDING_SQL`, :data:`COUNTS_SQL` and :func:`capping_sql` for the
    requests ``asked``, a column each for every one of the ``n`` requests."""
    con.register("asked", asked)
    con.register("events", events)
    con.register("facts", con.sql(facts_sql(pack)).to_arrow_table())
    read = {name: np.full(n, default, np.int64) for name, default in FACT_DEFAULTS.items()}
    _scatter(read, con.sql(STANDING_SQL).to_arrow_table())
    _scatter(read, con.sql(COUNTS_SQL).to_arrow_table())
    cap = pack.parameters.max_calls_in_7_days
    if cap:
        capped = pa.array(np.flatnonzero(read["calls_7_days"] >= cap))
        if len(capped):
            con.register("capped", asked.filter(pc.is_in(asked["position"], capped)))
            _scatter(read, con.sql(capping_sql(cap)).to_arrow_table())
    return read


def _scatter(read: dict[str, Ints], found: pa.Table) -> None:
    """Put the columns of a query's result into ``read``, each value at its request's ``position``."""
    where = _ints(found["position"], 0)
    for name in found.column_names[1:]:
        read[name][where] = _ints(found[name], FACT_DEFAULTS[name])


def _person(party: str) -> int:
    """The bit of a party whose points all reach one person (-1 for a point that is a person of its own)."""
    return PERSONS.index(party) if party in PERSONS else -1


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
class Customers:
    """The customers of a batch as integer keys (their row in the facts' customers, then those the
    facts name only in points, events or requests), with each key's zone as ``zones_for`` gives it
    (asked once per distinct zone and candidate list; -1 when there are several to respect) and
    whether the customer has events that send its requests to the scalar gate."""

    zones: list[str]
    zone: Ints
    candidate: Flags
    special: Flags
    requests: Ints
    points: Ints
    events: Ints
    """The key of each request, point and event."""

    @classmethod
    def of(cls, requests: pa.Table, facts: BatchFacts, pack: Pack) -> Customers:
        known = facts.customers["customer_id"].combine_chunks()
        named = pa.chunked_array(
            [c for t in (requests, facts.points, facts.events) for c in t["customer_id"].chunks], pa.string()
        )
        index = pc.index_in(named, known)  # one lookup table for the three
        others = pc.unique(named.filter(pc.is_null(index)))
        if len(others):
            index = pc.coalesce(index, pc.add(pc.index_in(named, others), len(known)))
        every = np.asarray(index.to_numpy(zero_copy_only=False), np.int64)
        ends = np.cumsum([requests.num_rows, facts.points.num_rows])
        keys = np.split(every, ends)
        zones: list[str] = []
        resolved: dict[tuple[str, tuple[str, ...]], tuple[int, bool]] = {}

        def resolve(timezone: str, candidates: tuple[str, ...]) -> tuple[int, bool]:
            key = (timezone, candidates)
            if key not in resolved:
                found = zones_for(Facts(timezone=timezone or None, candidate_timezones=candidates), pack)
                if len(found) != 1:
                    resolved[key] = (-1, False)
                else:
                    if found[0].name not in zones:
                        zones.append(found[0].name)
                    resolved[key] = (zones.index(found[0].name), found[0].candidate)
            return resolved[key]

        customers = facts.customers
        codes, timezones = dictionary_of(pc.fill_null(customers["timezone"], ""))
        by_timezone = [*(resolve(t, ()) for t in timezones), resolve("", ())]
        codes = np.concatenate([codes, np.full(len(others), len(by_timezone) - 1, np.int64)])
        zone = np.array([z for z, _ in by_timezone], np.int64)[codes]
        candidate = np.array([c for _, c in by_timezone], bool)[codes]
        lengths = pc.fill_null(pc.list_value_length(customers["candidate_timezones"]), 0)
        for position in np.flatnonzero(np.asarray(lengths.to_numpy(zero_copy_only=False)) > 0).tolist():
            customer = customers.slice(position, 1).to_pylist()[0]
            zone[position], candidate[position] = resolve(
                customer["timezone"] or "", tuple(customer["candidate_timezones"])
            )
        special = np.zeros(len(zone), bool)
        kinds = pc.is_in(facts.events["kind"], pa.array(sorted(SCALAR_KINDS), pa.string()))
        special[keys[2][np.asarray(kinds.to_numpy(zero_copy_only=False), bool)]] = True
        return cls(zones, zone, candidate, special, *keys)


def _events(facts: BatchFacts, customers: Customers) -> pa.Table:
    """The events with their customer's key, their instant in microseconds, their local date in their
    customer's zone and the key of the channel they name (see :func:`facts_sql`)."""
    events = facts.events
    at = pc.cast(events["at"], pa.int64())
    micros = np.asarray(pc.fill_null(at, 0).to_numpy(zero_copy_only=False), np.int64)
    zone = customers.zone[customers.events]
    day = np.zeros(len(micros), np.int64)
    for code, name in enumerate(customers.zones):
        here = zone == code
        day[here], _ = local_days_and_times(ZoneInfo(name), micros[here])
    unknown = np.asarray(pc.is_null(at).to_numpy(zero_copy_only=False), bool) | (zone < 0)
    codes, channels = dictionary_of(pc.fill_null(events["channel"], "\0"))
    keys = np.array([_channel_key(c) for c in channels] or ["*"], dtype=object)[codes]
    return pa.table(
        {
            "event": np.arange(events.num_rows, dtype=np.int64),
            "customer": customers.events,
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


POINTS_SQL = """
SELECT r.position, arg_min(p.party, p.n) AS party, arg_min(p.do_not_contact, p.n) AS do_not_contact
FROM requests AS r JOIN points AS p ON p.customer = r.customer AND p.point_id = r."to"
GROUP BY r.position
"""
"""The point each request names, when its customer has one of that id: the first such point's
party and do-not-contact mark (``known.point(request.to)``)."""


def facts_sql(pack: Pack) -> str:
    """The events as the rules read them: the hold each opens or closes (``standing_of``), whether it
    was written, whether it is a conversation, an unanswered or a counted call, the point a refusal
    names, and the persons (bits of :data:`PERSONS`) whose points it was made to or came from.

    ``events``: as :func:`_events` makes them; ``points``: ``customer``, ``point_id``, ``person``.
    """
    not_connected = "true" if pack.option("exclude_not_connected") else "false"
    return f"""
WITH reached AS (
    SELECT e.event, bit_or(1::BIGINT << p.person) AS persons
    FROM events AS e JOIN points AS p ON p.customer = e.customer AND p.point_id = e."to"
    WHERE p.person >= 0 GROUP BY e.event
), calling AS (
    SELECT e.event, bit_or(1::BIGINT << p.person) AS persons
    FROM events AS e JOIN points AS p ON p.customer = e.customer AND p.point_id = e.source
    WHERE p.person >= 0 GROUP BY e.event
)
SELECT e.customer, e.seq, e.kind, e.instant, e.day, e."to", e.source, e.channel_key,
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
    coalesce(r.persons, 0) AS to_persons, coalesce(c.persons, 0) AS source_persons
FROM events AS e
LEFT JOIN reached AS r ON r.event = e.event
LEFT JOIN calling AS c ON c.event = e.event
"""


def _pairs(kinds: str, asked: str = "asked") -> str:
    """Each request of ``asked`` with its customer's events of ``kinds`` (a SQL condition) known at
    its instant (an event with no instant is always known), and how each event stands to it."""
    return f"""
WITH pairs AS (
    SELECT a.position, a.day AS asked_day, f.*,
        coalesce(f."to" = a.point_id, false) AS to_point,
        coalesce(f."to" = a.point_id, false) OR (a.person >= 0 AND (f.to_persons >> a.person) & 1 = 1)
            AS to_person,
        coalesce(f.source = a.point_id, false) OR (a.person >= 0 AND (f.source_persons >> a.person) & 1 = 1)
            AS from_person,
        coalesce(f.channel_key = '*' OR f.channel_key = a.channel_key, false) AS same_channel,
        f.refused_contact = a.point_id AS refused_here
    FROM {asked} AS a
    JOIN (SELECT * FROM facts WHERE {kinds}) AS f
        ON f.customer = a.customer AND (f.instant IS NULL OR f.instant <= a.instant)
)"""


STANDING_SQL = (
    _pairs("state IS NOT NULL OR kind IN ('opt_out', 'contact_refused')")
    + f"""
SELECT position,
    {", ".join(f"arg_max(opens, seq) FILTER (WHERE state = '{s}') AS {s}" for s in STATES)},
    arg_max(written, seq) FILTER (WHERE state = 'dispute') AS dispute_written,
    arg_max(coalesce(instant, {NONE}), seq) FILTER (WHERE state = 'dispute') AS dispute_at,
    arg_max(written, seq) FILTER (WHERE state = 'cease') AS cease_written,
    bool_or(kind = 'opt_out' AND ("to" IS NULL OR to_point) AND same_channel) AS opted_out,
    bool_or(kind = 'contact_refused' AND refused_here) AS refused
FROM pairs GROUP BY position
"""
)
"""Per request, the holds standing (the last event, by ``seq``, that opens or closes each), and
whether its point opted out of its channel or refused contact."""

COUNTS_SQL = (
    _pairs("kind IN ('call', 'visit', 'sms', 'inbound_call')")
    + """
SELECT position,
    count(*) FILTER (WHERE met AND to_person AND day = asked_day) AS conversations,
    count(*) FILTER (WHERE unanswered AND to_point AND day = asked_day) AS unanswered,
    count(*) FILTER (WHERE kind = 'sms' AND to_person AND day = asked_day) AS texts,
    count(*) FILTER (WHERE counted_call AND to_person AND day BETWEEN asked_day - 6 AND asked_day)
        AS calls_7_days,
    max(day) FILTER (WHERE conversation AND day IS NOT NULL
        AND ((kind = 'call' AND to_person) OR (kind = 'inbound_call' AND from_person))) AS last_conversation
FROM pairs GROUP BY position
"""
)
"""Per request, the counts on its local date (conversations with the person, unanswered calls to
its number, texts to the person), the calls to the person in the 7 local days up to it, and the
date of the latest conversation."""


def capping_sql(cap: int) -> str:
    """Per request of ``capped`` (those at the cap of calls in 7 days), the local date of the
    cap-th latest call to the person: once it leaves the 7 days, the count is under the cap."""
    return (
        _pairs("counted_call AND day IS NOT NULL", "capped")
        + f"""
SELECT position, list(day ORDER BY day DESC) FILTER (WHERE to_person)[{cap}] AS capping_call_day
FROM pairs GROUP BY position
"""
    )


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
