"""The feed's rules over payments posted through the API: the same validation, the same store.

A request's payments go into DuckDB as a payments file's rows would (every value text, rows
numbered from 1 in the request's order) and are validated by the importer's own validator
(:func:`arrears.portfolio.validation.validate`: fields, references, reversals and their
finality, account totals) against the stored accounts and payments. Two rules are the API's
own, because a file has neither: the ``currency`` the core system names must be the account's,
and a payment posted as it happens cannot be dated after the bank's business today.

Good payments are stored by the importer's loader (:func:`arrears.portfolio.loading.store`)
under an ``import_log`` entry of their own (kind ``payments``, file name ``api:<request id>``),
stamped on the rows as an imported file's are: the batch store reads the rows of every import it
has not applied yet, so the next night picks the posted payments up exactly once; a feed that
carries the same payment later finds it stored and equal, and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime

import duckdb
import pyarrow as pa
from sqlalchemy import Connection

from arrears.i18n import N_, translate
from arrears.portfolio.feeds import PAYMENTS
from arrears.portfolio.loading import store
from arrears.portfolio.models import ImportStatus
from arrears.portfolio.reading import ROW_NUMBER
from arrears.portfolio.references import register_references
from arrears.portfolio.repository import insert_import_log, update_import_log
from arrears.portfolio.validation import register_code_lists, validate

RAW = "raw"
FILE_PREFIX = "api:"


@dataclass(frozen=True)
class Posted:
    """One payment as the core system posted it: text, as a feed row carries it."""

    payment_id: str
    account_id: str
    paid_on: str
    currency: str
    amount: str
    channel: str | None = None
    reverses: str | None = None


@dataclass(frozen=True)
class Fault:
    """Why one posted payment cannot be stored: its position in the request, the field, the reason."""

    index: int
    field: str
    reason: str


def check(
    db: duckdb.DuckDBPyConnection,
    connection: Connection,
    posted: Sequence[Posted],
    *,
    today: date,
    language: str,
) -> list[Fault]:
    """Every fault of ``posted`` validated as a payments file, by position and field (none: all
    may be stored); leaves DuckDB table ``good`` for :func:`store_good`."""
    register_code_lists(db)
    _load_raw(db, posted)
    register_references(db, connection, PAYMENTS, RAW)
    validate(db, PAYMENTS, RAW, [], language)
    faults = [
        Fault(int(row) - 1, str(column), str(reason))
        for row, column, reason in db.execute(
            'SELECT "row", "column", reason FROM rejects ORDER BY "row", "column"'
        ).fetchall()
    ]
    good = db.execute(f"SELECT {ROW_NUMBER}, currency, paid_on FROM good").fetchall()
    for row, currency, paid_on in good:
        faults.extend(_own_faults(posted[int(row) - 1], int(row) - 1, currency, paid_on, today, language))
    return sorted(faults, key=lambda fault: (fault.index, fault.field))


def _own_faults(
    payment: Posted, index: int, currency: str, paid_on: date, today: date, language: str
) -> list[Fault]:
    """The API's own rules, for a payment the feed's rules let through."""
    found = []
    if payment.currency.strip().upper() != currency:
        reason = translate(
            N_("currency '{given}' is not the currency of account {account_id} ({currency})"),
            language,
            given=payment.currency[:8],
            account_id=payment.account_id.strip(),
            currency=currency,
        )
        found.append(Fault(index, "currency", reason))
    if paid_on > today:
        reason = translate(
            N_("paid_on {paid_on} is after the bank's business today ({today})"),
            language,
            paid_on=paid_on.isoformat(),
            today=today.isoformat(),
        )
        found.append(Fault(index, "paid_on", reason))
    return found


def _load_raw(db: duckdb.DuckDBPyConnection, posted: Sequence[Posted]) -> None:
    columns = PAYMENTS.column_names
    values = {name: pa.array([getattr(p, name) for p in posted], pa.string()) for name in columns}
    table = pa.table({ROW_NUMBER: pa.array(range(1, len(posted) + 1), pa.int64()), **values})
    db.register("_posted", table)
    db.execute(f'CREATE OR REPLACE TABLE "{RAW}" AS SELECT * FROM _posted')
    db.unregister("_posted")


def store_good(
    db: duckdb.DuckDBPyConnection,
    connection: Connection,
    posted: Sequence[Posted],
    *,
    request_id: str | None,
    posted_by: str,
    now: datetime,
) -> int:
    """Store DuckDB table ``good`` under a new ``import_log`` entry; answers the entry's id."""
    log = {
        "kind": PAYMENTS.name,
        "file_name": f"{FILE_PREFIX}{request_id or now.isoformat()}"[:500],
        "checksum": _checksum(posted),
        "status": ImportStatus.RUNNING.value,
        "rows_read": len(posted),
        "started_at": now,
        "finished_at": now,
        "imported_by": posted_by[:100],
    }
    import_id = insert_import_log(connection, log)
    counts = store(connection, PAYMENTS, db, import_id)
    update_import_log(
        connection,
        import_id,
        {
            "status": ImportStatus.STORED.value,
            "rows_stored": counts.stored,
            "rows_updated": counts.updated,
            "rows_unchanged": counts.unchanged,
        },
    )
    return import_id


def _checksum(posted: Sequence[Posted]) -> str:
    """SHA-256 of the posted payments, as a file's checksum is of its bytes."""
    text = json.dumps([asdict(p) for p in posted], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
