"""The application's PostgreSQL role may read and append to the audit trail, never change it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from arrears.audit import grants
from arrears.audit.trail import SYSTEM, record
from arrears.audit.verify import verify
from arrears.errors import InvalidInputError
from tests.audit.chain import fill
from tests.conftest import DATABASES

POSTGRES = [DATABASES[1]]


@pytest.fixture
def role(engine: Engine) -> Iterator[str]:
    name = f"arrears_app_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{name}" NOLOGIN'))
    yield name
    with engine.begin() as connection:
        connection.execute(text(f'DROP OWNED BY "{name}"'))
        connection.execute(text(f'DROP ROLE "{name}"'))


def _refused(connection: Connection, statement: str) -> str:
    with pytest.raises(ProgrammingError) as refused, connection.begin_nested():
        connection.execute(text(statement))
    return str(refused.value.orig)


@pytest.mark.parametrize("database_kind", POSTGRES, indirect=True)
def test_the_application_role_appends_but_cannot_update_or_delete(engine: Engine, role: str) -> None:
    fill(engine, 3)
    with engine.begin() as connection:
        statements = grants.grant_statements(connection, role)
        grants.apply(connection, statements)
    assert any("GRANT SELECT, INSERT ON" in s and "audit_entries" in s for s in statements)
    assert not any("UPDATE" in s and "audit_entries" in s and s.startswith("GRANT") for s in statements)
    with engine.connect() as connection:
        connection.execute(text(f'SET LOCAL ROLE "{role}"'))  # until this transaction ends
        with Session(bind=connection) as session:  # INSERT through record(), as the application does
            record(session, SYSTEM, "test.as_app", at=datetime(2026, 11, 21, tzinfo=UTC))
            session.flush()
        assert connection.execute(text("SELECT count(*) FROM audit_entries")).scalar() == 4
        connection.execute(text("SELECT count(*) FROM users")).scalar()
        connection.execute(text("UPDATE users SET active = active"))  # the other tables: read-write
        for statement in (
            "UPDATE audit_entries SET reason = 'tidied' WHERE seq = 2",
            "DELETE FROM audit_entries WHERE seq = 2",
            "TRUNCATE audit_entries",
            "CREATE TABLE smuggled (x int)",
        ):
            assert "permission denied" in _refused(connection, statement), statement
        assert connection.execute(text("SELECT current_user")).scalar() == role
        connection.commit()
    with engine.connect() as connection:
        assert verify(connection).entries == 4


@pytest.mark.parametrize("database_kind", POSTGRES, indirect=True)
def test_a_role_name_that_is_not_one_is_refused(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(InvalidInputError):
        grants.grant_statements(connection, 'app"; DROP TABLE users; --')


@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)
def test_sqlite_has_no_grants(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(InvalidInputError):
        grants.grant_statements(connection, "app")
