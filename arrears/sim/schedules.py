"""Installments: every account's schedule, one row per due, built with repeat and cumsum.

Loans amortise in integer arithmetic, no float involved:
- mortgages and SME loans in equal principal (等额本金): interest on the outstanding balance;
- personal and auto loans at a flat rate (等本等息): interest on the amount lent, a constant due.
A card's due is its monthly minimum payment: 10% of the statement balance (interest included),
at least a floor, plus an annual fee on some cards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from arrears.sim.accounts import MINOR_PER_MAJOR, Accounts, month_starts, to_currency
from arrears.sim.profile import Product
from arrears.sim.text import Ints, Mask

CARD_MINIMUM_FLOOR_CNY = 100
CARD_ANNUAL_FEE_CNY = 300
CARD_FEE_SHARE = 0.3  # cards whose annual fee is not waived
CARD_EMPTY_STATEMENT_SHARE = 0.08


@dataclass(frozen=True)
class Schedule:
    account: Ints  # index of the account in the chunk
    seq: Ints
    due: npt.NDArray[np.datetime64]
    amount: Ints
    principal: Ints
    interest: Ints
    fees: Ints
    statement: Ints  # what a customer paying in full pays: the card's statement balance, else the due
    start: Ints  # per account: index of its first row

    @property
    def size(self) -> int:
        return len(self.account)


def build_schedule(rng: np.random.Generator, accounts: Accounts) -> Schedule:
    counts = accounts.installments
    start = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    account = np.repeat(np.arange(accounts.size, dtype=np.int64), counts)
    seq = np.arange(len(account), dtype=np.int64) - start[account] + 1
    due_month = month_starts(accounts.open_month[account] + seq)
    due = due_month + (accounts.due_day[account] - 1).astype("timedelta64[D]")
    principal, interest, fees, statement = _loan_rows(accounts, account, seq)
    card_rows = accounts.is_card[account]
    if card_rows.any():
        _fill_card_rows(rng, accounts, account, seq, card_rows, (principal, interest, fees, statement))
    return Schedule(
        account=account,
        seq=seq,
        due=due,
        amount=principal + interest + fees,
        principal=principal,
        interest=interest,
        fees=fees,
        statement=statement,
        start=start,
    )


def _loan_rows(accounts: Accounts, account: Ints, seq: Ints) -> tuple[Ints, Ints, Ints, Ints]:
    lent = accounts.principal
    term = np.maximum(accounts.installments, 1)
    part = lent // term
    last_extra = lent - part * term
    flat = (accounts.product == Product.PERSONAL_LOAN) | (accounts.product == Product.AUTO_LOAN)
    flat_interest = np.where(flat, lent * accounts.rate_bp // 120_000, -1)  # bp a year -> a month's share
    principal = part[account] + np.where(seq == term[account], last_extra[account], 0)
    outstanding = lent[account] - part[account] * (seq - 1)
    declining_interest = outstanding * accounts.rate_bp[account] // 120_000
    interest = np.where(flat[account], flat_interest[account], declining_interest)
    fees = np.zeros(len(account), dtype=np.int64)
    return principal, interest, fees, principal + interest


def _fill_card_rows(
    rng: np.random.Generator,
    accounts: Accounts,
    account: Ints,
    seq: Ints,
    rows: Mask,
    columns: tuple[Ints, Ints, Ints, Ints],
) -> None:
    principal, interest, fees, statement = columns
    where = np.flatnonzero(rows)
    card = account[where]
    usage_permille = rng.integers(50, 900, accounts.size)[card] * rng.integers(30, 131, len(where)) // 100
    empty = rng.random(len(where)) < CARD_EMPTY_STATEMENT_SHARE
    currency = accounts.currency[card]
    pennies = rng.integers(0, 100, len(where)) * MINOR_PER_MAJOR[currency] + rng.integers(0, 100, len(where))
    spent = accounts.principal[card] * np.minimum(usage_permille, 1000) // 1000
    balance = np.where(
        empty, 0, np.minimum(spent + pennies % (100 * MINOR_PER_MAJOR[currency]), accounts.principal[card])
    )
    floor = to_currency(np.full(len(where), CARD_MINIMUM_FLOOR_CNY, np.int64), currency, 1)
    minimum = np.maximum(np.minimum(floor, balance), balance // 10)
    card_interest = balance * accounts.rate_bp[card] // 120_000
    annual_fee = to_currency(np.full(len(where), CARD_ANNUAL_FEE_CNY, np.int64), currency, 1)
    pays_fee = (rng.random(accounts.size) < CARD_FEE_SHARE)[card] & (seq[where] % 12 == 0)
    fee = np.where(pays_fee, annual_fee, 0)
    interest[where] = card_interest
    principal[where] = minimum - card_interest
    fees[where] = fee
    statement[where] = balance + fee
