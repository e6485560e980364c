"""Where the entries of a case's timeline come from: one query per source, each answering at most
a page of its newest rows before the page's key.

An entry's key is ``(at, kind, id)``, newest first. A source is one kind of entry from one table
(a dispute raised, a dispute closed…); its query filters the case, takes the rows whose key is
below the key the page starts after (the cursor's), orders by ``(at, id)`` descending and stops
after ``limit`` rows, so a page costs a bounded window of each source, however long the case's
history. An entry dated by a business date (a payment's ``paid_on``, a promise's outcome, the
batch's events) stands at the start of that day in the bank's zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, String, and_, column, false, or_, table, true
from sqlalchemy.orm import Session

from arrears.clock import local_date, zone
from arrears.i18n import Text

Key = tuple[datetime, str, int | str]
"""(at, kind, id) of an entry: the sort key, newest first."""


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    id: int | str
    title: Text
    details: tuple[Text, ...] = ()
    actor_id: int | None = None
    links: dict[str, int | str] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.at, self.kind, self.id)


@dataclass(frozen=True)
class Source:
    """One kind of entry: its query (the case's rows, with the columns ``render`` reads), the
    columns of its key, and how a row becomes an entry."""

    kind: str
    query: Any
    """A ``select`` of the case's rows, labelling the entry's key columns ``ident`` and ``at``."""
    at: Any
    """The column of the entry's instant (or business date when ``dated``)."""
    ident: Any
    render: Callable[[Any, datetime], Entry]
    """(row, at) → the entry."""
    dated: bool = False
    numeric: bool = True
    """Whether ``ident`` is an integer column (else text, compared bytewise)."""


def start_of(day: date, bank_zone: str) -> datetime:
    """The instant a business date's entries stand at: the day's start in the bank's zone."""
    return datetime.combine(day, time(0), tzinfo=zone(bank_zone)).astimezone(UTC)


def read(session: Session, source: Source, after: Key | None, limit: int, bank_zone: str) -> list[Entry]:
    """At most ``limit`` entries of ``source`` whose key is below ``after``, newest first."""
    ident = source.ident
    if not source.numeric and session.get_bind().dialect.name == "postgresql":
        ident = ident.collate("C")  # the order of Python's str (code points), as on SQLite
    query = (
        source.query.where(_below(source, ident, after, bank_zone))
        .order_by(source.at.desc(), ident.desc())
        .limit(limit)
    )
    entries = []
    for row in session.execute(query):
        value = row._mapping["at"]
        entries.append(source.render(row, start_of(value, bank_zone) if source.dated else value))
    return entries


def _below(source: Source, ident: Any, after: Key | None, bank_zone: str) -> ColumnElement[bool]:
    if after is None:
        return true()
    at, kind, last = after
    earlier: ColumnElement[bool]
    same: ColumnElement[bool]
    if source.dated:
        day = local_date(at, bank_zone)
        exact = start_of(day, bank_zone) == at
        earlier = source.at < day if exact else source.at <= day
        same = source.at == day if exact else false()
    else:
        earlier, same = source.at < at, source.at == at
    if source.kind < kind:
        return or_(earlier, same)
    if source.kind > kind:
        return earlier
    tie: ColumnElement[bool] = ident < (int(last) if source.numeric else str(last))
    return or_(earlier, and_(same, tie))


def below(entry: Entry, after: Key | None) -> bool:
    """Whether ``entry`` comes after the key ``after`` in the timeline (for entries made in Python)."""
    return after is None or entry.key < after


def parse_key(at: str, kind: str, ident: str) -> Key:
    """The key a cursor names; ValueError when it is not one."""
    instant = datetime.fromisoformat(at)
    if instant.tzinfo is None or not kind or len(kind) > 40 or len(ident) > 100:
        raise ValueError(at)
    return (instant.astimezone(UTC), kind, ident if kind in TEXT_IDS else int(ident))


TEXT_IDS = frozenset({"payment"})
"""Kinds whose entries are named by a text id (a payment's): every other kind's is an integer."""


CASE_EVENTS = table(
    "case_events",
    column("id", Integer),
    column("case_id", String),
    column("occurred_on", Date),
    column("kind", String),
    column("from_bucket", String),
    column("to_bucket", String),
    column("account_id", String),
    column("as_of", Date),
)
"""The nightly batch's events of a case, by the shape the snapshot engineer's ``case_events``
table has (opened, bucket_changed, cured, closed, reopened, account_joined, account_left)."""


def sorted_page(groups: Sequence[Sequence[Entry]], limit: int) -> list[Entry]:
    """The newest ``limit`` entries of every source's window."""
    merged = [entry for group in groups for entry in group]
    merged.sort(key=lambda entry: entry.key, reverse=True)
    return merged[:limit]
