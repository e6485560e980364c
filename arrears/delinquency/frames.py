"""Columnar frames the engines return: the snapshot (Arrow), one schema declared here once.

The portfolio the engines read is :class:`arrears.portfolio.frames.PortfolioFrames`. Every
reader of stored snapshots (the batch's roll base, the export, scoring's history) takes its
columns from ``SNAPSHOT_SCHEMA`` (``arrears.db.arrow.columns_of`` picks a part).
"""

from __future__ import annotations

import pyarrow as pa

SNAPSHOT_SCHEMA = pa.schema(
    [
        ("as_of", pa.date32()),
        ("account_id", pa.string()),
        ("customer_id", pa.string()),
        ("currency", pa.string()),
        ("status", pa.string()),
        ("dpd", pa.int32()),
        ("bucket", pa.string()),
        ("bucket_rank", pa.int32()),
        ("overdue_amount", pa.int64()),
        ("outstanding_amount", pa.int64()),
        ("roll", pa.string()),
        ("previous_rank", pa.int32()),
    ]
)
PREVIOUS_SCHEMA = pa.schema([SNAPSHOT_SCHEMA.field("account_id"), SNAPSHOT_SCHEMA.field("bucket")])
"""The previous date's buckets the roll compares with."""


def empty_previous() -> pa.Table:
    return PREVIOUS_SCHEMA.empty_table()
