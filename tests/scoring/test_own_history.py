"""The labelled sample from Arrears' own snapshots: point-in-time features, outcomes read later."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select

from arrears.delinquency.models import DelinquencySnapshot
from arrears.delinquency.reference import PaymentFact
from arrears.scoring.features import OWN_FEATURES
from arrears.scoring.own_data import SampleError, labelled_sample
from tests.scoring.own_history_book import FIRST, LAST, backfilled_book

HORIZON = 20


def expected_outcomes(engine: Engine, payments: list[PaymentFact], day: date) -> dict[str, int]:
    """Outcome by hand: back to the first bucket, or net payments covering the overdue amount."""
    end = day + timedelta(days=HORIZON)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                DelinquencySnapshot.as_of,
                DelinquencySnapshot.account_id,
                DelinquencySnapshot.dpd,
                DelinquencySnapshot.bucket_rank,
                DelinquencySnapshot.overdue_amount,
            )
        ).all()
    amount_of = {p.payment_id: p.amount for p in payments}
    paid: dict[str, int] = defaultdict(int)
    for p in payments:
        if day < p.paid_on <= end:
            paid[p.account_id] += -amount_of.get(p.reverses, p.amount) if p.reverses else p.amount
    cured = {r.account_id for r in rows if day < r.as_of <= end and r.bucket_rank == 0}
    return {
        r.account_id: int(r.account_id in cured or paid[r.account_id] >= r.overdue_amount)
        for r in rows
        if r.as_of == day and r.dpd > 0
    }


def test_sample_labels_each_delinquent_account_by_what_followed(engine: Engine) -> None:
    payments = backfilled_book(engine)
    last = LAST - timedelta(days=HORIZON)
    with engine.connect() as connection:
        sample = labelled_sample(connection, FIRST, last, HORIZON, step_days=10)
    assert sample.observation_dates == [FIRST + timedelta(days=n) for n in (0, 10, 20)]
    assert sample.data.features.names == OWN_FEATURES
    expected = [
        outcome
        for day in sample.observation_dates
        for _, outcome in sorted(expected_outcomes(engine, payments, day).items())
    ]
    assert sample.data.outcome.tolist() == expected
    assert 0 < sum(expected) < len(expected)
    bucket_now = sample.data.features.column("bucket_now")
    assert (bucket_now >= 1).all()


def test_sample_refuses_a_horizon_past_the_snapshots(engine: Engine) -> None:
    backfilled_book(engine, accounts=20)
    with engine.connect() as connection, pytest.raises(SampleError, match="batch run"):
        labelled_sample(connection, FIRST, LAST - timedelta(days=HORIZON - 1), HORIZON)
