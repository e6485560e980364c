"""Bulk reads: the ADBC reader process and the Python cursor give the same Arrow tables."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from arrears.db import arrow as bulk
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.portfolio.repository import read_portfolio
from tests.batch.book import insert_book
from tests.delinquency.portfolios import facts_of, generated_book


def test_adbc_reader_and_cursor_read_the_same_portfolio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'arrears.db'}")
    upgrade(engine)
    insert_book(engine, *facts_of(generated_book(300, seed=9)))
    with engine.connect() as connection:
        by_cursor = read_portfolio(connection)
        monkeypatch.setattr(bulk, "ADBC_MIN_ROWS", 0)
        calls: list[str] = []
        original = bulk._fetch_adbc
        monkeypatch.setattr(bulk, "_fetch_adbc", lambda *a: calls.append(a[1]) or original(*a))
        by_adbc = read_portfolio(connection)
    engine.dispose()
    assert len(calls) == 3  # all three tables went through the reader process
    assert by_adbc.payments.column("reverses").null_count < by_adbc.payments.num_rows  # reversals present
    for name in ("accounts", "installments", "payments"):
        assert getattr(by_adbc, name).equals(getattr(by_cursor, name)), name


def test_bound_parameters_read_the_same_rows_by_adbc_and_by_cursor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'arrears.db'}")
    upgrade(engine)
    insert_book(engine, *facts_of(generated_book(300, seed=9)))
    with engine.connect() as connection:
        accounts = sorted(read_portfolio(connection).accounts.column("account_id").to_pylist())
        first, end = accounts[50], accounts[120]
        by_cursor = read_portfolio(connection, first_account=first, end_account=end)
        monkeypatch.setattr(bulk, "ADBC_MIN_ROWS", 0)
        read: list[object] = []
        original = bulk._fetch_adbc

        def through_adbc(*args: Any) -> Any:
            read.append(original(*args))
            return read[-1]

        monkeypatch.setattr(bulk, "_fetch_adbc", through_adbc)
        by_adbc = read_portfolio(connection, first_account=first, end_account=end)
    engine.dispose()
    assert len(read) == 3 and all(table is not None for table in read)  # the reader bound the values
    assert sorted(by_adbc.accounts.column("account_id").to_pylist()) == accounts[50:120]
    for name in ("accounts", "installments", "payments"):
        assert getattr(by_adbc, name).equals(getattr(by_cursor, name)), name


def test_the_cycle_collector_is_paused_inside_and_given_back_as_it_was() -> None:
    assert gc.isenabled()
    with bulk.cyclic_gc_paused():
        assert not gc.isenabled()
        with bulk.cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner pause does not end the outer one
    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk.cyclic_gc_paused():
        raise RuntimeError("a failed read")
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk.cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
