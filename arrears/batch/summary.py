"""The batch summary: accounts by bucket with balances, entries, cures, rolls, cases, elapsed time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from arrears.cases.service import CaseChanges
from arrears.delinquency.rules import ROLLS
from arrears.money import format_major

if TYPE_CHECKING:
    from arrears.scoring.batch_step import DayScores


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


def render(summaries: list[DaySummary], console: Console) -> None:
    days = Table(title="Batch 批处理")
    for column in (
        "日期\nas of",
        "账户\naccounts",
        "逾期\ndelinq.",
        "入催\nentries",
        "出催\ncures",
        "新案\nopened",
        "结案\nclosed",
        "秒\ns",
    ):
        days.add_column(column, justify="left" if "as of" in column else "right")
    for day in summaries:
        days.add_row(
            day.as_of.isoformat(),
            f"{day.accounts:,}",
            f"{day.delinquent:,}",
            f"{day.entries:,}",
            f"{day.cures:,}",
            f"{day.cases.opened:,}",
            f"{day.cases.closed:,}",
            f"{day.elapsed_seconds:.2f}",
        )
    console.print(days)
    for day in summaries:
        for note in day.notes:
            console.print(f"[yellow]{day.as_of.isoformat()}: {note}[/]")
    if not summaries:
        return
    last = summaries[-1]
    table = Table(title=f"Accounts by bucket 账龄分布, as of {last.as_of.isoformat()}")
    for column in ("bucket 账龄", "currency 币种", "accounts 户数", "outstanding 余额", "overdue 逾期金额"):
        table.add_column(column, justify="left" if "bucket" in column or "currency" in column else "right")
    for line in last.buckets:
        table.add_row(
            line.bucket,
            line.currency,
            f"{line.accounts:,}",
            format_major(line.outstanding, line.currency),
            format_major(line.overdue, line.currency),
        )
    console.print(table)
    rolls = Table(title="Rolls 迁徙")
    for roll in ROLLS:
        rolls.add_column(roll, justify="right")
    rolls.add_row(*(f"{last.rolls.get(r, 0):,}" for r in ROLLS))
    console.print(rolls)
    _render_scores(summaries, console)
    total = sum(d.elapsed_seconds for d in summaries)
    console.print(f"{len(summaries)} date(s) in {total:.2f} s 共耗时")


def _render_scores(summaries: list[DaySummary], console: Console) -> None:
    """One line when no model was active; else the last date's bands and drift warnings."""
    scored = [d for d in summaries if d.scores is not None]
    if not scored:
        return
    unscored = [d for d in scored if d.scores is not None and d.scores.model is None]
    if unscored:
        purpose = unscored[0].scores.purpose if unscored[0].scores else ""
        console.print(
            f"no active {purpose} model: {len(unscored)} date(s) not scored 无启用的 {purpose} 模型，未评分"
        )
    last = scored[-1].scores
    if last is None or last.model is None:
        return
    bands = "  ".join(f"{band}: {count:,}" for band, count in last.by_band.items())
    console.print(f"Scores 评分 {scored[-1].as_of.isoformat()} ({last.model}), {last.accounts:,} accounts 户")
    console.print(f"  bands 分档  {bands}")
    for warning in last.warnings:
        console.print(f"  [yellow]{warning}[/]")
