"""The batch summary: accounts by bucket with balances, entries, cures, rolls, cases, elapsed time.

Values only; the command line draws them (``arrears.batch.cli``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from arrears.audit.verify import ChainState
from arrears.cases.service import CaseChanges
from arrears.delinquency.rules import ROLLS

if TYPE_CHECKING:
    from arrears.scoring.batch_scorer import DayScores


@dataclass(frozen=True, slots=True)
class BucketLine:
    bucket: str
    currency: str
    accounts: int
    outstanding: int
    overdue: int


@dataclass(slots=True)
class DaySummary:
    as_of: date
    accounts: int
    delinquent: int
    entries: int
    cures: int
    rolls: dict[str, int]
    buckets: list[BucketLine]
    cases: CaseChanges
    elapsed_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    scores: DayScores | None = None
    audit: ChainState | None = None
    """The audit trail verified after the run's last date (on the last summary only)."""


def summarize(snapshot: pa.Table) -> tuple[int, int, int, int, dict[str, int], list[BucketLine]]:
    """Accounts, delinquent, entries (current or new -> delinquent), cures, rolls and bucket lines."""
    con = duckdb.connect()
    try:
        con.register(
            "snapshot",
            snapshot.select(
                [
                    "bucket",
                    "bucket_rank",
                    "previous_rank",
                    "currency",
                    "overdue_amount",
                    "outstanding_amount",
                    "roll",
                ]
            ),
        )
        totals = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE bucket_rank > 0), "
            "count(*) FILTER (WHERE bucket_rank > 0 AND coalesce(previous_rank, 0) = 0), "
            "count(*) FILTER (WHERE roll = 'cured') FROM snapshot"
        ).fetchone()
        rolls = dict(con.execute("SELECT roll, count(*) FROM snapshot GROUP BY roll").fetchall())
        lines = con.execute(
            "SELECT bucket, currency, count(*), CAST(sum(outstanding_amount) AS BIGINT), "
            "CAST(sum(overdue_amount) AS BIGINT) FROM snapshot "
            "GROUP BY bucket, bucket_rank, currency ORDER BY bucket_rank, currency"
        ).fetchall()
    finally:
        con.close()
    assert totals is not None
    accounts, delinquent, entries, cures = (int(v) for v in totals)
    return (
        accounts,
        delinquent,
        entries,
        cures,
        {roll: int(rolls.get(roll, 0)) for roll in ROLLS},
        [BucketLine(str(b), str(c), int(n), int(o), int(d)) for b, c, n, o, d in lines],
    )
