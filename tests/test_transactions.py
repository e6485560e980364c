"""A transaction is whole on SQLite too: work done inside a savepoint (``begin_nested``) is undone
with the transaction, even when the savepoint came before any other write."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from arrears.auth.models import Team
from arrears.db import make_engine
from arrears.db.migrate import upgrade


@pytest.fixture
def sqlite(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    return engine


def _teams(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Team.code)))


def test_a_savepoint_first_is_undone_with_its_transaction(sqlite: Engine) -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError), Session(sqlite) as session, session.begin():
        with session.begin_nested():  # the transaction's first write, in a savepoint
            session.add(Team(code="T1", name="一组", created_at=at))
        session.add(Team(code="T2", name="二组", created_at=at))
        session.flush()
        raise RuntimeError("the work fails after the savepoint was released")
    assert _teams(sqlite) == []
    with Session(sqlite) as session, session.begin(), session.begin_nested():
        session.add(Team(code="T3", name="三组", created_at=at))
    assert _teams(sqlite) == ["T3"]
