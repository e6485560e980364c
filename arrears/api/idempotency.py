"""``Idempotency-Key`` on the POSTs that create money-relevant records, over :mod:`arrears.idempotency`.

A route does its work through :func:`idempotent`::

    @router.post("/cases/{case_id}/promises", status_code=201, response_model=PromiseOut)
    def take_promise(case_id: str, body: PromiseIn, key: IdempotencyKey, ...) -> PromiseOut | Response:
        return idempotent(request, session, principal, key, body, lambda: PromiseOut.of(...))

- no key: the work is done as usual;
- a new key: the work is done and its answer kept with the key, in the same transaction; a
  refusal (any 4xx error) is kept too, the work it began undone, and raised as usual;
- the same key again, same request: the first answer, replayed (``Idempotent-Replayed: true``),
  nothing done twice; a different request under the same key: 422; the first still running: 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from arrears import idempotency
from arrears.auth.principal import Principal
from arrears.errors import ArrearsError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="A key of your choosing (a UUID): a retry with the same key and the same body "
        "gets the first answer again and creates nothing twice",
    ),
]

Answer = TypeVar("Answer", bound=BaseModel)


class ReplayedError(ArrearsError):
    """The refusal the first request under an idempotency key got, given again."""

    def __init__(self, status: int, code: str, messages: dict[str, str]) -> None:
        self.http_status = status  # type: ignore[misc]
        self.code = code  # type: ignore[misc]
        self.stored = messages
        super().__init__()

    def message(self, language: str) -> str:
        return self.stored.get(language) or next(iter(self.stored.values()), "")


def idempotent(
    request: Request,
    session: Session,
    principal: Principal,
    key: str | None,
    body: BaseModel | None,
    work: Callable[[], Answer],
    *,
    status_code: int = 201,
) -> Answer | JSONResponse:
    """Do ``work`` once per key; see the module's description."""
    if key is None:
        return work()
    key = idempotency.checked_key(key)
    print_ = idempotency.fingerprint(
        request.method, request.url.path, None if body is None else body.model_dump(mode="json")
    )
    context = request.app.state.context
    first = idempotency.claim(session, principal.user_id, key, print_, context.clock.now())
    if first is not None:
        return _replay(first)
    savepoint = session.begin_nested()
    try:
        answer = work()
    except ArrearsError as error:
        if error.http_status >= 500:
            raise
        savepoint.rollback()
        problem = {"code": error.code, "messages": error.messages()}
        idempotency.finish(session, principal.user_id, key, error.http_status, problem)
        session.commit()  # the refusal is kept with its key although the request fails
        raise
    savepoint.commit()
    idempotency.finish(session, principal.user_id, key, status_code, answer.model_dump(mode="json"))
    return answer


def _replay(first: idempotency.IdempotencyRecord) -> JSONResponse:
    status = first.status_code or 200
    stored: dict[str, Any] = first.response or {}
    if status >= 400:
        raise ReplayedError(status, str(stored.get("code", "error")), dict(stored.get("messages", {})))
    return JSONResponse(stored, status_code=status, headers={REPLAYED_HEADER: "true"})
