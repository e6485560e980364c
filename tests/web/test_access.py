"""Every page route, read from the app: it declares exactly one page access (the route matrix of
the API skips pages); without a web session a page that needs one answers 303 to the sign-in
page, never a 401 problem document; a bearer token does not sign a page in."""

from __future__ import annotations

import pytest

from arrears.api.access import declared_access, endpoints
from arrears.api.app import create_app
from arrears.auth.permissions import Role
from arrears.config import load_settings
from tests.api.conftest import Api

PAGES = [route for route in endpoints(create_app(load_settings(database_url="sqlite://"))) if route.is_page]
CALLS = [
    pytest.param(method, route.path, declared_access(route.dependant)[0], id=f"{method}:{route.path}")
    for route in PAGES
    for method in sorted(route.methods - {"HEAD"})
]


def test_the_pages_are_found_and_each_declares_one_access() -> None:
    assert {route.path for route in PAGES} >= {"/", "/sign-in", "/sign-out", "/next-case", "/cases/{case_id}"}
    assert all(len(declared_access(route.dependant)) == 1 for route in PAGES)


@pytest.mark.parametrize(("method", "path", "access"), CALLS)
def test_a_page_without_a_session(api: Api, method: str, path: str, access: object) -> None:
    concrete = path.replace("{case_id}", "C-1-20261101")
    token = api.person(Role.SUPERVISOR).token
    for client in (api.client(), api.client(token)):
        answer = client.request(method, concrete, data={} if method == "POST" else None)
        assert answer.status_code < 500, answer.text
        assert answer.status_code != 401
        if getattr(access, "kind", None) == "public":
            assert answer.status_code != 303 or answer.headers["location"] != "/sign-in", path
        else:
            assert answer.status_code == 303, f"{method} {path}: {answer.status_code}"
            # the customer's portal signs in with a one-time code on its own page
            sign_in = "/portal/sign-in" if path.startswith("/portal") else "/sign-in"
            assert answer.headers["location"].startswith(sign_in + "?next=")
