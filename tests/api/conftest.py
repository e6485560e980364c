"""The API under test: the real app served by uvicorn on a loopback port, on SQLite and PostgreSQL.

``api`` gives the base URL, an httpx client per credential, a clock the test moves, and
``api.person(role, ...)`` to make a user of any role with a bearer token.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from arrears.api.app import bind
from arrears.auth import service as auth
from arrears.auth.models import Agency, CredentialKind, Team, TeamLeader, User
from arrears.auth.permissions import Role
from arrears.clock import FixedClock
from arrears.config import load_settings
from arrears.db import transaction

API_NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
_TLS = ssl.create_default_context()
"""One TLS context for every test client: httpx builds a new one per client otherwise (~40 ms)."""
"""The API's clock at the start of every test: 10:00 in Shanghai on the sample's business date."""


@dataclass
class Person:
    user_id: int
    username: str
    role: Role
    token: str


@dataclass
class Api:
    app: FastAPI
    url: str
    engine: Engine
    clock: FixedClock
    _clients: list[httpx.Client] = field(default_factory=list)

    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=_TLS)
        self._clients.append(client)
        return client

    def as_(self, person: Person, **headers: str) -> httpx.Client:
        return self.client(person.token, **headers)

    def team(self, code: str, *, leader: Person | None = None) -> int:
        with transaction(self.engine) as session:
            team = Team(code=code, name=code, created_at=self.clock.now())
            session.add(team)
            session.flush()
            if leader is not None:
                session.add(TeamLeader(team_id=team.id, user_id=leader.user_id))
            return team.id

    def agency(self, code: str) -> int:
        with transaction(self.engine) as session:
            agency = Agency(code=code, name=code, active=True, created_at=self.clock.now())
            session.add(agency)
            session.flush()
            return agency.id

    def person(self, role: Role, username: str | None = None, **columns: Any) -> Person:
        """A user of ``role`` (team_id, agency_id, customer_id… as columns) and a fresh token."""
        name = username or f"{role}-{time.monotonic_ns()}"
        with transaction(self.engine) as session:
            user = User(username=name, role=str(role), created_at=self.clock.now(), active=True, **columns)
            session.add(user)
            session.flush()
            secret, _ = auth.issue(
                session,
                user,
                CredentialKind.TOKEN,
                now=self.clock.now(),
                lifetimes=self.app.state.context.lifetimes,
            )
            return Person(user.id, name, role, secret)

    def lead(self, supervisor: Person, team_id: int) -> None:
        with transaction(self.engine) as session:
            session.add(TeamLeader(team_id=team_id, user_id=supervisor.user_id))

    def close(self) -> None:
        for client in self._clients:
            client.close()


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test thread is not the main thread
        pass


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, for the duration; yields its base URL."""
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def api(engine: Engine, served_app: tuple[FastAPI, str]) -> Iterator[Api]:
    """The process's served app (``served_app``, tests/conftest.py) bound to this test's database
    and a clock of its own."""
    app, url = served_app
    clock = FixedClock(API_NOW)
    settings = load_settings(database_url=engine.url.render_as_string(hide_password=False), language="en")
    bind(app, settings, engine, clock)
    served = Api(app=app, url=url, engine=engine, clock=clock)
    yield served
    served.close()
