"""What the writes of holds, disputes and complaints share: the free texts they keep (checked,
with anything shaped like a phone, e-mail or national id masked before it is stored: these texts
reach the audit trail and its exports), and the audit entry of each change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from arrears.audit.trail import record
from arrears.auth.masking import scrub
from arrears.auth.principal import Principal
from arrears.cases.work import checked_reason
from arrears.errors import InvalidInputError
from arrears.i18n import N_, Text

MIN_TEXT = 8
"""Characters a description, a resolution, a response or evidence has at least (after trimming)."""
MAX_TEXT = 4000
MAX_URI = 1000
URI_SCHEMES = ("https://", "http://", "s3://", "file://", "urn:", "dms:")
"""Where evidence is kept: a web address, an object store, a document management system."""

__all__ = ["audit", "checked_reason", "checked_text", "checked_uri"]


class TextTooShortError(InvalidInputError):
    code = "text_too_short"
    default_message = N_("The {what} has at least {minimum} characters")


def checked_text(text: str, what: str) -> str:
    """``text`` trimmed and scrubbed, or InvalidInputError naming ``what`` (a marked noun)."""
    value = text.strip()
    if len(value) < MIN_TEXT:
        raise TextTooShortError(what=Text.of(what), minimum=MIN_TEXT)
    if len(value) > MAX_TEXT:
        raise InvalidInputError(
            N_("The {what} has at most {maximum} characters"), what=Text.of(what), maximum=MAX_TEXT
        )
    return scrub(value)


def checked_uri(uri: str | None) -> str | None:
    if uri is None or not uri.strip():
        return None
    value = uri.strip()
    if len(value) > MAX_URI or not value.lower().startswith(URI_SCHEMES) or any(c.isspace() for c in value):
        raise InvalidInputError(
            N_("evidence_uri is an address of at most {maximum} characters starting with {schemes}"),
            maximum=MAX_URI,
            schemes=", ".join(URI_SCHEMES),
        )
    return value


def audit(
    session: Session,
    principal: Principal,
    action: str,
    *,
    at: datetime,
    customer_id: str,
    hold_id: int | None = None,
    dispute_id: int | None = None,
    complaint_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """The audit entry of one change to a hold, a dispute or a complaint (exactly one id given)."""
    object_type, object_id = next(
        (kind, ident)
        for kind, ident in (("hold", hold_id), ("dispute", dispute_id), ("complaint", complaint_id))
        if ident is not None
    )
    record(
        session,
        principal.actor(),
        action,
        at=at,
        object_type=object_type,
        object_id=str(object_id),
        customer_id=customer_id,
        before=before,
        after=after,
        reason=reason,
    )
