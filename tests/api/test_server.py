"""``arrears serve`` as a bank runs it: a process of its own, the app factory in its workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from arrears.auth.masking import find_personal
from arrears.cli import app
from arrears.config import get_settings
from arrears.db import make_engine
from arrears.db.migrate import upgrade

ARREARS = [sys.executable, "-m", "arrears"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(database: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env.update({"ARREARS_DATABASE_URL": f"sqlite:///{database}", "ARREARS_LANGUAGE": "en", **more})
    return env


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    path = tmp_path / "arrears.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@contextmanager
def served(database: Path, *arguments: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    process = subprocess.Popen(
        [*ARREARS, "serve", "--port", str(port), *arguments],
        env=_environment(database),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"arrears serve exited {process.returncode}: {process.stderr.read()}")
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_answers_health_readiness_and_the_api_then_stops(migrated: Path) -> None:
    with served(migrated, "--workers", "2") as (url, process):
        health = httpx.get(f"{url}/healthz", headers={"X-Request-ID": "probe-1"})
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert health.headers["X-Request-ID"] == "probe-1"
        assert "server" not in health.headers  # no version banner
        assert httpx.get(f"{url}/readyz").status_code == 200
        me = httpx.get(f"{url}/api/v1/auth/me")
        assert me.status_code == 401
        assert me.headers["content-type"] == "application/problem+json"
    assert process.returncode == 0
    log = process.stderr.read()
    lines = [line for line in log.splitlines() if '"arrears.api.requests"' in line]
    assert any('"route":"/api/v1/auth/me"' in line and '"status":401' in line for line in lines)
    assert find_personal(log) == []


def test_serve_refuses_a_database_never_upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.db"
    make_engine(f"sqlite:///{empty}").connect().close()
    for name in [n for n in os.environ if n.startswith("ARREARS_")]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    runner = CliRunner(env={"ARREARS_DATABASE_URL": f"sqlite:///{empty}", "ARREARS_LANGUAGE": "en"})
    done = runner.invoke(app, ["serve", "--port", str(_free_port())])
    get_settings.cache_clear()
    assert done.exit_code == 5
    assert "arrears db upgrade" in done.stderr


@pytest.mark.parametrize(
    ("proxies", "trusted"),
    [(None, False), ("10.0.1.10,10.0.1.11", True)],
    ids=["no-proxy-named", "proxy-named"],
)
def test_serve_runs_the_factory_trusting_forwarded_headers_only_from_the_named_proxy(
    migrated: Path, monkeypatch: pytest.MonkeyPatch, proxies: str | None, trusted: bool
) -> None:
    import uvicorn

    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    for name in [n for n in os.environ if n.startswith("ARREARS_")]:
        monkeypatch.delenv(name)
    env = {"ARREARS_DATABASE_URL": f"sqlite:///{migrated}"}
    if proxies:
        env["ARREARS_FORWARDED_ALLOW_IPS"] = proxies
    get_settings.cache_clear()
    done = CliRunner(env=env).invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "3"])
    get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    [(args, kwargs)] = calls
    assert args == ("arrears.api.app:create_app",)
    assert kwargs["factory"] is True
    assert (kwargs["host"], kwargs["port"], kwargs["workers"]) == ("0.0.0.0", 9000, 3)
    assert kwargs["proxy_headers"] is trusted
    assert kwargs["forwarded_allow_ips"] == (proxies or "")
    assert kwargs["access_log"] is False  # uvicorn's access log writes raw paths and queries
