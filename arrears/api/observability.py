"""Request ids, one JSON log line per request, and Prometheus metrics.

- The request id is the caller's ``X-Request-ID`` when it is well formed (1 to 64 letters,
  digits, ``.``, ``_`` or ``-``, and nothing shaped like personal data), else a new one; it is
  returned in the same header, carried by the audit entries and every problem document.
- One log line per request on the ``arrears.api.requests`` logger: the route's *template*
  (``/api/v1/customers/{customer_id}``), never the path as sent or its query string, the
  status, the duration, the signed-in user's id and role, the client's address.
- :class:`JsonFormatter` writes records as JSON lines; :class:`MaskingFilter` masks anything
  shaped like a national id, phone number or e-mail address in every record a handler sees
  (defense in depth: the code logs none). :func:`log_config` puts both on every handler of
  ``arrears serve``.
- ``/metrics``: request counts and latency histograms per route template, method and status
  (a registry per app, so many apps in one process never share counters), and the last batch
  run's and the imports' figures read from the database at each scrape.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import fastapi.routing
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arrears.api.access import public
from arrears.auth.masking import find_personal, scrub
from arrears.batch import repository as batch_repository
from arrears.portfolio import repository as portfolio_repository

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")
REQUEST_LOGGER = "arrears.api.requests"
UNMATCHED = "<unmatched>"
"""The route a request that matched none is logged and counted under (never its path)."""
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

log = logging.getLogger(REQUEST_LOGGER)
errors = logging.getLogger("arrears.api.errors")

_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
"""A LogRecord's own attributes; anything else on a record is an ``extra`` field of the line."""


def request_id_from(presented: str | None) -> str:
    """The caller's request id when it is well formed and carries nothing personal, else a new one."""
    if presented and REQUEST_ID_SHAPE.fullmatch(presented) and not find_personal(presented):
        return presented
    return uuid.uuid4().hex


def client_address(host: str | None) -> str | None:
    """The client's IP address as logged: only ever an address (a forwarded header that a proxy
    passed on may hold anything)."""
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return "invalid"


# --- logs ---------------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC), level, logger, message, and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str, separators=(",", ":"))


class MaskingFilter(logging.Filter):
    """Masks national ids, phone numbers and e-mail addresses in a record's message, arguments,
    extras and traceback (the record is changed in place, so every later handler sees it masked)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, scrub(value))
        return True


def log_config(level: str = "info") -> dict[str, Any]:
    """``logging.config.dictConfig`` for ``arrears serve``: JSON lines on standard error, masked,
    for Arrears' own loggers and uvicorn's; uvicorn's access log is off (it writes raw paths)."""
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "json",
        "filters": ["masking"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"masking": {"()": MaskingFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "loggers": {
            "arrears": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["json"], "level": "WARNING"},
    }


# --- metrics ------------------------------------------------------------------------------------


class DatabaseFigures(Collector):
    """The last batch run's and the imports' figures, read from the database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("arrears_database_up", "Whether the last scrape could read the database")
        try:
            with self.engine.connect() as connection:
                run = batch_repository.latest_run(connection)
                imports = portfolio_repository.import_totals(connection)
        except SQLAlchemyError:
            errors.warning("metrics: the database could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _batch_metrics(run)
        files = CounterMetricFamily(
            "arrears_import_files", "Feed files imported, by status", labels=["status"]
        )
        for status, count in sorted(imports.files.items()):
            files.add_metric([status], count)
        yield files
        rows = CounterMetricFamily(
            "arrears_import_rows", "Feed rows imported, by outcome", labels=["outcome"]
        )
        for outcome, count in imports.rows.items():
            rows.add_metric([outcome], count)
        yield rows
        if imports.last_finished_at is not None:
            yield GaugeMetricFamily(
                "arrears_import_last_finished_timestamp_seconds",
                "When the last feed file's import finished (Unix time)",
                value=imports.last_finished_at.timestamp(),
            )


def _batch_metrics(run: Any) -> Iterator[Metric]:
    if run is None:
        return
    as_of = datetime(run.as_of.year, run.as_of.month, run.as_of.day, tzinfo=UTC)
    yield GaugeMetricFamily(
        "arrears_batch_last_run_as_of_timestamp_seconds",
        "The as-of date of the batch run that finished last (midnight UTC, Unix time)",
        value=as_of.timestamp(),
    )
    yield GaugeMetricFamily(
        "arrears_batch_last_run_finished_timestamp_seconds",
        "When the batch run that finished last finished (Unix time)",
        value=run.finished_at.timestamp(),
    )
    yield GaugeMetricFamily(
        "arrears_batch_last_run_duration_seconds",
        "How long the batch run that finished last took",
        value=(run.finished_at - run.started_at).total_seconds(),
    )
    succeeded = GaugeMetricFamily(
        "arrears_batch_last_run_succeeded",
        "1 when the batch run that finished last succeeded, else 0",
        labels=["status", "engine"],
    )
    succeeded.add_metric([run.status, run.engine], 1 if run.status == "succeeded" else 0)
    yield succeeded
    figures = GaugeMetricFamily(
        "arrears_batch_last_run_figure",
        "Figures of the last batch run: accounts, delinquent, cases opened and closed, attempts",
        labels=["figure"],
    )
    for figure in ("accounts", "delinquent", "cases_opened", "cases_closed", "attempts"):
        figures.add_metric([figure], getattr(run, figure))
    yield figures


class Metrics:
    """The app's own registry: request counters and latencies, and the database's figures."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "arrears_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "arrears_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(DatabaseFigures(engine))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


# --- the middleware -----------------------------------------------------------------------------


_served_route = getattr(fastapi.routing, "_get_scope_effective_route_context", None)
"""FastAPI's route as served (with its router's prefix) where routers are included lazily."""


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/v1/cases/{case_id}``), never the raw path."""
    served = _served_route(scope) if _served_route else None
    if served is not None and getattr(served, "path_format", None):
        return str(served.path_format)
    route: BaseRoute | None = scope.get("route")
    if route is None:
        return UNMATCHED
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    return str(getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED))


class RequestObserver:
    """Gives each request its id, and logs and counts it when it is answered (or fails)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                # Answers carry personal data and credentials: no shared or browser cache keeps them.
                if "cache-control" not in headers and scope["path"].startswith("/api/"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            metrics: Metrics = scope["app"].state.metrics  # the app's, as bound (app.bind)
            metrics.observe(scope["method"], route, status, seconds)
            principal = state.get("principal")
            client = scope.get("client")
            log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "user_id": principal.user_id if principal else None,
                    "role": str(principal.role) if principal else None,
                    "client": client_address(client[0] if client else None),
                },
            )


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request, _: None = Depends(public)) -> Response:
    """Prometheus metrics: requests per route template, method and status; the last batch run; imports.

    Public, like /healthz: it holds no personal data (route templates, counts, dates). Expose it on
    the private network only (see docs/api.md)."""
    figures: Metrics = request.app.state.metrics
    return Response(figures.render(), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """The request observer and /metrics; the registry itself is ``app.state.metrics`` (app.bind)."""
    app.add_middleware(RequestObserver)
    app.include_router(router)
