"""Optimistic concurrency: no lost update on any record people edit.

Every mutable record of case work carries a ``version`` (an integer, 1 when written, one more on
each change). SQLAlchemy checks it on every UPDATE (``version_id_col``: the statement names the
version read, so of two writers racing on one row the second updates nothing and fails), and a
caller who states the version they read (``If-Match: "3"`` over HTTP, :func:`check_version` in the
service) is refused with 412 when the record has moved on since.

Use it in a model::

    class Promise(Versioned, Base):
        __tablename__ = "promises"
        ...

and in a service, before changing the row: ``check_version(promise, expected, N_("promise"))``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from arrears.errors import ConflictError, InvalidInputError, PreconditionFailedError
from arrears.i18n import N_, Text


class Versioned:
    """A mixin: a ``version`` column that SQLAlchemy checks and increments on every UPDATE."""

    version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, comment="1 when written, one more on each change"
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (a declared attribute)
        return {"version_id_col": cls.version}


class LostRaceError(ConflictError):
    """Two people changed the same record at the same moment; this one came second (the API
    answers SQLAlchemy's ``StaleDataError`` with it)."""

    code = "edit_conflict"
    default_message = N_("Someone else changed this record at the same moment: read it again and retry")


def etag(version: int) -> str:
    """The ETag of a record's version, as ``If-Match`` names it back: ``"3"``."""
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"`` or ``3``); None for no header
    or ``*``. Anything else is refused with a message naming the header."""
    if header is None or header.strip() in ("", "*"):
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit() and 0 < len(tag) <= 9 and int(tag) > 0):
        raise InvalidInputError(
            N_('If-Match names a version by its ETag, such as "3"; {value} is not one'),
            value=repr(header[:40]),
        )
    return int(tag)


def check_version(record: Versioned, expected: int | None, what: str, ident: object) -> None:
    """Refuse (412) when the caller read an earlier version of ``record`` than the current one.

    ``what`` is a marked noun (``N_("promise")``) and ``ident`` the record's id, for the message."""
    if expected is not None and expected != record.version:
        raise PreconditionFailedError(
            N_("{what} {id} is at version {current}, not {expected}: read it again and retry"),
            what=Text.of(what),
            id=str(ident),
            current=record.version,
            expected=expected,
        )
