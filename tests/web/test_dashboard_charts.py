"""Every chart of the dashboard writes the numbers of its value axis grouped by the reader's
locale (1,500,000), never ungrouped (1500000) nor in exponent form, as the bucket charts do."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from arrears.contacts.metrics import MetricsRow
from arrears.reports.dashboard import (
    BucketPoint,
    CollectedDay,
    Dashboard,
    Filters,
    FlowDay,
    Productivity,
    PromiseDay,
    QueueAge,
)
from arrears.web.dashboard import charts

FIRST = date(2026, 11, 1)
DAYS = [FIRST + timedelta(days=i) for i in range(5)]

TEXTS = re.compile(r">([^<>]+)</text>")
UNGROUPED = re.compile(r"\d{4,}(?!/)")  # not a year of a date label (2026/11/1)
GROUPED = re.compile(r"^\d{1,3}(,\d{3})+$")


def big_dashboard() -> Dashboard:
    """Millions everywhere: accounts, cases, payments (in major units), contacts."""
    return Dashboard(
        filters=Filters(DAYS[0], DAYS[-1]),
        snapshot_dates=DAYS,
        buckets=[BucketPoint(d, "M1", "CNY", 1_500_000 + i, 10**13 + i) for i, d in enumerate(DAYS)],
        roll=None,
        flows=[FlowDay(d, 1_200_000 + i, 900_000) for i, d in enumerate(DAYS)],
        promises=[PromiseDay(d, 2, 1, 1) for d in DAYS],
        contacts=[MetricsRow(d, 1, None, 3_000_000, 2_000_000, 0, 1_000_000, 500_000) for d in DAYS],
        collected=[CollectedDay(d, "CNY", 987_654_321_00 + i, 40_000) for i, d in enumerate(DAYS)],
        queues=[QueueAge(1, "early", 2_000_000, (1_000_000, 500_000, 300_000, 200_000))],
        collectors=[Productivity(1, 7, 2_500_000, 2_000_000, 1_000_000, 600_000)],
        teams=[Productivity(1, None, 2_500_000, 2_000_000, 1_000_000, 600_000)],
        team_names={1: "Team one"},
        user_names={7: "Collector"},
    )


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_charts_axis_numbers_are_grouped(language: str) -> None:
    drawn = charts(big_dashboard(), language, "CNY")
    assert set(drawn) == {
        "buckets",
        "balance",
        "flows",
        "promises",
        "contacts",
        "collected",
        "queues",
        "collectors",
    }
    for name, svg in drawn.items():
        texts = [t.strip() for t in TEXTS.findall(str(svg))]
        assert not [t for t in texts if UNGROUPED.search(t)], (name, texts)
        assert "e+" not in " ".join(texts), name
        if name not in ("promises", "contacts"):  # rates: 0 to 100
            assert [t for t in texts if GROUPED.match(t)], (name, texts)
