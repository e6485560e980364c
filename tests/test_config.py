"""Settings that are derived, not just read: where the batch store lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.config import Settings, batch_store_path


@pytest.mark.parametrize(
    ("database_url", "batch_store", "expected"),
    [
        ("sqlite:///arrears.db", None, Path("arrears.db.batch.duckdb")),
        ("sqlite:////var/lib/arrears/main.db", None, Path("/var/lib/arrears/main.db.batch.duckdb")),
        ("sqlite:///:memory:", None, None),
        ("postgresql://bank@db/arrears", None, None),
        ("postgresql://bank@db/arrears", "/data/batch.duckdb", Path("/data/batch.duckdb")),
        ("sqlite:///arrears.db", "none", None),
        ("sqlite:///arrears.db", "NONE", None),
    ],
)
def test_the_batch_store_sits_beside_a_sqlite_file_unless_set(
    database_url: str, batch_store: str | None, expected: Path | None
) -> None:
    settings = Settings(database_url=database_url, batch_store=batch_store)
    assert batch_store_path(settings) == expected
