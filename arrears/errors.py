"""One hierarchy of domain errors, each with a stable code, an HTTP status, a CLI exit status and
a message in every language of the catalogue.

Raise the most specific class with a marked message and its parameters::

    raise RulesError(N_("{file}, line {line}: {key} is not a known key"), file=..., line=..., key=...)

The CLI renders every :class:`ArrearsError` in one place (``arrears.cli``), the API as an RFC 9457
problem document; neither prints a traceback for them. Anything else escaping is a bug.

Exit statuses: 2 the input or the settings are wrong (fix them and run again); 3 the command met a
conflict or a busy resource (wait or resolve it); 4 refused by permission; 5 a required service is
unavailable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from arrears.i18n import N_, Spoken, Text, both, translate

MAX_ECHO = 200
"""Characters of a user's value an error message repeats, at most."""


def echo(value: object, limit: int = MAX_ECHO) -> str:
    """A value as an error message may repeat it: cut to ``limit`` characters, marked when cut with
    how many more there were ("…(+99800)": no word, so it reads the same in every language;
    the feed check's ``echo_text`` macro writes the same)."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit})"


class ArrearsError(Spoken, Exception):
    """The root of every error Arrears raises on purpose."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1
    default_message: ClassVar[str] = N_("Arrears could not complete the request")

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        self.template = message or type(self).default_message
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str) -> str:
        """The message in ``language`` (zh-CN or en), its named placeholders filled in."""
        return translate(self.template, language, **self.params)

    def messages(self) -> dict[str, str]:
        """The message in every language, keyed by language tag."""
        return both(self.template, **self.params)


class InvalidInputError(ArrearsError, ValueError):
    """A value, an option or a payload the caller gave cannot be used."""

    code = "invalid_input"
    http_status = 400
    exit_code = 2
    default_message = N_("The input is not valid")


class InvalidFileError(InvalidInputError):
    """A file the caller named (a feed, a rules file, a pack, a policy, scenarios) cannot be used."""

    code = "invalid_file"
    default_message = N_("The file cannot be used")


class ConfigurationError(ArrearsError, ValueError):
    """A setting (``ARREARS_*``) is missing or wrong."""

    code = "configuration"
    http_status = 500
    exit_code = 2
    default_message = N_("The configuration is not valid")


class NotFoundError(ArrearsError, LookupError):
    """The object asked for does not exist (or is not visible to the caller)."""

    code = "not_found"
    http_status = 404
    exit_code = 2
    default_message = N_("Not found")


class ConflictError(ArrearsError):
    """The request contradicts the state of the data (a stale write, a final record, a rule)."""

    code = "conflict"
    http_status = 409
    exit_code = 3
    default_message = N_("The request conflicts with the current state")


class PreconditionFailedError(ConflictError):
    """The caller's precondition (If-Match: the version they read) no longer holds."""

    code = "precondition_failed"
    http_status = 412
    default_message = N_("The record changed since you read it: read it again and retry")


class BusyError(ConflictError):
    """A resource is held by another run; the same request succeeds once it is released."""

    code = "busy"
    http_status = 423
    default_message = N_("Another run holds this resource; try again when it has finished")


class PermissionDeniedError(ArrearsError):
    """The caller's role does not allow this."""

    code = "permission_denied"
    http_status = 403
    exit_code = 4
    default_message = N_("You are not allowed to do this")


class UnavailableError(ArrearsError):
    """A service Arrears needs (the database, the batch store) cannot be used right now."""

    code = "unavailable"
    http_status = 503
    exit_code = 5
    default_message = N_("A service Arrears needs is not available")


def one_of(value: str, valid: Iterable[str], option: str) -> str:
    """``value`` if it is one of ``valid``, else an :class:`InvalidInputError` listing them."""
    known = list(valid)
    if value not in known:
        raise InvalidInputError(
            N_("{option} must be one of {valid}, not {value}"),
            option=option,
            valid=", ".join(known),
            value=repr(echo(value)),
        )
    return value


# pydantic's messages for what people type most often wrong, in the reader's language (the API's
# answers and the files' errors alike); any other keeps pydantic's English words
VALIDATION_MESSAGES = {
    "missing": N_("is required"),
    "string_too_long": N_("has at most {max_length} characters"),
    "string_too_short": N_("has at least {min_length} characters"),
    "too_long": N_("has at most {max_length} items"),
    "too_short": N_("has at least {min_length} items"),
    "int_parsing": N_("is not a whole number"),
    "int_from_float": N_("is not a whole number"),
    "int_parsing_size": N_("is a number too long to read"),
    "float_parsing": N_("is not a number"),
    "bool_parsing": N_("is not true or false"),
    "decimal_parsing": N_("is not a decimal number"),
    "date_from_datetime_parsing": N_("is not a date like 2026-12-31"),
    "date_parsing": N_("is not a date like 2026-12-31"),
    "datetime_parsing": N_("is not a time like 2026-12-31T14:30:00+08:00"),
    "datetime_from_date_parsing": N_("is not a time like 2026-12-31T14:30:00+08:00"),
    "enum": N_("is not one of {expected}"),
    "literal_error": N_("is not one of {expected}"),
    "greater_than_equal": N_("is at least {ge}"),
    "less_than_equal": N_("is at most {le}"),
    "greater_than": N_("is more than {gt}"),
    "less_than": N_("is less than {lt}"),
    "string_pattern_mismatch": N_("does not have the expected form ({pattern})"),
    "transcript_too_long": N_(
        "the turns hold {total} characters in all, more than a transcript may ({maximum})"
    ),
}


def validation_message(item: Mapping[str, Any]) -> Text | None:
    """A pydantic error's message in words of ours, or None where pydantic's own are kept."""
    template = VALIDATION_MESSAGES.get(str(item.get("type")))
    if template is None:
        return None
    return Text.of(template, **{k: str(v) for k, v in (item.get("ctx") or {}).items()})
