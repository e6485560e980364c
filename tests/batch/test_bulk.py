"""Bulk reads: the ADBC reader process and the Python cursor give the same Arrow tables."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select

from arrears.db import UTCDateTime, make_engine
from arrears.db import arrow as bulk
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


def test_instants_written_in_bulk_compare_equal_to_the_same_instants_bound(engine: Engine) -> None:
    """insert_arrow stores an instant as the ORM does (on SQLite the same text), so a comparison at
    the very microsecond holds in both directions, whatever the column's zone."""
    table = Table(
        "bulk_instants", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime())
    )
    table.create(engine)
    east = timezone(timedelta(hours=8))
    instants = [datetime(2026, 12, 8, 1, 0, tzinfo=UTC), datetime(2026, 12, 8, 9, 0, 0, 5, tzinfo=east)]
    column = pa.array(instants, pa.timestamp("us", tz="Asia/Shanghai"))
    with engine.begin() as connection:
        bulk.insert_arrow(connection, "bulk_instants", pa.table({"id": [1, 2], "at": column}))
        connection.execute(insert(table), [{"id": 3, "at": instants[0]}, {"id": 4, "at": instants[1]}])
    with engine.connect() as connection:
        for at in instants:
            same = select(table.c.id).where(table.c.at >= at, table.c.at <= at).order_by(table.c.id)
            assert len(connection.execute(same).all()) == 2, at
        if engine.dialect.name == "sqlite":
            texts = connection.exec_driver_sql("SELECT at FROM bulk_instants ORDER BY id").scalars().all()
            assert texts[:2] == texts[2:] == ["2026-12-08 01:00:00.000000", "2026-12-08 01:00:00.000005"]


def test_a_naive_timestamp_column_is_refused_before_anything_is_written(engine: Engine) -> None:
    table = Table("naive_instants", MetaData(), Column("at", UTCDateTime()))
    table.create(engine)
    naive = pa.table({"at": pa.array([datetime(2026, 12, 8, 1, 0)], pa.timestamp("us"))})  # noqa: DTZ001
    with engine.begin() as connection, pytest.raises(TypeError, match="time zone: \\['at'\\]"):
        bulk.insert_arrow(connection, "naive_instants", naive)
    with engine.connect() as connection:
        assert connection.execute(select(table.c.at)).all() == []


def test_the_cursor_reads_each_column_in_its_schema_type_nulls_kept() -> None:
    """Dates come back from SQLite as text, booleans as integers, a real column may hold an
    integer: each is read in the schema's type, a NULL as a null, across several batches."""
    engine = make_engine("sqlite://")
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("on_day", pa.date32()),
            ("flag", pa.bool_()),
            ("amount", pa.int64()),
            ("ratio", pa.float64()),
        ]
    )
    rows = [
        (
            f"r{i:07d}",
            None if i % 7 == 0 else f"2026-12-{i % 28 + 1:02d}",
            [0, 1, None][i % 3],
            i * 10**9,
            i % 2 or 0.5,
        )
        for i in range(bulk.CHUNK_ROWS + 5)
    ]
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE t (id TEXT, on_day DATE, flag BOOLEAN, amount BIGINT, ratio REAL)"
        )
        connection.exec_driver_sql("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
        read = bulk.read_arrow(
            connection, "SELECT id, on_day, flag, amount, ratio FROM t ORDER BY id", schema
        )
    engine.dispose()
    assert read.schema.equals(schema) and read.num_rows == len(rows)
    assert read.column("on_day").null_count == sum(1 for r in rows if r[1] is None)
    assert read.column("flag").to_pylist()[:4] == [False, True, None, False]
    assert read.column("on_day").to_pylist()[1].isoformat() == "2026-12-02"
    assert read.column("amount").to_pylist()[-1] == rows[-1][3]
    assert read.column("ratio").to_pylist()[:2] == [0.5, 1.0]
