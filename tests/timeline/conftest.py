"""The served API of tests/api, for the timeline route."""

from tests.api.conftest import api  # noqa: F401 - the fixture, shared
