"""Concurrent writers append to one chain: each takes the head in turn, none is lost or doubled."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from arrears.audit.repository import head
from arrears.audit.trail import SYSTEM, ChainMovedError, record
from arrears.audit.verify import verify
from arrears.db import session_factory, transaction
from tests.conftest import DATABASES

AT = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def _write_concurrently(engine: Engine, threads: int, entries: int) -> list[BaseException]:
    """``threads`` writers, each ``entries`` entries in a transaction of its own that reads first."""
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(number: int) -> None:
        start.wait()
        for n in range(entries):
            try:
                with transaction(engine) as session:
                    session.execute(text("SELECT count(*) FROM users")).scalar_one()
                    record(
                        session,
                        SYSTEM,
                        "test.write",
                        at=AT + timedelta(microseconds=n),
                        object_type="writer",
                        object_id=f"{number}-{n}",
                    )
            except BaseException as error:  # every failure is the finding
                failures.append(error)

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


@pytest.mark.parametrize("database_kind", [DATABASES[1]], indirect=True)
def test_many_writers_on_postgresql_leave_one_intact_chain(engine: Engine) -> None:
    failures = _write_concurrently(engine, threads=8, entries=50)
    assert failures == []
    with engine.connect() as connection:
        state = verify(connection)
        written = connection.execute(text("SELECT count(DISTINCT object_id) FROM audit_entries")).scalar()
    assert state.intact and state.entries == 400 and written == 400


@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)
def test_many_writers_on_sqlite_wait_their_turn(engine: Engine) -> None:
    failures = _write_concurrently(engine, threads=4, entries=25)
    assert failures == []  # before the write lock was taken first: UNIQUE constraint failed on seq
    with engine.connect() as connection:
        state = verify(connection)
    assert state.intact and state.entries == 100


@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)
def test_a_sqlite_unit_of_work_that_read_appends_after_another_committed(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as reader, reader.begin():
        reader.execute(text("SELECT count(*) FROM audit_entries")).scalar_one()  # no snapshot kept
        with transaction(engine) as other:
            record(other, SYSTEM, "test.other", at=AT)
        record(reader, SYSTEM, "test.reader", at=AT)
    with engine.connect() as connection:
        assert head(connection) is not None and verify(connection).entries == 2


@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)
def test_a_sqlite_snapshot_older_than_the_head_is_busy_not_a_broken_chain(engine: Engine) -> None:
    sessions = session_factory(engine)
    with pytest.raises(ChainMovedError), sessions() as reader, reader.begin():
        connection = reader.connection()
        connection.exec_driver_sql("BEGIN")  # a deferred transaction opened by hand ...
        connection.exec_driver_sql("SELECT count(*) FROM audit_entries").scalar_one()  # ... that read
        with transaction(engine) as other:
            record(other, SYSTEM, "test.other", at=AT)
        record(reader, SYSTEM, "test.reader", at=AT)
    with transaction(engine) as again:  # the same work run again goes through
        record(again, SYSTEM, "test.reader", at=AT)
    with engine.connect() as connection:
        state = verify(connection)
    assert state.intact and state.entries == 2
