"""The app factory: one FastAPI application per process, its state in ``app.state`` (``bind``).

Workers are stateless: everything a request needs beyond the process's settings (credentials,
throttling counts, the audit chain's head) is in the database, so any number of workers against
one PostgreSQL serve the same API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
from fastapi import FastAPI
from sqlalchemy import Engine, make_url

from arrears import __version__
from arrears.api import health, observability, openapi, problems
from arrears.arrangements import plan_api, promise_api
from arrears.audit import api as audit_api
from arrears.auth import api as auth_api
from arrears.auth.service import Lifetimes
from arrears.batch import api as batch_api
from arrears.cases import api as cases_api
from arrears.cases import work_api as case_work_api
from arrears.channels import api as outbox_api
from arrears.channels import bounce_api, opt_out_api, sms_api, template_api
from arrears.clock import Clock, SystemClock
from arrears.compliance import api as compliance_api
from arrears.config import Settings, check_production, get_settings
from arrears.contacts import api as contacts_api
from arrears.db import make_engine, session_factory
from arrears.disputes import api as disputes_api
from arrears.payments import api as payments_api
from arrears.payments import paylink_api
from arrears.portfolio import api as portfolio_api
from arrears.qa import api as qa_api
from arrears.queues import api as queues_api
from arrears.queues import next_api
from arrears.reports import api as reports_api
from arrears.scoring import api as scoring_api
from arrears.strategy import api as strategy_api
from arrears.timeline import api as timeline_api
from arrears.web import site as web

API_PREFIX = "/api/v1"
CONTEXT_ROUTERS = (
    auth_api.router,
    portfolio_api.router,
    cases_api.router,
    case_work_api.router,
    promise_api.router,
    plan_api.router,
    disputes_api.router,
    timeline_api.router,
    compliance_api.router,
    contacts_api.router,
    batch_api.router,
    reports_api.router,
    audit_api.router,
    queues_api.router,
    strategy_api.router,
    scoring_api.router,
    next_api.router,
    template_api.router,
    payments_api.router,
    paylink_api.router,
    outbox_api.router,
    opt_out_api.router,
    bounce_api.router,
    sms_api.router,
    qa_api.router,
)


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    clock: Clock

    _units: anyio.Semaphore | None = None

    def units_of_work(self) -> anyio.Semaphore:
        """The worker's limit on requests holding a database session at once (made on first use,
        inside the worker's event loop)."""
        if self._units is None:
            self._units = anyio.Semaphore(self.settings.database_pool_size)
        return self._units

    @property
    def lifetimes(self) -> Lifetimes:
        return Lifetimes(
            idle=timedelta(minutes=self.settings.session_idle_minutes),
            total=timedelta(hours=self.settings.session_max_hours),
        )


def pool_options(settings: Settings) -> dict[str, Any]:
    """A worker's connection pool on PostgreSQL: one connection per thread routes run in, none
    more, and a bounded wait (a 503 to retry after it). SQLite keeps SQLAlchemy's own pool."""
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        return {}
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": 0,
        "pool_timeout": settings.database_pool_timeout,
    }


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or get_settings()
    check_production(settings)
    owned = engine is None
    engine = engine or make_engine(
        settings.database_url, busy_timeout=settings.sqlite_busy_timeout, **pool_options(settings)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:  # the engine the factory made (a worker's): its connections closed on shutdown
            engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="Arrears",
        version=__version__,
        openapi_url=None,  # served by arrears.api.openapi, declared public like every route
        docs_url=None,
        redoc_url=None,
    )
    bind(app, settings, engine, clock or SystemClock())
    problems.install(app)
    observability.install(app)
    app.include_router(health.router)
    for router in CONTEXT_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    openapi.install(app, API_PREFIX)
    web.install(app)  # the pages at /, after the API's error handlers (it wraps them)
    return app


def bind(app: FastAPI, settings: Settings, engine: Engine, clock: Clock) -> None:
    """Point ``app`` at its settings, database and clock: its context, its sessions and its own
    metrics registry. The routes read them per request, so an app may be bound again while no
    request runs (the tests serve one app per process, bound to each test's database: FastAPI
    analyses the 175 routes once per app, on their first requests, about a second)."""
    app.state.context = AppContext(settings=settings, engine=engine, clock=clock)
    app.state.sessions = session_factory(engine)
    app.state.metrics = observability.Metrics(engine)
