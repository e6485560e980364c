"""Fixtures of the page tests: the served app (``api``, from tests/api), people with passwords
made by the auth service, and a browser-like client that signs in through the sign-in form."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from arrears.auth.models import User
from arrears.auth.permissions import Role
from tests.api.conftest import Api, api
from tests.auth.conftest import PASSWORD, cheap_hashing, signed_up

__all__ = ["PASSWORD", "api", "browser", "cheap_hashing", "hidden", "sign_in", "signed_up"]

_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)">')


def hidden(page: str, name: str) -> str:
    """The value of the first hidden field ``name`` of a page."""
    for match in _HIDDEN.finditer(page):
        if match["name"] == name:
            return match["value"]
    raise AssertionError(f"no hidden field {name} on the page")


@pytest.fixture
def browser(api: Api) -> Callable[..., httpx.Client]:
    """``browser(language="en")``: a client that keeps cookies and does not follow redirects.
    The cookies are not marked Secure (ARREARS_SESSION_COOKIE_SECURE=false): the test server
    speaks plain HTTP."""
    context = api.app.state.context
    context.settings = context.settings.model_copy(update={"session_cookie_secure": False})

    def make(language: str = "en") -> httpx.Client:
        return api.client(**{"Accept-Language": language})

    return make


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD, next: str = "/") -> httpx.Response:
    """Fill in and send the sign-in form as a browser would (its form token from the page)."""
    form = client.get("/sign-in", params={"next": next})
    assert form.status_code == 200, form.text
    return client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "next": next,
            "form_token": hidden(form.text, "form_token"),
        },
    )


def collector_with_password(signed_up: Callable[..., User], team_id: int, name: str = "li.lei") -> User:
    return signed_up(name, role=Role.COLLECTOR, team_id=team_id)
