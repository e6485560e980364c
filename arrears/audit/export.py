"""What a regulator asks for: every entry of a date range (and of one customer), with its hash,
as CSV or JSON, streamed; and the export itself on the record.

The entries go out as they are stored and hashed: the before and after values were masked by
the callers of :func:`~arrears.audit.trail.record`, and nothing here unmasks them. The JSON
carries each field exactly, so each entry's hash can be recomputed from it
(:func:`~arrears.audit.trail.entry_hash`); in the CSV a text cell a spreadsheet would run as a
formula gets a quote in front (:mod:`arrears.spreadsheet`), so recompute hashes from the JSON.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from arrears.audit import repository
from arrears.audit.repository import COLUMN_NAMES, EntryFilter
from arrears.audit.trail import Actor, record
from arrears.clock import zone
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.spreadsheet import neutralise

EXPORT_ACTION = "audit.export"
ROWS_PER_CHUNK = 500
"""Entries rendered into one piece of the stream."""


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


MEDIA_TYPES: Mapping[ExportFormat, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
}


def day_bounds(
    first: date | None, last: date | None, zone_name: str
) -> tuple[datetime | None, datetime | None]:
    """The instants [start, end) of the bank's days ``first`` to ``last`` inclusive, in its zone."""
    if first is not None and last is not None and last < first:
        raise InvalidInputError(
            N_("--to {last} is before --from {first}"), first=first.isoformat(), last=last.isoformat()
        )
    bank = zone(zone_name)
    start = datetime.combine(first, time(), bank) if first is not None else None
    end = datetime.combine(last + timedelta(days=1), time(), bank) if last is not None else None
    return start, end


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return neutralise(str(value))


def csv_chunks(rows: Iterable[Any]) -> Iterator[str]:
    """The entries as CSV text, a header first, in pieces of :data:`ROWS_PER_CHUNK` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    pending = 0
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        pending += 1
        if pending >= ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def json_chunks(rows: Iterable[Any], about: Mapping[str, Any]) -> Iterator[str]:
    """The entries as one JSON document: ``about`` (the range asked for), then ``entries``, each
    with every field as stored and hashed, then ``count``."""
    head = json.dumps(dict(about), ensure_ascii=False, sort_keys=True)
    yield head[:-1] + (', "entries": [' if len(head) > 2 else '"entries": [')
    count = 0
    pending: list[str] = []
    for row in rows:
        entry = {name: _plain(value) for name, value in zip(COLUMN_NAMES, row, strict=True)}
        pending.append(("\n" if count == 0 else ",\n") + json.dumps(entry, ensure_ascii=False))
        count += 1
        if len(pending) >= ROWS_PER_CHUNK:
            yield "".join(pending)
            pending.clear()
    yield "".join(pending)
    yield f'\n], "count": {count}}}\n'


def about(where: EntryFilter, first: date | None, last: date | None, fmt: ExportFormat) -> dict[str, Any]:
    """What an export covers, as its JSON head and its audit entry say it."""
    return {
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        "customer_id": where.customer_id,
        "format": str(fmt),
    }


def _pieces(rows: Iterable[Any], fmt: ExportFormat, head: Mapping[str, Any]) -> Iterator[str]:
    return csv_chunks(rows) if fmt is ExportFormat.CSV else json_chunks(rows, head)


def stream(
    connection: Connection, where: EntryFilter, fmt: ExportFormat, head: Mapping[str, Any]
) -> Iterator[str]:
    """The export's text, piece by piece, read through one streamed query."""
    with repository.entries(connection, where) as rows:
        yield from _pieces(rows, fmt, head)


@dataclass(frozen=True)
class Exported:
    path: Path
    entries: int
    sha256: str


def write(
    connection: Connection, where: EntryFilter, fmt: ExportFormat, head: Mapping[str, Any], out: Path
) -> Exported:
    """Write the export to ``out``, streaming; how many entries, and the file's SHA-256."""
    digest = hashlib.sha256()
    entries = 0

    def counted(rows: Iterable[Any]) -> Iterator[Any]:
        nonlocal entries
        for row in rows:
            entries += 1
            yield row

    with repository.entries(connection, where) as rows, out.open("w", encoding="utf-8", newline="") as file:
        for piece in _pieces(counted(rows), fmt, head):
            file.write(piece)
            digest.update(piece.encode("utf-8"))
    return Exported(out, entries, digest.hexdigest())


def record_export(
    session: Session,
    actor: Actor,
    *,
    at: datetime,
    head: Mapping[str, Any],
    exported: Exported | None = None,
) -> None:
    """Put the export on the record: what it covered, and (for a file) how many entries and its hash."""
    after = dict(head)
    if exported is not None:
        after.update(entries=exported.entries, sha256=exported.sha256)
    record(
        session,
        actor,
        EXPORT_ACTION,
        at=at,
        object_type="audit_trail",
        customer_id=head.get("customer_id"),
        after=after,
    )
