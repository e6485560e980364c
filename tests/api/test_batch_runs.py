"""GET /batch/runs over real HTTP: the run log, newest first, by cursor."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from arrears.auth.permissions import Role
from arrears.batch.models import BatchRun
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from tests.api.conftest import Api
from tests.api.work_book import nightly_book

DATES = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_the_run_log_is_listed_newest_first_page_by_page(
    api: Api, duck: DuckDBEngine, clock: FixedClock
) -> None:
    nightly_book(api, duck, clock, DATES)
    analyst = api.person(Role.STRATEGY_ANALYST)
    client = api.as_(analyst)

    first = client.get("/api/v1/batch/runs", params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [run["as_of"] for run in page["runs"]] == ["2024-03-31", "2024-02-29"]
    rest = client.get("/api/v1/batch/runs", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [run["as_of"] for run in rest["runs"]] == ["2024-01-31"]
    assert rest["next_cursor"] is None

    with api.engine.connect() as connection:
        stored = {row.as_of.isoformat(): row for row in connection.execute(select(BatchRun))}
    for run in page["runs"] + rest["runs"]:
        row = stored[run["as_of"]]
        assert (run["status"], run["accounts"], run["delinquent"], run["cases_opened"], run["attempts"]) == (
            row.status,
            row.accounts,
            row.delinquent,
            row.cases_opened,
            row.attempts,
        )
        assert run["accounts"] == 60
        assert run["started_at"].endswith(("Z", "+00:00"))
    assert sum(run["cases_opened"] for run in page["runs"] + rest["runs"]) > 0


def test_the_run_log_is_refused_to_a_collector_and_a_bad_cursor_is_400(api: Api) -> None:
    collector = api.person(Role.COLLECTOR)
    assert api.as_(collector).get("/api/v1/batch/runs").status_code == 403
    auditor = api.person(Role.AUDITOR)
    empty = api.as_(auditor).get("/api/v1/batch/runs")
    assert empty.status_code == 200 and empty.json() == {"runs": [], "next_cursor": None}
    bad = api.as_(auditor).get("/api/v1/batch/runs", params={"cursor": "eyJ4IjoxfQ"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"
