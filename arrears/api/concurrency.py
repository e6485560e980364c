"""The ``If-Match`` request header every route that changes a versioned record takes, declared once
(the version it names is read by :func:`arrears.concurrency.parse_if_match`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

IfMatch = Annotated[
    str | None,
    Header(description='The ETag of the version you read ("3"); a stale one is refused (412)'),
]
