"""A page's form done once: a double click, or a form sent again, records nothing twice.

Each form carries a hidden ``idempotency_key`` made when the page is shown (``form_key`` in the
template's context). The POST claims it through :mod:`arrears.idempotency` (the API's
Idempotency-Key) inside the savepoint of the form's work: a refusal that undoes the work undoes
the claim with it, and the form shown again carries a new key; the same form sent again answers
where the first went. On SQLite the database's write lock is taken before the savepoint, so a
second click waits its turn and then finds the first one's key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Form, Request
from sqlalchemy.orm import Session

from arrears import idempotency
from arrears.api.paging import now
from arrears.audit.trail import hold_chain
from arrears.auth.principal import Principal
from arrears.errors import InvalidInputError
from arrears.i18n import N_

Key = Annotated[str, Form(max_length=idempotency.MAX_KEY_LENGTH)]
"""The hidden field of a form sent once."""


class FormSentBeforeError(InvalidInputError):
    code = "form_sent_before"
    default_message = N_("this form was sent already with other values: open the page again for new ones")


def take_turns(session: Session) -> None:
    """Before the savepoint: on SQLite, the write lock (see the module)."""
    if session.get_bind().dialect.name == "sqlite":
        hold_chain(session)


def claimed(
    request: Request, session: Session, principal: Principal, key: str, values: Mapping[str, Any]
) -> str | None:
    """Claim the form's ``key`` (none: nothing to claim): None when this form is new (do its work,
    then :func:`finished`), else where the same form sent before went. Call it in the work's
    savepoint."""
    if not key:
        return None
    checked = idempotency.checked_key(key)
    fingerprint = idempotency.fingerprint("POST", request.url.path, values)
    try:
        first = idempotency.claim(session, principal.user_id, checked, fingerprint, now(request))
    except idempotency.KeyReusedError:
        raise FormSentBeforeError() from None
    return None if first is None else str((first.response or {}).get("location", "/"))


def finished(session: Session, principal: Principal, key: str, location: str) -> None:
    """Keep where the form claimed by ``key`` went (in the same savepoint as its work)."""
    if key:
        idempotency.finish(session, principal.user_id, key, 303, {"location": location})


def done_once(
    request: Request,
    session: Session,
    principal: Principal,
    key: str,
    values: Mapping[str, Any],
    work: Callable[[], str],
) -> str:
    """``work()``, which answers where to go next, done once for ``key`` (none: done each time);
    the same form sent again answers where the first went. Call it in the work's savepoint."""
    first = claimed(request, session, principal, key, values)
    if first is not None:
        return first
    target = work()
    finished(session, principal, key, target)
    return target
