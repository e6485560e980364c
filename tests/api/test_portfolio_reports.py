"""GET /portfolio/summary and /reports/roll-rates over real HTTP, against the same code the CLI runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from arrears.auth.permissions import Role
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.money import to_major
from arrears.portfolio.repository import balances_by_product, row_counts
from arrears.reports.roll_rates import roll_matrix
from tests.api.conftest import Api
from tests.api.work_book import nightly_book

FIRST, LAST = date(2024, 1, 31), date(2024, 3, 31)


def test_summary_and_roll_rates_answer_what_the_cli_computes(
    api: Api, duck: DuckDBEngine, clock: FixedClock
) -> None:
    nightly_book(api, duck, clock, [FIRST, LAST])
    client = api.as_(api.person(Role.SUPERVISOR))

    summary = client.get("/api/v1/portfolio/summary")
    assert summary.status_code == 200, summary.text
    with api.engine.connect() as connection:
        counts, balances = row_counts(connection), balances_by_product(connection)
        by_count = roll_matrix(connection, FIRST, LAST, DelinquencyRules())
        by_balance = roll_matrix(connection, FIRST, LAST, DelinquencyRules(), "balance", "CNY")
    body = summary.json()
    assert body["counts"] == counts and counts["accounts"] == 60
    assert [(b["product"], b["currency"], b["accounts"]) for b in body["balances"]] == [
        (b.product, b.currency, b.accounts) for b in balances
    ]
    for shown, stored in zip(body["balances"], balances, strict=True):
        assert shown["scheduled"] == str(to_major(stored.scheduled, stored.currency))
        assert shown["paid"] == str(to_major(stored.paid, stored.currency))
        assert all(isinstance(shown[k], str) for k in ("principal", "credit_limit", "scheduled", "paid"))
    assert {b["currency"] for b in body["balances"]} >= {"CNY"}

    rolls = client.get(
        "/api/v1/reports/roll-rates", params={"from": FIRST.isoformat(), "to": LAST.isoformat()}
    )
    assert rolls.status_code == 200, rolls.text
    matrix = rolls.json()
    assert (matrix["from"], matrix["to"], matrix["by"]) == ("2024-01-31", "2024-03-31", "count")
    assert matrix["buckets"] == list(by_count.buckets)
    cells = {(row["from"], cell["to"]): cell for row in matrix["rows"] for cell in row["cells"]}
    for (source, target), value in by_count.cells.items():
        assert cells[(source, target)]["accounts"] == value
        assert cells[(source, target)]["rate"] == str(by_count.rate(source, target))
    assert sum(cell["accounts"] for cell in cells.values()) == 60
    for row in matrix["rows"]:
        rates = [Decimal(c["rate"]) for c in row["cells"] if c["rate"] is not None]
        assert not rates or abs(sum(rates) - 1) <= Decimal("0.0001") * len(rates)

    weighted = client.get(
        "/api/v1/reports/roll-rates",
        params={"from": FIRST.isoformat(), "to": LAST.isoformat(), "by": "balance"},
    ).json()
    assert weighted["currency"] == "CNY"  # the bank's default
    shown = {(row["from"], cell["to"]): cell["balance"] for row in weighted["rows"] for cell in row["cells"]}
    for (source, target), minor in by_balance.cells.items():
        assert shown[(source, target)] == str(to_major(minor, "CNY"))
    assert all(isinstance(v, str) for v in shown.values())


def test_roll_rates_refusals_and_permissions(api: Api, duck: DuckDBEngine, clock: FixedClock) -> None:
    nightly_book(api, duck, clock, [FIRST], accounts=10)
    analyst = api.as_(api.person(Role.STRATEGY_ANALYST, language="zh-CN"))
    missing = analyst.get(
        "/api/v1/reports/roll-rates", params={"from": FIRST.isoformat(), "to": "2024-02-15"}
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "no_snapshot"
    assert "2024-02-15" in missing.json()["detail"]
    backwards = analyst.get(
        "/api/v1/reports/roll-rates", params={"from": FIRST.isoformat(), "to": "2024-01-01"}
    )
    assert backwards.status_code == 400
    bad_currency = analyst.get(
        "/api/v1/reports/roll-rates",
        params={"from": "2024-01-01", "to": FIRST.isoformat(), "currency": "XX1"},
    )
    assert bad_currency.status_code == 400
    assert analyst.get("/api/v1/reports/roll-rates", params={"from": FIRST.isoformat()}).status_code == 422
    collector = api.as_(api.person(Role.COLLECTOR))
    assert collector.get("/api/v1/portfolio/summary").status_code == 403
    params = {"from": FIRST.isoformat(), "to": "2024-02-15"}
    assert collector.get("/api/v1/reports/roll-rates", params=params).status_code == 403
