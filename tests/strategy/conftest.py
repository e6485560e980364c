"""Fixtures of the strategy tests: the served API (``api``, from tests/api)."""

from __future__ import annotations

from tests.api.conftest import api

__all__ = ["api"]
