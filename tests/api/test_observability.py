"""Request ids, the JSON request log (no personal data in it, ever), /healthz, /readyz, /metrics."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import Engine, insert

from arrears.api.access import public
from arrears.api.app import create_app
from arrears.api.observability import (
    REQUEST_LOGGER,
    JsonFormatter,
    MaskingFilter,
    Metrics,
    log_config,
    request_id_from,
)
from arrears.auth.masking import find_personal
from arrears.auth.permissions import Role
from arrears.batch.models import BatchRun
from arrears.clock import FixedClock
from arrears.config import load_settings
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.portfolio.models import ImportLog
from tests.api.conftest import API_NOW, Api, serving
from tests.log_check import scan

PERSONAL = {
    "national_id": "110101199003071234",
    "mobile": "13812345678",
    "international": "+8613987654321",
    "email": "zhang.wei@example.com",
    "landline": "+86-10-46656538",
}


@contextmanager
def captured(*, masked: bool) -> Iterator[io.StringIO]:
    """What the "arrears" loggers write through the server's JSON formatter (and, when
    ``masked``, its masking filter), as ``arrears serve`` configures them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    if masked:
        handler.addFilter(MaskingFilter())
    logger = logging.getLogger("arrears")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _settled(stream: io.StringIO, count: int) -> str:
    """The captured text once ``count`` request lines are in it (a line is written just after
    the answer is sent, so the client may see the answer first)."""
    deadline = time.monotonic() + 10
    while stream.getvalue().count(f'"logger":"{REQUEST_LOGGER}"') < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return stream.getvalue()


def _requests_carrying_personal_data(api: Api) -> list[httpx.Response]:
    collector = api.person(Role.COLLECTOR, "wang.fang")
    signed = api.as_(collector)
    anonymous = api.client()
    query = "&".join(f"{key}={value}" for key, value in PERSONAL.items())
    answers = [
        # in the path (a route that matches, and paths that match none)
        signed.get(f"/api/v1/auth/me?{query}"),
        anonymous.get(f"/api/v1/no-such-route/{PERSONAL['national_id']}?{query}"),
        anonymous.get(f"/{PERSONAL['email']}/{PERSONAL['mobile']}"),
        signed.get(f"/api/v1/customers/{PERSONAL['national_id']}?{query}"),  # a route of the reads
        # in a body, on a route that takes none and on one that may not exist
        signed.post("/api/v1/auth/me", json=PERSONAL),
        anonymous.post("/api/v1/compliance/check", json={"to": PERSONAL["international"]}),
        # in headers, a request id shaped like a phone number among them
        anonymous.get(
            "/healthz",
            headers={
                "X-Request-ID": PERSONAL["mobile"],
                "User-Agent": PERSONAL["email"],
                "Referer": f"https://bank.example/?id={PERSONAL['national_id']}",
                "X-Forwarded-For": PERSONAL["landline"],
            },
        ),
    ]
    return answers


@pytest.mark.parametrize("masked", [False, True], ids=["as-logged", "through-the-filter"])
def test_the_request_log_carries_no_personal_data_sent_in_paths_queries_bodies_or_headers(
    api: Api, masked: bool
) -> None:
    with captured(masked=masked) as stream:
        answers = _requests_carrying_personal_data(api)
        text = _settled(stream, len(answers))
    for value in PERSONAL.values():
        assert value not in text
    assert find_personal(text) == []
    lines = [json.loads(line) for line in text.splitlines()]
    requests = [line for line in lines if line["logger"] == REQUEST_LOGGER]
    assert len(requests) == len(answers)
    by_id = {line["request_id"]: line for line in requests}
    for answer in answers:
        line = by_id[answer.headers["X-Request-ID"]]
        assert line["status"] == answer.status_code
        assert line["method"] == answer.request.method
        assert line["timestamp"].endswith("Z")
        assert line["duration_ms"] >= 0
    me = by_id[answers[0].headers["X-Request-ID"]]
    assert (me["route"], me["status"], me["role"]) == ("/api/v1/auth/me", 200, "collector")
    assert isinstance(me["user_id"], int)
    assert by_id[answers[1].headers["X-Request-ID"]]["route"] == "<unmatched>"
    assert by_id[answers[1].headers["X-Request-ID"]]["user_id"] is None
    assert answers[-1].headers["X-Request-ID"] != PERSONAL["mobile"]
    assert [by_id[a.headers["X-Request-ID"]]["client"] for a in answers[:-1]] == ["127.0.0.1"] * 6
    # The served test app trusts forwarded headers from loopback: what came is not an address.
    assert by_id[answers[-1].headers["X-Request-ID"]]["client"] == "invalid"


@pytest.mark.parametrize(
    ("presented", "kept"),
    [
        ("probe-1", True),
        ("4f6c3a1e-9b2d-4c55-8e1f-0a9b8c7d6e5f", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("has space", False),
        ("semi;colon", False),
        ("", False),
        (None, False),
        ("13812345678", False),
        ("110101199003071234", False),
    ],
)
def test_a_request_id_is_kept_only_when_well_formed_and_impersonal(presented: str | None, kept: bool) -> None:
    chosen = request_id_from(presented)
    assert (chosen == presented) is kept
    assert len(chosen) <= 64


def test_the_masking_filter_masks_message_arguments_extras_and_traceback() -> None:
    try:
        raise ValueError(f"no customer {PERSONAL['national_id']}")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "arrears.test",
        logging.ERROR,
        __file__,
        1,
        "call %s or write to %s",
        (PERSONAL["mobile"], PERSONAL["email"]),
        exc_info,
    )
    record.contact = PERSONAL["landline"]
    assert MaskingFilter().filter(record)
    line = JsonFormatter().format(record)
    for value in PERSONAL.values():
        assert value not in line
    parsed = json.loads(line)
    assert parsed["message"] == "call 138****5678 or write to z***@example.com"
    assert parsed["contact"] == "+86-10-****6538"
    assert "110***********1234" in parsed["exception"]


def test_serve_logs_json_lines_through_the_masking_filter_and_no_access_log() -> None:
    config = log_config("info")
    assert config["filters"]["masking"]["()"] is MaskingFilter
    assert config["formatters"]["json"]["()"] is JsonFormatter
    for handler in config["handlers"].values():
        assert handler["filters"] == ["masking"]
        assert handler["formatter"] == "json"
    loggers = config["loggers"]
    for name in ("arrears", "uvicorn"):
        assert loggers[name]["handlers"] == ["json"]
    assert config["root"]["handlers"] == ["json"]
    assert loggers["uvicorn.access"] == {"handlers": [], "level": "WARNING", "propagate": False}


def test_an_unexpected_error_is_a_500_problem_with_the_request_id_and_an_error_line(engine: Engine) -> None:
    app = create_app(
        load_settings(database_url="sqlite://", language="en"), engine=engine, clock=FixedClock(API_NOW)
    )
    broken = APIRouter()

    @broken.get("/broken")
    def fails(_: None = Depends(public)) -> None:
        raise RuntimeError("a bug")

    app.include_router(broken)
    with captured(masked=True) as stream, serving(app) as url:
        answer = httpx.get(f"{url}/broken", headers={"X-Request-ID": "bug-report-7"})
        text = _settled(stream, 1)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["X-Request-ID"] == "bug-report-7"
    assert answer.json()["request_id"] == "bug-report-7"
    assert "a bug" not in answer.text
    lines = [json.loads(line) for line in text.splitlines()]
    request = next(line for line in lines if line["logger"] == REQUEST_LOGGER)
    assert (request["route"], request["status"], request["level"]) == ("/broken", 500, "error")
    error = next(line for line in lines if line["logger"] == "arrears.api.errors")
    assert error["request_id"] == "bug-report-7"
    assert "RuntimeError: a bug" in error["exception"]


def test_health_is_public_and_readiness_says_when_the_schema_is_behind(api: Api, tmp_path: Path) -> None:
    client = api.client()
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, "0003_batch")
    behind = create_app(load_settings(database_url="sqlite://", language="en"), engine=old)
    with serving(behind) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        answer = httpx.get(f"{url}/readyz", headers={"Accept-Language": "zh-CN"})
    old.dispose()
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "not_ready"
    assert "0003_batch" in answer.json()["detail"]
    assert "arrears db upgrade" in answer.json()["detail"]
    assert "数据库" in answer.json()["detail"]


def test_readiness_is_503_when_the_database_cannot_be_reached() -> None:
    gone = make_engine("sqlite:////nonexistent-directory/arrears.db")
    app = create_app(load_settings(database_url="sqlite://", language="en"), engine=gone)
    with serving(app) as url:
        answer = httpx.get(f"{url}/readyz")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "The database cannot be reached"


def _metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " ") or line == name:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_per_route_template_and_read_the_batch_and_imports(api: Api) -> None:
    client = api.client()
    for _ in range(3):
        client.get("/api/v1/auth/me")
    client.get("/api/v1/no-such-route/C0000000001")
    first = client.get("/metrics")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/plain")
    text = first.text
    assert (
        _metric(text, 'arrears_http_requests_total{method="GET",route="/api/v1/auth/me",status="401"}') == 3
    )
    assert _metric(text, 'arrears_http_requests_total{method="GET",route="<unmatched>",status="404"}') == 1
    assert "C0000000001" not in text
    assert (
        _metric(
            text,
            'arrears_http_request_duration_seconds_count{method="GET",route="/api/v1/auth/me",status="401"}',
        )
        == 3
    )
    assert _metric(text, "arrears_database_up") == 1
    assert "arrears_batch_last_run" not in text  # no run yet
    assert _metric(text, 'arrears_import_rows_total{outcome="read"}') == 0

    started = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    with api.engine.begin() as connection:
        for as_of, finished, status in [
            (date(2026, 11, 20), started + timedelta(minutes=5), "succeeded"),
            (date(2026, 11, 19), started + timedelta(minutes=20), "failed"),  # a rerun, finished last
        ]:
            connection.execute(
                insert(BatchRun).values(
                    as_of=as_of,
                    status=status,
                    engine="duckdb",
                    accounts=433,
                    delinquent=120,
                    cases_opened=7,
                    cases_closed=3,
                    attempts=2,
                    started_at=started,
                    finished_at=finished,
                )
            )
        for status, read, rejected in [("stored", 300, 0), ("partial", 1398, 2)]:
            connection.execute(
                insert(ImportLog).values(
                    kind="customers",
                    file_name="customers.csv",
                    checksum="0" * 64,
                    status=status,
                    rows_read=read,
                    rows_stored=read - rejected,
                    rows_rejected=rejected,
                    started_at=started,
                    finished_at=started + timedelta(seconds=read),
                    imported_by="test",
                )
            )
    text = client.get("/metrics").text
    assert (
        _metric(text, "arrears_batch_last_run_as_of_timestamp_seconds")
        == datetime(2026, 11, 19, tzinfo=UTC).timestamp()
    )
    assert _metric(text, "arrears_batch_last_run_duration_seconds") == 20 * 60
    assert _metric(text, 'arrears_batch_last_run_succeeded{engine="duckdb",status="failed"}') == 0
    assert _metric(text, 'arrears_batch_last_run_figure{figure="accounts"}') == 433
    assert _metric(text, 'arrears_batch_last_run_figure{figure="cases_opened"}') == 7
    assert _metric(text, 'arrears_import_files_total{status="partial"}') == 1
    assert _metric(text, 'arrears_import_rows_total{outcome="read"}') == 1698
    assert _metric(text, 'arrears_import_rows_total{outcome="rejected"}') == 2
    assert (
        _metric(text, "arrears_import_last_finished_timestamp_seconds")
        == (started + timedelta(seconds=1398)).timestamp()
    )


def test_each_app_has_its_own_registry_and_a_dead_database_is_a_gauge_not_an_error() -> None:
    gone = make_engine("sqlite:////nonexistent-directory/arrears.db")
    first, second = Metrics(gone), Metrics(gone)
    first.observe("GET", "/healthz", 200, 0.01)
    assert (
        'arrears_http_requests_total{method="GET",route="/healthz",status="200"} 1.0'
        in first.render().decode()
    )
    assert "arrears_http_requests_total{" not in second.render().decode()
    assert _metric(second.render().decode(), "arrears_database_up") == 0


def test_the_run_log_check_finds_personal_data_and_repeats_none_of_it(tmp_path: Path) -> None:
    clean = tmp_path / "gw0.log"
    clean.write_text(
        '{"timestamp":"2026-11-21T02:00:00.000Z","route":"/api/v1/customers/{customer_id}",'
        '"request_id":"0123456789abcdef0123456789abcdef","duration_ms":12.5,"client":"127.0.0.1"}\n',
        encoding="utf-8",
    )
    planted = tmp_path / "gw1.log"
    planted.write_text(
        'first line\n{"message":"customer 11010519820821792X called from +8613842623394"}\n', encoding="utf-8"
    )
    assert scan([clean]) == []
    findings = scan([clean, planted])
    assert [(f.path.name, f.line, f.field) for f in findings] == [
        ("gw1.log", 2, "national_id"),
        ("gw1.log", 2, "phone"),
    ]
    said = "\n".join(str(f) for f in findings)
    assert "11010519820821792X" not in said
    assert "13842623394" not in said
