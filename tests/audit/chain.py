"""Helpers of the audit tests: a chain of entries, and tampering with it directly in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, TextClause, bindparam, select, text

from arrears.audit.repository import COLUMN_NAMES, COLUMNS
from arrears.audit.trail import SYSTEM, Actor, entry_hash, record
from arrears.db import UTCDateTime, transaction

START = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
"""The first entry's time: 09:00 on 1 November in Shanghai; each next entry six hours later."""
CUSTOMERS = ("C001", "C002", "C003")
AUDITOR = Actor(user_id=7, name="ann", role="auditor", request_id="req-1", client="127.0.0.1")


def fill(engine: Engine, count: int, *, first: int = 0) -> None:
    """``count`` entries, one transaction each, for customers C001..C003 in turn."""
    for n in range(first, first + count):
        with transaction(engine) as session:
            record(
                session,
                AUDITOR if n % 2 else SYSTEM,
                "case.assign" if n % 3 else "personal.reveal",
                at=START + timedelta(hours=6 * n),
                object_type="case",
                object_id=f"K{n:04d}",
                customer_id=CUSTOMERS[n % 3],
                before={"team": n, "phone": "138****5678"},
                after={"team": n + 1, "when": START},
                reason='=HYPERLINK("http://x")' if n == 4 else None,
                rules=["R1", "R2"] if n % 5 == 0 else None,
            )


def rows(engine: Engine) -> dict[int, dict[str, Any]]:
    """Every entry by seq, as the database holds it."""
    with engine.connect() as connection:
        found = connection.execute(select(*COLUMNS).order_by(COLUMNS[0]))
        return {int(row[0]): dict(zip(COLUMN_NAMES, row, strict=True)) for row in found}


def _typed(statement: str) -> TextClause:
    return text(statement).bindparams(bindparam("at", type_=UTCDateTime()))


def put(engine: Engine, values: dict[str, Any], *, seq: int | None = None) -> None:
    """Overwrite entry ``seq`` (default: values' own seq) with ``values``, every column but seq."""
    names = [name for name in COLUMN_NAMES if name != "seq"]
    assignments = ", ".join(f'"{name}" = :{name}' for name in names)
    with engine.begin() as connection:
        connection.execute(
            _typed(f"UPDATE audit_entries SET {assignments} WHERE seq = :target"),
            {**{name: values[name] for name in names}, "target": seq if seq is not None else values["seq"]},
        )


def insert(engine: Engine, values: dict[str, Any]) -> None:
    names = ", ".join(f'"{name}"' for name in COLUMN_NAMES)
    marks = ", ".join(f":{name}" for name in COLUMN_NAMES)
    with engine.begin() as connection:
        connection.execute(_typed(f"INSERT INTO audit_entries ({names}) VALUES ({marks})"), values)


def shift(engine: Engine, from_seq: int, by: int) -> None:
    """Renumber the entries from ``from_seq`` on by ``by`` (through negative numbers, so that the
    primary key never holds two at once)."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET seq = -seq WHERE seq >= :s"), {"s": from_seq})
        connection.execute(text("UPDATE audit_entries SET seq = -seq + :by WHERE seq < 0"), {"by": by})


def rehashed(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "hash": entry_hash(values)}
