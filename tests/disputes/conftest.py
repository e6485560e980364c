"""The served API of tests/api, for the routes of holds, disputes and complaints."""

from tests.api.conftest import api  # noqa: F401 - the fixture, shared
