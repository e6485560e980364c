"""Small pieces routes share: the request's clock and business date, opaque cursors, and the
error responses a route declares in the OpenAPI document.

Cursor pagination: a list answers at most ``limit`` items in a stable order and, when more follow,
``next_cursor``; the client passes it back as ``cursor`` for the next page. A cursor is opaque
(URL-safe base64 of the sort key of the last item given); a cursor this API did not give is
refused (400).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from fastapi import Request

from arrears.api.problems import PROBLEM_JSON, Problem
from arrears.clock import business_today
from arrears.errors import InvalidInputError
from arrears.i18n import N_

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class CursorError(InvalidInputError):
    code = "invalid_cursor"
    default_message = N_("The cursor is not one this API gave: start again without it")


def now(request: Request) -> datetime:
    """The app's clock (never the wall clock directly)."""
    instant: datetime = request.app.state.context.clock.now()
    return instant


def today(request: Request) -> date:
    """Today's business date in the bank's zone, by the app's clock."""
    context = request.app.state.context
    return business_today(context.clock, context.settings.bank_timezone)


def encode_cursor(key: Mapping[str, Any]) -> str:
    raw = json.dumps(dict(key), sort_keys=True, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, *names: str) -> dict[str, Any]:
    """The sort key a cursor holds (each of ``names`` present), else CursorError."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise CursorError() from None
    if not isinstance(key, dict) or any(name not in key for name in names):
        raise CursorError()
    return key


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: each status as a problem document, besides 401 and 422."""
    documented = {401, 422, *statuses}
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}}
        for status in sorted(documented)
    }
