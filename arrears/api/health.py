"""Liveness and readiness, outside /api/v1 (a load balancer probes them without credentials).

``/healthz``: the process answers. ``/readyz``: the database answers and its schema is at the
revisions this code migrates to; else 503 with a problem document saying which.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from arrears.api.access import public
from arrears.db.migrate import code_revisions, database_revisions
from arrears.errors import UnavailableError
from arrears.i18n import N_

router = APIRouter(tags=["health"])
log = logging.getLogger("arrears.api.health")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"


class NotReadyError(UnavailableError):
    code = "not_ready"
    default_message = N_("Arrears is not ready to serve requests")


@cache
def _wanted() -> frozenset[str]:
    return frozenset(code_revisions())


@router.get("/healthz", response_model=Health)
def healthz(_: None = Depends(public)) -> Health:
    """The process is up (it says nothing of the database: see /readyz)."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"description": "Not ready"}})
def readyz(request: Request, _: None = Depends(public)) -> Readiness:
    """The database answers and its schema is current; else 503 saying which is wrong."""
    try:
        current = database_revisions(request.app.state.context.engine)
    except SQLAlchemyError:
        log.warning("readiness: the database cannot be reached", exc_info=True)
        raise NotReadyError(N_("The database cannot be reached")) from None
    wanted = _wanted()
    if current != wanted:
        raise NotReadyError(
            N_(
                "The database is at revision {current}, this version needs {wanted}: run `arrears db upgrade`"
            ),
            current=",".join(sorted(current)) or "-",
            wanted=",".join(sorted(wanted)),
        )
    return Readiness()
