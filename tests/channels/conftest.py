"""The served API (tests.api.conftest), for the outbox's routes."""

from tests.api.conftest import api  # noqa: F401 - the fixture, shared
