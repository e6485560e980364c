"""Generated feeds import with zero rejects: the committed sample (both databases) and Parquet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from arrears.clock import FixedClock
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.portfolio.importer import ImportOptions, feed_files, import_files
from arrears.portfolio.models import Account, Customer, Installment, Payment
from arrears.sim import FeedFormat, PortfolioSpec, generate_portfolio
from tests.sim.test_sample import SAMPLE

CLOCK = FixedClock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))


def _import_without_rejects(engine: Engine, directory: Path) -> dict[str, int]:
    outcomes = import_files(engine, feed_files([directory]), CLOCK, ImportOptions(imported_by="test"))
    assert len(outcomes) == 5
    for outcome in outcomes:
        assert outcome.error is None and outcome.rejected == 0, (outcome.path, outcome.rejects_path)
        assert outcome.stored == outcome.rows_read > 0
    return {o.kind: o.rows_read for o in outcomes}


def test_the_sample_imports_with_zero_rejects(engine: Engine) -> None:
    read = _import_without_rejects(engine, SAMPLE)
    with engine.connect() as connection:
        for model, kind in [
            (Customer, "customers"),
            (Account, "accounts"),
            (Installment, "installments"),
            (Payment, "payments"),
        ]:
            assert connection.scalar(select(func.count()).select_from(model)) == read[kind]
        jpy = connection.scalars(select(Installment.amount_due).where(Installment.currency == "JPY")).all()
        reversals = connection.scalar(select(func.count()).where(Payment.reverses.is_not(None)))
    assert jpy and reversals


def test_a_generated_parquet_feed_imports_with_zero_rejects(tmp_path: Path) -> None:
    generate_portfolio(PortfolioSpec(400, 9, date(2026, 11, 21)), tmp_path / "feed", FeedFormat.PARQUET)
    engine = make_engine(f"sqlite:///{tmp_path / 'arrears.db'}")
    upgrade(engine)
    _import_without_rejects(engine, tmp_path / "feed")
    engine.dispose()
