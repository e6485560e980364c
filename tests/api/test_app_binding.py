"""An app bound again (arrears.api.app.bind) serves from its new database, clock and metrics only:
the tests serve one app per process this way, and nothing of one test may reach the next."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from arrears.api.app import bind, create_app
from arrears.auth.permissions import Role
from arrears.clock import FixedClock
from arrears.config import load_settings
from tests.api.conftest import API_NOW, Api, serving
from tests.api.test_observability import _metric
from tests.conftest import database

ME = "/api/v1/auth/me"


def test_an_app_bound_again_reads_the_new_database_with_the_new_clock_and_counts_afresh(
    tmp_path: Path,
) -> None:
    settings = load_settings(database_url="sqlite://", language="en")
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with database("sqlite", tmp_path / "first") as first, database("sqlite", tmp_path / "second") as second:
        app = create_app(settings, engine=first, clock=FixedClock(API_NOW))
        with serving(app) as url:
            before = Api(app=app, url=url, engine=first, clock=FixedClock(API_NOW))
            admin = before.person(Role.AUDITOR, "first.auditor")
            assert before.as_(admin).get(ME).json()["username"] == "first.auditor"

            stale = Api(app=app, url=url, engine=second, clock=FixedClock(API_NOW)).person(Role.AUDITOR)
            later = FixedClock(API_NOW + timedelta(days=400))
            bind(app, settings, second, later)
            after = Api(app=app, url=url, engine=second, clock=later)
            assert after.as_(admin).get(ME).status_code == 401  # the first database's token
            assert after.as_(stale).get(ME).status_code == 401  # expired by the new clock
            other = after.person(Role.AUDITOR, "second.auditor")
            assert after.as_(other).get(ME).json()["username"] == "second.auditor"

            text = after.client().get("/metrics").text
            assert (
                _metric(text, f'arrears_http_requests_total{{method="GET",route="{ME}",status="200"}}') == 1
            )
            assert (
                _metric(text, f'arrears_http_requests_total{{method="GET",route="{ME}",status="401"}}') == 2
            )
            before.close()
            after.close()
