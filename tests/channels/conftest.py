"""The served API of tests/api, for the template routes."""

from tests.api.conftest import api  # noqa: F401 - the fixture, shared
