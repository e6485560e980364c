"""Fixtures of the auth tests: the served API (``api``, from tests/api) and people with passwords."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher, Type

from arrears.audit.trail import Actor
from arrears.auth import passwords
from arrears.auth import service as auth
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.db import transaction
from tests.api.conftest import Api, api

__all__ = ["api", "cheap_hashing", "signed_up"]

PASSWORD = "correct horse battery staple 7"
"""A password that meets the policy (long, not common, not a user name)."""
TEST_ACTOR = Actor(user_id=None, name="system:test", role="system")


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[PasswordHasher]:
    """argon2id with small parameters, so that many sign-ins stay fast on a busy machine (the
    production parameters are tested in test_passwords.py)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "HASHER", hasher)
    passwords._dummy_hash.cache_clear()
    yield hasher
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def signed_up(api: Api) -> Callable[..., User]:
    """``signed_up(name, role=..., password=..., **membership)``: a person made by the service."""

    def make(
        name: str, role: Role = Role.STRATEGY_ANALYST, password: str = PASSWORD, **membership: object
    ) -> User:
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
