"""Routes of the reports under /api/v1: the portfolio summary and roll rates (thin: parse, check
access, call the same code as ``arrears portfolio summary`` and ``arrears report roll-rates``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import problem_responses
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.delinquency.rules import DelinquencyRules, load_rules
from arrears.money import to_major
from arrears.portfolio.repository import balances_by_product, row_counts
from arrears.reports.roll_rates import BY_BALANCE, BY_COUNT, RollMatrix, roll_matrix
from arrears.reports.schemas import (
    PortfolioSummaryOut,
    ProductBalanceOut,
    RollCellOut,
    RollRatesOut,
    RollRowOut,
)

router = APIRouter(tags=["reports"])


def _major(minor: int, currency: str) -> str:
    return str(to_major(minor, currency))


@router.get(
    "/portfolio/summary",
    response_model=PortfolioSummaryOut,
    responses=problem_responses(403),
    summary="Counts of the stored portfolio and balances by product",
)
def portfolio_summary(
    principal: Annotated[Principal, Depends(requires(Permission.PORTFOLIO_READ))], session: DatabaseSession
) -> PortfolioSummaryOut:
    """What ``arrears portfolio summary`` shows: aggregates only, no customer's data."""
    connection = session.connection()
    balances = [
        ProductBalanceOut(
            product=b.product,
            currency=b.currency,
            accounts=b.accounts,
            principal=_major(b.principal, b.currency),
            credit_limit=_major(b.credit_limit, b.currency),
            scheduled=_major(b.scheduled, b.currency),
            paid=_major(b.paid, b.currency),
        )
        for b in balances_by_product(connection)
    ]
    return PortfolioSummaryOut(counts=row_counts(connection), balances=balances)


@router.get(
    "/reports/roll-rates",
    response_model=RollRatesOut,
    response_model_by_alias=True,
    responses=problem_responses(400, 403, 404),
    summary="The bucket-to-bucket roll-rate matrix between two snapshot dates",
)
def roll_rates(
    principal: Annotated[Principal, Depends(requires(Permission.REPORT_READ))],
    session: DatabaseSession,
    request: Request,
    first: Annotated[date, Query(alias="from", description="First snapshot date")],
    last: Annotated[date, Query(alias="to", description="Second snapshot date")],
    by: Annotated[
        Literal["count", "balance"], Query(description="count, or balance outstanding at the first date")
    ] = "count",
    currency: Annotated[
        str | None, Query(description="Only accounts in this currency (by balance: default the bank's)")
    ] = None,
) -> RollRatesOut:
    """What ``arrears report roll-rates`` computes: each row's share moving to each bucket."""
    settings = request.app.state.context.settings
    if by == BY_BALANCE and currency is None:
        currency = settings.default_currency
    rules = load_rules(settings.delinquency_rules) if settings.delinquency_rules else DelinquencyRules()
    matrix = roll_matrix(session.connection(), first, last, rules, by, currency)
    return _shown(matrix)


def _shown(matrix: RollMatrix) -> RollRatesOut:
    currency = matrix.currency or ""
    by_count = matrix.by == BY_COUNT

    def amount(value: int) -> tuple[int | None, str | None]:
        return (value, None) if by_count else (None, _major(value, currency))

    rows = []
    for source in matrix.buckets:
        cells = []
        for target in matrix.buckets:
            accounts, balance = amount(matrix.cells.get((source, target), 0))
            rate = matrix.rate(source, target)
            cells.append(
                RollCellOut(
                    to=target, accounts=accounts, balance=balance, rate=None if rate is None else str(rate)
                )
            )
        accounts, balance = amount(matrix.row_total(source))
        rows.append(RollRowOut(from_=source, accounts=accounts, balance=balance, cells=cells))
    return RollRatesOut(
        from_=matrix.first,
        to=matrix.last,
        by=matrix.by,
        currency=matrix.currency,
        buckets=list(matrix.buckets),
        rows=rows,
    )
