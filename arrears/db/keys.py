"""Many keys as one bound value: ``column IN`` a list the database unpacks itself.

A list of values given to ``column.in_(...)`` becomes a bound parameter per value, each coerced
and named by SQLAlchemy every time the statement runs: at the night's 5,000 ids a statement,
compiling cost more than running (docs/strategy.md, "Measures", session 17). Here the list is
one parameter: a JSON array SQLite reads with ``json_each``, an array PostgreSQL reads with
``= ANY``; the statement compiles once and is cached.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Select, String, any_, bindparam, func, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute


def one_of(
    column: InstrumentedAttribute[str] | ColumnElement[str], keys: Collection[str], dialect: str
) -> ColumnElement[bool]:
    """``column`` is one of ``keys`` (text keys), as one bound value on ``dialect``."""
    name = f"keys_{getattr(column, 'key', 'column')}"
    if dialect == "postgresql":
        return column == any_(bindparam(name, list(keys), type_=ARRAY(String)))
    unpacked: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name, json.dumps(list(keys))))
    )
    return column.in_(unpacked.scalar_subquery())
