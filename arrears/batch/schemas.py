"""API shapes of the batch: its run log."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from arrears.batch.models import BatchRun


class RunOut(BaseModel):
    as_of: date
    status: str = Field(description="succeeded or failed")
    engine: str
    accounts: int
    delinquent: int
    cases_opened: int
    cases_closed: int
    attempts: int = Field(description="How many times the date has been run")
    started_at: datetime
    finished_at: datetime
    error: str | None

    @classmethod
    def of(cls, run: BatchRun) -> RunOut:
        return cls(
            as_of=run.as_of,
            status=run.status,
            engine=run.engine,
            accounts=run.accounts,
            delinquent=run.delinquent,
            cases_opened=run.cases_opened,
            cases_closed=run.cases_closed,
            attempts=run.attempts,
            started_at=run.started_at,
            finished_at=run.finished_at,
            error=run.error,
        )


class RunsOut(BaseModel):
    runs: list[RunOut] = Field(description="Newest as-of date first")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; none: the last page")
