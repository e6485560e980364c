"""The PostgreSQL privileges of the role the application runs as (docs/audit.md).

Two roles: the owner, which owns the schema and its tables and runs ``arrears db upgrade``; and
the application's role, which reads and writes the operational tables but may only read and
append to the audit trail: SELECT and INSERT on ``audit_entries``, no UPDATE, DELETE or
TRUNCATE. The statements cover the tables of the current schema as they are now; run them again
(as the owner) after every upgrade, since a new table has no grants of its own.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

from arrears.audit import repository
from arrears.audit.models import AuditEntry
from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_

AUDIT_TABLE = AuditEntry.__tablename__
READ_ONLY_TABLES = frozenset({"alembic_version"})
"""Read by the application (the schema check), written only by the owner's migrations."""
ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")


def grant_statements(connection: Connection, role: str) -> list[str]:
    """The REVOKE and GRANT statements that give ``role`` what the application needs, for the
    connection's current schema."""
    if connection.dialect.name != "postgresql":
        raise InvalidInputError(
            N_("Grants are PostgreSQL's: this database ({dialect}) has no roles"),
            dialect=connection.dialect.name,
        )
    if not ROLE_NAME.fullmatch(role):
        raise InvalidInputError(
            N_("{role} is not a role name: letters, digits and _ only, at most 63"), role=repr(echo(role))
        )
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(repository.current_schema(connection))
    who = quote(role)
    tables = repository.table_names(connection)

    def qualified(names: list[str]) -> str:
        return ", ".join(f"{schema}.{quote(name)}" for name in names)

    writable = [name for name in tables if name != AUDIT_TABLE and name not in READ_ONLY_TABLES]
    read_only = [name for name in tables if name in READ_ONLY_TABLES]
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
    ]
    if writable:
        statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {qualified(writable)} TO {who}")
    if read_only:
        statements.append(f"GRANT SELECT ON {qualified(read_only)} TO {who}")
    if AUDIT_TABLE in tables:
        statements.append(f"GRANT SELECT, INSERT ON {qualified([AUDIT_TABLE])} TO {who}")
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {qualified([AUDIT_TABLE])} FROM {who}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}")
    return statements


def apply(connection: Connection, statements: list[str]) -> None:
    """Run the statements in the caller's transaction (connected as the owner of the tables)."""
    repository.run_statements(connection, statements)
