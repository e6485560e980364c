"""API shapes of the reports: the portfolio summary and the roll-rate matrix.

Amounts are decimal strings in major units beside their currency, rates decimal strings (four
places, half-even); never a float.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class ProductBalanceOut(BaseModel):
    product: str
    currency: str
    accounts: int
    principal: str = Field(description="Loans' principal as booked, major units")
    credit_limit: str = Field(description="Cards' and lines' limits, major units")
    scheduled: str = Field(description="Every installment of the schedules, major units")
    paid: str = Field(description="Payments less reversals, major units")


class PortfolioSummaryOut(BaseModel):
    counts: dict[str, int] = Field(description="Stored rows: customers, contact points, accounts, …")
    balances: list[ProductBalanceOut] = Field(description="By product and currency")


class RollCellOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    to: str = Field(description="The bucket at the second date")
    accounts: int | None = Field(default=None, description="by count: accounts that moved so")
    balance: str | None = Field(default=None, description="by balance: their outstanding at the first date")
    rate: str | None = Field(description="Share of the row (0.0000 to 1.0000); none: an empty row")


class RollRowOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="The bucket at the first date")
    accounts: int | None = None
    balance: str | None = None
    cells: list[RollCellOut]


class RollRatesOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    by: str = Field(description="count or balance")
    currency: str | None
    buckets: list[str]
    rows: list[RollRowOut]


class BucketPointOut(BaseModel):
    as_of: date
    bucket: str
    currency: str
    accounts: int
    outstanding: str = Field(description="Outstanding balance, major units")


class FlowDayOut(BaseModel):
    day: date
    entries: int = Field(description="Cases opened or reopened by the batch")
    cures: int = Field(description="Cases cured by the batch")


class PromiseDayOut(BaseModel):
    day: date = Field(description="The business day the promises were settled")
    kept: int
    partly_kept: int
    broken: int
    kept_rate: str | None = Field(
        description="kept / (kept + partly kept + broken); none: no promise settled"
    )


class ContactDayOut(BaseModel):
    day: date
    attempts: int
    connected: int
    right_party: int
    contact_rate: str | None
    right_party_rate: str | None


class CollectedDayOut(BaseModel):
    day: date
    currency: str
    payments: int
    amount: str = Field(description="Payments less reversals, major units")


class QueueAgeOut(BaseModel):
    team_id: int
    queue: str
    cases: int
    ages: list[int] = Field(description="Cases by days in the queue: 0-7, 8-30, 31-90, over 90")


class ProductivityOut(BaseModel):
    team_id: int | None
    collector_id: int | None
    attempts: int
    connected: int
    right_party: int
    promises: int
    right_party_rate: str | None
    promise_rate: str | None


class DashboardOut(BaseModel):
    first: date
    last: date
    team_id: int | None
    product: str | None
    snapshot_dates: list[date]
    buckets: list[BucketPointOut]
    roll_rates: RollRatesOut | None = Field(description="By count, first to last snapshot date of the period")
    flows: list[FlowDayOut]
    promises: list[PromiseDayOut]
    contacts: list[ContactDayOut]
    collected: list[CollectedDayOut]
    queues: list[QueueAgeOut]
    collectors: list[ProductivityOut]
    teams: list[ProductivityOut]
