"""Fixtures shared by the compliance tests."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def network_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """No socket can be opened for the test's duration: what loads must load from disk."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
