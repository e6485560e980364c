"""The served API (tests.api.conftest), for the QA tests."""

from tests.api.conftest import api  # noqa: F401 - the fixture, shared
