"""Read a SELECT from a SQLite file into an Arrow IPC file, in a process of its own.

The ADBC SQLite driver fills Arrow in C, several times faster than a Python cursor. It links
its own copy of SQLite, and two copies of SQLite must never open the same database in one
process (closing a file in one drops the POSIX locks of the other), so it runs here, in a
child process: ``python -m arrears.batch.sqlite_reader DATABASE OUT.arrow`` with the query on
standard input.
"""

from __future__ import annotations

import sys

import pyarrow as pa


def main(database: str, out: str, sql: str) -> None:
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        reader = cursor.fetch_record_batch()
        with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.stdin.read())
