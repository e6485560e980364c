"""Test portfolios: hypothesis strategies, fact-to-frame conversion and a seeded generated book."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from hypothesis import strategies as st

from arrears.delinquency.frames import PREVIOUS_SCHEMA
from arrears.delinquency.reference import AccountFact, InstallmentFact, PaymentFact
from arrears.portfolio.frames import PortfolioFrames

START = date(2024, 1, 1)
CURRENCIES = ("CNY", "JPY", "USD")
STATUSES = ("active", "active", "active", "closed", "charged_off")


@st.composite
def account_book(
    draw: st.DrawFn, number: int
) -> tuple[AccountFact, list[InstallmentFact], list[PaymentFact]]:
    """One account with a schedule (ties on due dates included) and payments, some reversed."""
    account_id = f"A{number:04d}"
    account = AccountFact(
        account_id,
        f"C{draw(st.integers(0, 5))}",
        draw(st.sampled_from(CURRENCIES)),
        draw(st.sampled_from(STATUSES)),
        # some accounts open during the dates the tests look at: no snapshot holds them before
        draw(st.one_of(st.none(), st.integers(0, 140).map(lambda days: START + timedelta(days=days)))),
    )
    offsets = draw(st.lists(st.integers(0, 120), min_size=0, max_size=8))
    amounts = draw(st.lists(st.integers(0, 5_000), min_size=len(offsets), max_size=len(offsets)))
    seqs = draw(st.permutations(list(range(1, len(offsets) + 1))))
    installments = [
        InstallmentFact(account_id, seq, START + timedelta(days=offset), amount)
        for seq, offset, amount in zip(seqs, offsets, amounts, strict=True)
    ]
    payments: list[PaymentFact] = []
    for index in range(draw(st.integers(0, 5))):
        paid = PaymentFact(
            f"{account_id}-P{index}",
            account_id,
            START + timedelta(days=draw(st.integers(0, 130))),
            draw(st.integers(1, 8_000)),
        )
        payments.append(paid)
        if draw(st.integers(0, 4)) == 0:
            reversal_day = paid.paid_on + timedelta(days=draw(st.integers(0, 20)))
            payments.append(
                PaymentFact(f"{paid.payment_id}-R", account_id, reversal_day, paid.amount, paid.payment_id)
            )
    return account, installments, payments


@st.composite
def portfolios(
    draw: st.DrawFn, max_accounts: int = 12, min_accounts: int = 1
) -> tuple[list[AccountFact], list[InstallmentFact], list[PaymentFact]]:
    books = [draw(account_book(n)) for n in range(draw(st.integers(min_accounts, max_accounts)))]
    return (
        [b[0] for b in books],
        [i for b in books for i in b[1]],
        [p for b in books for p in b[2]],
    )


def frames_of(
    accounts: Sequence[AccountFact], installments: Sequence[InstallmentFact], payments: Sequence[PaymentFact]
) -> PortfolioFrames:
    return PortfolioFrames.of(
        pa.table(
            {
                "account_id": [a.account_id for a in accounts],
                "customer_id": [a.customer_id for a in accounts],
                "currency": [a.currency for a in accounts],
                "status": [a.status for a in accounts],
                "opened_on": pa.array([a.opened_on for a in accounts], pa.date32()),
            }
        ),
        pa.table(
            {
                "account_id": pa.array([i.account_id for i in installments], pa.string()),
                "seq": pa.array([i.seq for i in installments], pa.int64()),
                "due_date": pa.array([i.due_date for i in installments], pa.date32()),
                "amount_due": pa.array([i.amount_due for i in installments], pa.int64()),
            }
        ),
        pa.table(
            {
                "payment_id": pa.array([p.payment_id for p in payments], pa.string()),
                "account_id": pa.array([p.account_id for p in payments], pa.string()),
                "paid_on": pa.array([p.paid_on for p in payments], pa.date32()),
                "amount": pa.array([p.amount for p in payments], pa.int64()),
                "reverses": pa.array([p.reverses for p in payments], pa.string()),
            }
        ),
    )


def previous_frame(previous: dict[str, str]) -> pa.Table:
    """The previous snapshot's buckets by account, as an engine takes them."""
    return pa.table(
        {"account_id": list(previous), "bucket": list(previous.values())},
        schema=PREVIOUS_SCHEMA,
    )


def generated_book(accounts: int, seed: int) -> PortfolioFrames:
    """A seeded book built with NumPy: 12-36 monthly installments, payers, late payers, stoppers."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:07d}" for i in range(accounts)])
    counts = rng.integers(12, 37, accounts)
    opened = rng.integers(0, 400, accounts)
    amount = rng.integers(100, 500_000, accounts)
    currency = rng.choice(np.array(CURRENCIES), accounts, p=[0.8, 0.1, 0.1])
    account_of = np.repeat(np.arange(accounts), counts)
    seq = np.concatenate([np.arange(1, c + 1) for c in counts])
    due_day = opened[account_of] + 30 * seq
    base = np.datetime64(START) - np.timedelta64(400, "D")
    due = base + due_day.astype("timedelta64[D]")
    behaviour = rng.choice(4, accounts, p=[0.7, 0.15, 0.1, 0.05])  # on time, late, partial, stops
    stop_at = rng.integers(1, 20, accounts)
    pays = (behaviour[account_of] != 3) | (seq < stop_at[account_of])
    lateness = np.where(
        behaviour[account_of] == 1, rng.integers(0, 70, len(seq)), rng.integers(-3, 1, len(seq))
    )
    share = np.where(behaviour[account_of] == 2, rng.integers(30, 100, len(seq)), 100)
    paid_amount = amount[account_of] * share // 100
    paid_rows = np.flatnonzero(pays & (paid_amount > 0))
    paid_on = due[paid_rows] + lateness[paid_rows].astype("timedelta64[D]")
    payment_ids = np.array([f"P{i:08d}" for i in range(len(paid_rows))])
    reversed_rows = np.flatnonzero(rng.random(len(paid_rows)) < 0.02)
    reversal_ids = np.array([f"R{i:08d}" for i in reversed_rows])
    return PortfolioFrames.of(
        pa.table(
            {
                "account_id": ids,
                "customer_id": np.array([f"C{i // 2:07d}" for i in range(accounts)]),
                "currency": currency,
                "status": rng.choice(
                    np.array(["active", "closed", "charged_off"]), accounts, p=[0.9, 0.05, 0.05]
                ),
            }
        ),
        pa.table(
            {"account_id": ids[account_of], "seq": seq, "due_date": due, "amount_due": amount[account_of]}
        ),
        pa.table(
            {
                "payment_id": np.concatenate([payment_ids, reversal_ids]),
                "account_id": np.concatenate(
                    [ids[account_of[paid_rows]], ids[account_of[paid_rows[reversed_rows]]]]
                ),
                "paid_on": np.concatenate([paid_on, paid_on[reversed_rows] + np.timedelta64(3, "D")]),
                "amount": np.concatenate([paid_amount[paid_rows], paid_amount[paid_rows[reversed_rows]]]),
                "reverses": pa.array(
                    [None] * len(payment_ids) + list(payment_ids[reversed_rows]), pa.string()
                ),
            }
        ),
    )


def facts_of(book: PortfolioFrames) -> tuple[list[AccountFact], list[InstallmentFact], list[PaymentFact]]:
    """The plain facts of a frame book, for the reference and for inserting into a database."""
    return (
        [AccountFact(**row) for row in book.accounts.to_pylist()],
        [InstallmentFact(**row) for row in book.installments.to_pylist()],
        [PaymentFact(**row) for row in book.payments.to_pylist()],
    )
