"""Fixtures of the auth tests: the served API (``api``, from tests/api) and people with passwords."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from arrears.audit.trail import Actor
from arrears.auth import service as auth
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.db import transaction
from tests.api.conftest import Api, api

__all__ = ["api", "signed_up"]

PASSWORD = "correct horse battery staple 7"
"""A password that meets the policy (long, not common, not a user name)."""
TEST_ACTOR = Actor(user_id=None, name="system:test", role="system")


@pytest.fixture
def signed_up(api: Api) -> Callable[..., User]:
    """``signed_up(name, role=..., password=..., **membership)``: a person made by the service."""

    def make(name: str, role: Role = Role.STRATEGY_ANALYST, password: str = PASSWORD, **membership: object) -> User:
        with transaction(api.engine) as session:
            return auth.create_user(
                session,
                TEST_ACTOR,
                now=api.clock.now(),
                username=name,
                role=role,
                password=password,
                customer_exists=lambda _: True,
                **membership,  # type: ignore[arg-type]
            )

    return make
