"""The served API (tests.api.conftest), for the channels' routes (templates, the outbox)."""

from tests.api.conftest import api  # noqa: F401 - the fixture, shared
