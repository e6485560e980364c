"""The gate's facts about many customers at once, as three Arrow tables.

:class:`BatchFacts` holds what :class:`~arrears.compliance.facts.Facts` holds for one customer, in
columns, for :func:`arrears.compliance.batch.decide_batch`:

- ``customers``: ``customer_id``, ``timezone`` (null when unknown), ``candidate_timezones``;
- ``points``: ``customer_id``, ``point_id``, ``type``, ``party``, ``do_not_contact``, in the order
  of each customer's contact points;
- ``events``: ``customer_id``, ``seq`` (the order of a customer's events: holds are opened and
  lifted in that order) and every field of :class:`~arrears.compliance.facts.Event`, null where
  its kind does not use it (``window_start``/``window_end`` for its window).

A customer named in ``points`` or ``events`` but not in ``customers`` has no known zone; one named
nowhere has no facts at all (``Facts()``). Missing optional columns are filled with nulls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from arrears.compliance.facts import ContactPoint, Event, Facts, TimeWindow
from arrears.errors import InvalidInputError
from arrears.i18n import N_

UTC_MICROS = pa.timestamp("us", tz="UTC")
CUSTOMERS_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("timezone", pa.string()),
        pa.field("candidate_timezones", pa.list_(pa.string())),
    ]
)
POINTS_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("point_id", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("party", pa.string(), nullable=False),
        pa.field("do_not_contact", pa.bool_(), nullable=False),
    ]
)
EVENTS_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("at", UTC_MICROS),
        pa.field("to", pa.string()),
        pa.field("source", pa.string()),
        pa.field("outcome", pa.string()),
        pa.field("debts", pa.list_(pa.string())),
        pa.field("channel", pa.string()),
        pa.field("window_start", pa.time64("us")),
        pa.field("window_end", pa.time64("us")),
        pa.field("until", UTC_MICROS),
        pa.field("callback_at", UTC_MICROS),
        pa.field("callback_time", pa.time64("us")),
        pa.field("written", pa.bool_()),
        pa.field("contact", pa.string()),
        pa.field("place", pa.string()),
        pa.field("hold", pa.string()),
    ]
)
EVENT_FIELDS = (
    "at",
    "to",
    "source",
    "outcome",
    "debts",
    "channel",
    "until",
    "callback_at",
    "callback_time",
    "written",
    "contact",
    "place",
    "hold",
)
"""Fields of :class:`Event` kept in a column of the same name (the window is two columns)."""
REQUIRED = {"customer_id", "point_id", "type", "party", "kind"}
DEFAULTS: dict[str, Any] = {"do_not_contact": False}


class BatchFactsError(InvalidInputError):
    code = "invalid_batch_facts"
    default_message = N_("The facts of a batch cannot be read")


def conform(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
    """``table`` with the schema's columns in order and types; optional ones missing are filled."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table[field.name].cast(field.type)
        elif field.name == "seq":
            column = pa.chunked_array([pa.array(range(table.num_rows), pa.int64())])
        elif field.name in REQUIRED:
            raise BatchFactsError(
                N_("the {table} table has no {column} column"), table=name, column=field.name
            )
        else:
            column = pa.chunked_array([pa.nulls(table.num_rows, field.type)])
        if field.name in DEFAULTS:
            column = pc.fill_null(column, DEFAULTS[field.name])
        if not field.nullable and column.null_count:
            raise BatchFactsError(
                N_("the {table} table has empty values in {column}"), table=name, column=field.name
            )
        columns.append(column)
    return pa.table(columns, schema=schema)


@dataclass(frozen=True)
class BatchFacts:
    customers: pa.Table
    points: pa.Table
    events: pa.Table

    @classmethod
    def of(
        cls, customers: pa.Table, points: pa.Table | None = None, events: pa.Table | None = None
    ) -> BatchFacts:
        """The facts of three tables, their columns checked and completed (see the module)."""
        return cls(
            conform(customers, CUSTOMERS_SCHEMA, "customers"),
            conform(points if points is not None else POINTS_SCHEMA.empty_table(), POINTS_SCHEMA, "points"),
            conform(events if events is not None else EVENTS_SCHEMA.empty_table(), EVENTS_SCHEMA, "events"),
        )

    @classmethod
    def from_facts(cls, facts: Mapping[str, Facts]) -> BatchFacts:
        """The facts of each customer, by customer id, in columns."""
        customers: list[dict[str, Any]] = []
        points: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for customer_id, one in facts.items():
            customers.append(
                {
                    "customer_id": customer_id,
                    "timezone": one.timezone,
                    "candidate_timezones": list(one.candidate_timezones),
                }
            )
            points.extend(
                {
                    "customer_id": customer_id,
                    "point_id": p.id,
                    "type": p.type,
                    "party": p.party,
                    "do_not_contact": p.do_not_contact,
                }
                for p in one.contact_points
            )
            events.extend(_event_row(customer_id, len(events) + n, e) for n, e in enumerate(one.events))
        return cls(
            pa.Table.from_pylist(customers, schema=CUSTOMERS_SCHEMA),
            pa.Table.from_pylist(points, schema=POINTS_SCHEMA),
            pa.Table.from_pylist(events, schema=EVENTS_SCHEMA),
        )

    def subset(self, customer_ids: Iterable[str]) -> BatchFacts:
        """The facts of these customers only."""
        wanted = pa.array(sorted(set(customer_ids)), pa.string())
        return BatchFacts(
            *(
                t.filter(pc.is_in(t["customer_id"], wanted))
                for t in (self.customers, self.points, self.events)
            )
        )

    def facts_by_customer(self) -> dict[str, Facts]:
        """Each customer's :class:`Facts` (meant for a few customers: see :meth:`subset`)."""
        points: dict[str, list[ContactPoint]] = defaultdict(list)
        for p in self.points.to_pylist():
            points[p["customer_id"]].append(
                ContactPoint(p["point_id"], p["type"], p["party"], p["do_not_contact"])
            )
        events: dict[str, list[tuple[int, Event]]] = defaultdict(list)
        for e in self.events.to_pylist():
            events[e["customer_id"]].append((e["seq"], _event_of(e)))
        zones = {c["customer_id"]: c for c in self.customers.to_pylist()}
        return {
            customer_id: Facts(
                timezone=zones.get(customer_id, {}).get("timezone"),
                candidate_timezones=tuple(zones.get(customer_id, {}).get("candidate_timezones") or ()),
                contact_points=tuple(points[customer_id]),
                events=tuple(e for _, e in sorted(events[customer_id], key=lambda pair: pair[0])),
            )
            for customer_id in {*zones, *points, *events}
        }

    def facts_of(self, customer_id: str) -> Facts:
        """One customer's :class:`Facts` (``Facts()`` for a customer the batch knows nothing of)."""
        return self.subset([customer_id]).facts_by_customer().get(customer_id, Facts())


def _event_row(customer_id: str, seq: int, event: Event) -> dict[str, Any]:
    row: dict[str, Any] = {"customer_id": customer_id, "seq": seq, "kind": event.kind}
    for name in EVENT_FIELDS:
        row[name] = getattr(event, name)
    row["debts"] = list(event.debts)
    if event.window is not None:
        row["window_start"], row["window_end"] = event.window.start, event.window.end
    return row


def _event_of(row: Mapping[str, Any]) -> Event:
    window = None
    if row["window_start"] is not None and row["window_end"] is not None:
        window = TimeWindow(row["window_start"], row["window_end"])
    values = {name: row[name] for name in EVENT_FIELDS}
    values["debts"] = tuple(row["debts"] or ())
    return Event(kind=row["kind"], window=window, **values)
