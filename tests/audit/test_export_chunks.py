"""The export's pieces join into one CSV or JSON document whatever the number of entries."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from arrears.audit.export import ROWS_PER_CHUNK, csv_chunks, json_chunks
from arrears.audit.repository import COLUMN_NAMES

AT = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


def _rows(count: int) -> list[tuple[object, ...]]:
    return [
        tuple(
            n if name == "seq" else AT if name == "at" else None if name == "reason" else f"-{name}{n}"
            for name in COLUMN_NAMES
        )
        for n in range(1, count + 1)
    ]


def test_pieces_join_into_one_document_for_none_one_and_many_chunks() -> None:
    for count in (0, 1, ROWS_PER_CHUNK, 2 * ROWS_PER_CHUNK + 3):
        pieces = list(csv_chunks(_rows(count)))
        assert len(pieces) == count // ROWS_PER_CHUNK + 1
        table = list(csv.DictReader(io.StringIO("".join(pieces))))
        assert [int(r["seq"]) for r in table] == list(range(1, count + 1))
        if count:
            assert table[0]["action"] == "'-action1" and table[0]["reason"] == ""  # neutralised; null empty
            assert table[0]["at"] == "2026-11-01T01:00:00.000000+00:00"
        document = json.loads("".join(json_chunks(_rows(count), {"from": "2026-11-01", "to": None})))
        assert document["count"] == count and document["from"] == "2026-11-01" and document["to"] is None
        assert [e["seq"] for e in document["entries"]] == list(range(1, count + 1))
        if count:
            assert document["entries"][0]["action"] == "-action1" and document["entries"][0]["reason"] is None
