"""Sign-in and sign-out through the pages over real HTTP, on SQLite and PostgreSQL: the same
service and session cookie as the API, the form tokens, refusals shown kindly, the redirect to
the sign-in page and its notice when the session has expired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.web.conftest import PASSWORD, hidden, sign_in


def test_sign_in_sets_the_session_cookie_and_goes_where_asked(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("wang.fang", role=Role.COMPLIANCE_OFFICER)
    client = browser()
    answer = sign_in(client, "wang.fang", next="/?from=test")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?from=test"
    cookies = answer.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("arrears_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "wang.fang" in home.text and "compliance officer" in home.text
    with Session(api.engine) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "auth.sign_in")).all()
    assert actions == ["auth.sign_in"]


def test_cookies_are_secure_by_default(api: Api) -> None:
    answer = api.client().get("/sign-in")
    assert answer.status_code == 200
    form_cookie = answer.headers["set-cookie"]
    assert form_cookie.startswith("arrears_form=")
    assert "Secure" in form_cookie and "HttpOnly" in form_cookie and "SameSite=strict" in form_cookie


def test_a_wrong_password_is_refused_on_the_form(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("wang.fang")
    client = browser()
    answer = sign_in(client, "wang.fang", password="not the password at all")
    assert answer.status_code == 401
    assert "The user name or the password is wrong" in answer.text
    assert 'name="username"' in answer.text and 'value="wang.fang"' in answer.text
    assert "arrears_session" not in client.cookies
    assert client.get("/").status_code == 303


def test_too_many_failures_say_how_long_to_wait(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("wang.fang")
    client = browser("zh-CN")
    limit = api.app.state.context.settings.sign_in_max_failures
    for _ in range(limit):
        assert sign_in(client, "wang.fang", password="wrong wrong wrong").status_code == 401
    answer = sign_in(client, "wang.fang")
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in answer.text


def test_the_sign_in_form_without_its_token_is_refused(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("wang.fang")
    client = browser()
    client.get("/sign-in")
    answer = client.post("/sign-in", data={"username": "wang.fang", "password": PASSWORD})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "CSRF token is missing or wrong" in answer.text
    assert "arrears_session" not in client.cookies


def test_a_form_without_the_session_csrf_token_is_refused(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("wang.fang")
    client = browser()
    assert sign_in(client, "wang.fang").status_code == 303
    refused = client.post("/sign-out", data={})
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post("/sign-out", data={"csrf_token": "not-the-token"})
    assert wrong.status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    token = hidden(client.get("/").text, "csrf_token")
    out = client.post("/sign-out", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert client.get("/").status_code == 303


def test_not_signed_in_goes_to_the_sign_in_page(api: Api, browser: Callable[..., httpx.Client]) -> None:
    client = browser()
    answer = client.get("/cases/C-1-20261101", params={"tab": "x"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fcases%2FC-1-20261101%3Ftab%3Dx"
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="/cases/C-1-20261101?tab=x">' in page.text
    assert "session has expired" not in page.text


def test_an_expired_session_says_so(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("wang.fang")
    client = browser()
    assert sign_in(client, "wang.fang").status_code == 303
    api.clock.advance(api.app.state.context.lifetimes.idle + timedelta(seconds=1))
    answer = client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2F&expired=1"
    assert "arrears_session" not in client.cookies
    page = client.get(answer.headers["location"])
    assert "Your session has expired: please sign in again." in page.text


def test_a_foreign_next_address_goes_home(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("wang.fang")
    answer = sign_in(browser(), "wang.fang", next="//evil.example/")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
