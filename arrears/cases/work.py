"""What the writes of case work share: the stated reason, the errors every one of them may raise,
and the audit entry each change leaves.

A reason is required for every assignment, placement, recall and visit, and kept with the change
(in its row where the table has a column for it, always in the audit entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.auth.masking import scrub
from arrears.auth.principal import Principal, actor_of
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_

MIN_REASON = 8
"""Characters a stated reason has at least (after trimming): enough for 8 Chinese characters or a
short English phrase, never an empty or one-word placeholder."""
MAX_REASON = 500
"""The width of the reason columns."""


class ReasonTooShortError(InvalidInputError):
    code = "reason_too_short"
    default_message = N_("State a reason of at least {minimum} characters")


class CaseNotFoundError(NotFoundError):
    """No such case, or one the caller does not see: the same answer for both."""

    code = "not_found"
    default_message = N_("No case {case_id}")


class UserNotEligibleError(ConflictError):
    """The user named as collector or field agent cannot take the work."""

    code = "user_not_eligible"


def checked_reason(reason: str) -> str:
    """The reason trimmed, anything in it shaped like a phone, e-mail or national id masked
    (it is kept in the audit trail and its exports), or ReasonTooShortError."""
    text = reason.strip()
    if len(text) < MIN_REASON:
        raise ReasonTooShortError(N_("State a reason of at least {minimum} characters"), minimum=MIN_REASON)
    if len(text) > MAX_REASON:
        raise InvalidInputError(N_("A reason has at most {maximum} characters"), maximum=MAX_REASON)
    return scrub(text)


def audit(
    session: Session,
    who: Principal | Actor,
    action: str,
    *,
    at: datetime,
    object_type: str,
    object_id: str,
    customer_id: str | None,
    reason: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """The audit entry of one change, in the caller's transaction (``who``: the caller, or the
    system's actor for the command line)."""
    record(
        session,
        actor_of(who),
        action,
        at=at,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
        before=before,
        after=after,
        reason=reason,
    )
