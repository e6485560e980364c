"""What routes share: cursor paging (page sizes, one cursor encoding for every list), the
request's instant and business date, and the problem documents a route declares in the OpenAPI
document.

Every list (cases, an account's lists, placements, batch runs, audit entries, users) answers at
most ``limit`` items in a stable order and, when more follow, ``next_cursor``; the client passes it
back unchanged as ``cursor``. A cursor is the list's name and the last sort key of a page, as
base64url JSON (:func:`encode_cursor`): opaque to the client. It carries no right to anything: the
next page is read with the caller's scope filter like the first, so a forged cursor only moves
where the list starts; a cursor this API did not make, or made for another list, is
``400 invalid_cursor`` (:func:`decode_cursor`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request

from arrears.api.problems import Problem
from arrears.clock import business_today
from arrears.errors import InvalidInputError
from arrears.i18n import N_

INT32 = 2**31 - 1
"""The range of an integer sort key in a cursor (DPD, ids, sequence numbers are INTEGER columns)."""
INT64 = 2**63 - 1
"""The range of a BIGINT sort key (the audit chain's seq)."""
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Items per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"),
]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="The `next_cursor` of the previous page; none for the first page"),
]


class BigInt(int):
    """In :func:`decode_cursor`'s types: an integer up to :data:`INT64` (plain ``int``: :data:`INT32`)."""


class CursorError(InvalidInputError):
    """A cursor this API did not make (or made for another list)."""

    code = "invalid_cursor"
    default_message = N_("The cursor is not one this API gave: start again without it")


def now(request: Request) -> datetime:
    """The request's instant, from the app's clock."""
    instant: datetime = request.app.state.context.clock.now()
    return instant


def today(request: Request) -> date:
    """The bank's business date now: the date the row scoping compares placements with."""
    context = request.app.state.context
    return business_today(context.clock, context.settings.bank_timezone)


def encode_cursor(kind: str, *key: Any) -> str:
    """An opaque cursor for the list ``kind`` after the sort key ``key`` (JSON scalars)."""
    text = json.dumps([kind, *key], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


Item = TypeVar("Item")


def page_of(
    rows: Sequence[Item], limit: int, kind: str, key: Callable[[Item], tuple[Any, ...]]
) -> tuple[list[Item], str | None]:
    """The first ``limit`` of ``rows`` (read as ``limit + 1``) and the cursor after them when
    more follow: ``key`` gives the last row's sort key as JSON scalars."""
    page = list(rows[:limit])
    return page, encode_cursor(kind, *key(page[-1])) if len(rows) > limit else None


def decode_cursor(cursor: str | None, kind: str, *types: type) -> tuple[Any, ...] | None:
    """The sort key a cursor of the list ``kind`` holds, each part of the given type; None for
    no cursor; :class:`CursorError` for anything else."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        raise CursorError() from None
    if not isinstance(value, list) or len(value) != len(types) + 1 or value[0] != kind:
        raise CursorError()
    parts: list[Any] = []
    for part, wanted in zip(value[1:], types, strict=True):
        if wanted is BigInt:
            if type(part) is not int or abs(part) > INT64:
                raise CursorError()
            parts.append(part)
        elif wanted is date:
            try:
                parts.append(date.fromisoformat(part))
            except (TypeError, ValueError):
                raise CursorError() from None
        elif type(part) is not wanted or (isinstance(part, int) and abs(part) > INT32):
            raise CursorError()
        else:
            parts.append(part)
    return tuple(parts)


_DESCRIPTIONS = {
    400: "The input breaks a rule, or a filter or cursor cannot be used",
    401: "Not signed in (the credential is missing, expired or revoked), or the sign-in was refused",
    403: "The caller's role does not allow this, or the CSRF token is missing or wrong",
    404: "No such object, or not in the caller's scope (the same body either way)",
    409: "Conflicts with the current state (e.g. a stale If-Match)",
    412: "If-Match names a version older than the current one: read it again and retry",
    422: "A malformed request",
    429: "Too many requests (failed sign-ins, reveals over the daily cap): wait Retry-After seconds",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem documents a route answers with, for the OpenAPI document (422, a malformed
    request, is always among them)."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, "A problem"),
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in sorted({*statuses, 422})
    }
