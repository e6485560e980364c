"""The nightly batch verifies the audit trail and says so in its summary."""

from __future__ import annotations

from datetime import timedelta

from rich.console import Console
from sqlalchemy import Engine, text

from arrears.audit.verify import Break, BreakKind
from arrears.batch.cli import render
from arrears.batch.orchestrator import run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from tests.audit.chain import fill, rows
from tests.batch.book import insert_book
from tests.delinquency.portfolios import START, facts_of, generated_book


def shown(summaries: list, language: str) -> str:  # type: ignore[type-arg]
    console = Console(record=True, width=200)
    render(summaries, console, language)
    return " ".join(console.export_text().split())


def test_the_summary_shows_the_trail_intact_then_its_first_break(
    engine: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    insert_book(engine, *facts_of(generated_book(20, seed=5)))
    fill(engine, 5)
    day = START + timedelta(days=40)
    summaries = run_batch(engine, [day, day + timedelta(days=1)], duck, DelinquencyRules(), clock)
    head = rows(engine)[5]["hash"]
    last = summaries[-1].audit
    assert last is not None and last.intact and (last.entries, last.head_hash) == (5, head)
    assert summaries[0].audit is None  # once a run, after its last date
    assert f"Audit trail intact: 5 entries, head 5:{head}" in shown(summaries, "en")
    assert f"审计记录完好：5 条，链头 5:{head}" in shown(summaries, "zh-CN")

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
    summaries = run_batch(engine, [day + timedelta(days=2)], duck, DelinquencyRules(), clock)
    state = summaries[-1].audit
    assert state is not None and state.broken == Break(2, BreakKind.REMOVED)
    assert "broken at entry 2 (removed)" in shown(summaries, "en")
    assert "第 2 条处断裂（removed" in shown(summaries, "zh-CN")


def test_an_empty_trail_is_said_to_be_empty(engine: Engine, duck: DuckDBEngine, clock: FixedClock) -> None:
    insert_book(engine, *facts_of(generated_book(5, seed=3)))
    summaries = run_batch(engine, [START + timedelta(days=40)], duck, DelinquencyRules(), clock)
    assert "Audit trail empty: nothing recorded yet" in shown(summaries, "en")
    assert "head" not in shown(summaries, "en").split("Audit trail")[1]
    assert "审计记录为空：尚无记录" in shown(summaries, "zh-CN")
