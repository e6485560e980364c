"""A form field's text read as a value, or an error naming the field (in the reader's language)."""

from __future__ import annotations

from datetime import date

from arrears.errors import InvalidInputError
from arrears.i18n import N_


def day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(N_("{field}: write a date like 2026-12-31"), field=field) from None


def whole_number(value: str, field: str) -> int:
    text = value.strip()
    if not text.isdigit() or len(text) > 9:
        raise InvalidInputError(N_("{field}: write a whole number"), field=field)
    return int(text)
