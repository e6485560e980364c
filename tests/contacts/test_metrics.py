"""Contact metrics from the log: counts from the codes' counts_as, rates, grouping, scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from arrears.auth.permissions import Role
from arrears.contacts.metrics import rate
from tests.api.conftest import Api
from tests.contacts.helpers import desk, local


def test_rates_per_collector_team_and_day(api: Api) -> None:
    d = desk(api)
    d.at(local(21, 18))
    logged = [
        (local(20, 10), "no_answer"),
        (local(20, 11), "right_party_contact"),
        (local(21, 9), "busy"),
        (local(21, 10), "third_party_reached"),
        (local(21, 11), "promise"),
        (local(21, 12), "refuses_to_pay"),
    ]
    for started, code in logged:
        made = d.log(after_the_fact=True, started_at=started.isoformat(), disposition=code)
        assert made.status_code == 201, made.text
    assert d.log(direction="inbound", disposition="promise").status_code == 201  # not counted
    d.at(local(21, 23))
    assert d.log().status_code == 409  # refused: counts as nothing

    params = {"from": "2026-11-20", "to": "2026-11-21"}
    answer = api.as_(d.supervisor).get("/api/v1/contacts/metrics", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["group_by"]) == ("2026-11-20", "2026-11-21", "collector")
    rows = [
        (
            r["day"],
            r["team_id"],
            r["collector_id"],
            r["attempts"],
            r["connected"],
            r["right_party"],
            r["promises"],
        )
        for r in body["rows"]
    ]
    who = (d.team, d.collector.user_id)
    assert rows == [("2026-11-20", *who, 2, 1, 1, 0), ("2026-11-21", *who, 4, 3, 2, 1)]
    day = body["rows"][1]
    assert (day["contact_rate"], day["right_party_rate"], day["promise_rate"], day["third_party"]) == (
        "0.7500",
        "0.5000",
        "0.5000",
        1,
    )
    total = body["total"]
    assert (total["attempts"], total["connected"], total["contact_rate"]) == (6, 4, "0.6667")

    by_day = api.as_(d.supervisor).get("/api/v1/contacts/metrics", params=params | {"group_by": "day"}).json()
    assert [(r["day"], r["team_id"], r["collector_id"], r["attempts"]) for r in by_day["rows"]] == [
        ("2026-11-20", None, None, 2),
        ("2026-11-21", None, None, 4),
    ]
    by_team = api.as_(d.supervisor).get(
        "/api/v1/contacts/metrics", params=params | {"group_by": "team", "team_id": d.team}
    )
    assert [r["team_id"] for r in by_team.json()["rows"]] == [d.team, d.team]

    other = desk(api, "MX").supervisor
    assert api.as_(other).get("/api/v1/contacts/metrics", params=params).json()["rows"] == []
    analyst = api.person(Role.STRATEGY_ANALYST)
    assert len(api.as_(analyst).get("/api/v1/contacts/metrics", params=params).json()["rows"]) == 2
    assert api.as_(d.collector).get("/api/v1/contacts/metrics", params=params).status_code == 403
    backwards = api.as_(analyst).get(
        "/api/v1/contacts/metrics", params={"from": "2026-11-21", "to": "2026-11-20"}
    )
    assert backwards.status_code == 400
    too_long = api.as_(analyst).get(
        "/api/v1/contacts/metrics", params={"from": "2025-01-01", "to": "2026-11-20"}
    )
    assert too_long.status_code == 400
    assert api.as_(analyst).get("/api/v1/contacts/metrics").status_code == 422


def test_a_contact_counts_on_the_banks_business_day(api: Api) -> None:
    d = desk(api)
    d.at(local(21, 9))
    # 07:30 in Shanghai on the 21st is 23:30 UTC on the 20th: the bank's day is the 21st
    made = d.log(after_the_fact=True, started_at=(local(21, 7, 30)).isoformat())
    assert made.status_code == 201
    rows = (
        api.as_(d.supervisor)
        .get("/api/v1/contacts/metrics", params={"from": "2026-11-21", "to": "2026-11-21"})
        .json()["rows"]
    )
    assert [(r["day"], r["attempts"]) for r in rows] == [("2026-11-21", 1)]
    assert (local(21, 7, 30) - timedelta(hours=0)).date().isoformat() == "2026-11-20"


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_a_rate_is_exact_to_four_places(part: int, whole: int) -> None:
    found = rate(part, whole)
    assert found is not None and found.as_tuple().exponent == -4
    assert abs(found - Decimal(part) / Decimal(whole)) <= Decimal("0.00005")


def test_no_rate_without_a_divisor() -> None:
    assert rate(0, 0) is None and rate(3, 0) is None
