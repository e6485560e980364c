"""Read a SELECT from a SQLite file into an Arrow IPC file, in a process of its own.

The ADBC SQLite driver fills Arrow in C, several times faster than a Python cursor. It links
its own copy of SQLite, and two copies of SQLite must never open the same database in one
process (closing a file in one drops the POSIX locks of the other), so it runs here, in a
child process: ``python -m arrears.db.sqlite_reader DATABASE OUT.arrow SCHEMA.arrow`` with
``{"sql": ..., "params": [...]}`` on standard input (the query's positional parameters, bound
by the driver). It casts each batch to the schema (SQLite's ISO date text to dates), so the
parent maps the result without copying it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pyarrow as pa


def main(database: str, out: str, schema_path: str, sql: str, params: list[Any]) -> None:
    """Write the query's rows cast to the schema, batch by batch: the parent maps the file as is."""
    import adbc_driver_sqlite.dbapi as adbc

    with pa.memory_map(schema_path) as source:
        schema = pa.ipc.read_schema(source)
    with adbc.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params or None)
        reader = cursor.fetch_record_batch()
        with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for batch in reader:
                columns = [batch.column(i).cast(field.type) for i, field in enumerate(schema)]
                writer.write_batch(pa.record_batch(columns, schema=schema))


if __name__ == "__main__":
    query = json.loads(sys.stdin.read())
    main(sys.argv[1], sys.argv[2], sys.argv[3], query["sql"], query["params"])
