"""A generated book in the operational database with its snapshots backfilled by the batch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from arrears.batch.orchestrator import dates_between, run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import PaymentFact
from arrears.delinquency.rules import DelinquencyRules
from tests.batch.book import insert_book
from tests.delinquency.portfolios import START, facts_of, generated_book

RULES = DelinquencyRules(materiality={"JPY": 100})
CLOCK = FixedClock(datetime(2024, 6, 1, 2, 0, tzinfo=UTC))
FIRST = START
LAST = START + timedelta(days=45)


def backfilled_book(engine: Engine, accounts: int = 150, seed: int = 5) -> list[PaymentFact]:
    """Insert the book and run the batch from FIRST to LAST; returns the payments."""
    facts, installments, payments = facts_of(generated_book(accounts, seed=seed))
    insert_book(engine, facts, installments, payments)
    duck = DuckDBEngine(memory_limit="1GB", threads=1)
    try:
        run_batch(engine, dates_between(FIRST, LAST), duck, RULES, CLOCK)
    finally:
        duck.close()
    return payments


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]
