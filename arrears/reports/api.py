"""Routes of the reports under /api/v1: the portfolio summary and roll rates (thin: parse, check
access, call the same code as ``arrears portfolio summary`` and ``arrears report roll-rates``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import problem_responses, today
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.contacts.dispositions import dispositions
from arrears.delinquency.rules import DelinquencyRules, load_rules
from arrears.money import to_major
from arrears.portfolio.repository import balances_by_product, row_counts
from arrears.reports.dashboard import Dashboard, Filters, Productivity, dashboard, default_period
from arrears.reports.roll_rates import BY_BALANCE, BY_COUNT, RollMatrix, roll_matrix
from arrears.reports.schemas import (
    BucketPointOut,
    CollectedDayOut,
    ContactDayOut,
    DashboardOut,
    FlowDayOut,
    PortfolioSummaryOut,
    ProductBalanceOut,
    ProductivityOut,
    PromiseDayOut,
    QueueAgeOut,
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


def _rate(value: object) -> str | None:
    return None if value is None else str(value)


@router.get(
    "/reports/dashboard",
    response_model=DashboardOut,
    responses=problem_responses(400, 403),
    summary="The dashboard's figures for a period, a team and a product",
)
def dashboard_figures(
    principal: Annotated[Principal, Depends(requires(Permission.REPORT_READ))],
    session: DatabaseSession,
    request: Request,
    first: Annotated[
        date | None, Query(alias="from", description="First business day (default: 90 days ago)")
    ] = None,
    last: Annotated[date | None, Query(alias="to", description="Last business day (default: today)")] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="The figures of one team")] = None,
    product: Annotated[
        Literal["credit_card", "personal_loan", "mortgage", "auto_loan", "sme_loan"] | None,
        Query(description="The figures of one product's accounts"),
    ] = None,
) -> DashboardOut:
    """What the dashboard page shows (each figure one aggregate SQL statement; see docs/reports.md)."""
    settings = request.app.state.context.settings
    start, end = default_period(today(request))
    rules = load_rules(settings.delinquency_rules) if settings.delinquency_rules else DelinquencyRules()
    figures = dashboard(
        session,
        principal,
        dispositions(settings.dispositions),
        rules,
        Filters(first or start, last or end, team_id, product),
        today=today(request),
    )
    return _dashboard_out(figures)


def _productivity(p: Productivity) -> ProductivityOut:
    return ProductivityOut(
        team_id=p.team_id,
        collector_id=p.collector_id,
        attempts=p.attempts,
        connected=p.connected,
        right_party=p.right_party,
        promises=p.promises,
        right_party_rate=_rate(p.right_party_rate),
        promise_rate=_rate(p.promise_rate),
    )


def _dashboard_out(d: Dashboard) -> DashboardOut:
    return DashboardOut(
        first=d.filters.first,
        last=d.filters.last,
        team_id=d.filters.team_id,
        product=d.filters.product,
        snapshot_dates=d.snapshot_dates,
        buckets=[
            BucketPointOut(
                as_of=p.as_of,
                bucket=p.bucket,
                currency=p.currency,
                accounts=p.accounts,
                outstanding=_major(p.outstanding, p.currency),
            )
            for p in d.buckets
        ],
        roll_rates=None if d.roll is None else _shown(d.roll),
        flows=[FlowDayOut(day=f.day, entries=f.entries, cures=f.cures) for f in d.flows],
        promises=[
            PromiseDayOut(
                day=p.day,
                kept=p.kept,
                partly_kept=p.partly_kept,
                broken=p.broken,
                kept_rate=_rate(p.kept_rate),
            )
            for p in d.promises
        ],
        contacts=[
            ContactDayOut(
                day=r.day or d.filters.first,
                attempts=r.attempts,
                connected=r.connected,
                right_party=r.right_party,
                contact_rate=_rate(r.contact_rate),
                right_party_rate=_rate(r.right_party_rate),
            )
            for r in d.contacts
        ],
        collected=[
            CollectedDayOut(
                day=c.day, currency=c.currency, payments=c.payments, amount=_major(c.amount, c.currency)
            )
            for c in d.collected
        ],
        queues=[
            QueueAgeOut(team_id=q.team_id, queue=q.queue, cases=q.cases, ages=list(q.ages)) for q in d.queues
        ],
        collectors=[_productivity(p) for p in d.collectors],
        teams=[_productivity(p) for p in d.teams],
    )
