"""The served API of tests/api, for the promise routes."""

from tests.api.conftest import api  # noqa: F401 - the fixture, shared
