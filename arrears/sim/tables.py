"""The feed's accounts, installments and payments tables, and each account's status.

Statuses follow what the payments did: a loan paid off after its last due is closed, and
about half of the accounts more than 180 days past due are charged off.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from arrears.sim.accounts import Accounts
from arrears.sim.payments import CHANNELS, Payments
from arrears.sim.people import PLACES, People
from arrears.sim.profile import CURRENCIES, PRODUCT_NAMES
from arrears.sim.schedules import Schedule
from arrears.sim.text import Ints, dates, fixed_point, major_text, numbered, pick, scatter

STATUSES = ("active", "closed", "charged_off")
CHARGE_OFF_DPD = 180
CHARGE_OFF_SHARE = 0.5


def sum_by(keys: Ints, values: Ints, size: int) -> Ints:
    """Sum of values per key 0..size-1, for keys already sorted (exact int64 arithmetic)."""
    total = np.zeros(size, dtype=np.int64)
    if len(keys):
        first = first_of_runs(keys)
        total[keys[first]] = np.add.reduceat(values, first)
    return total


def first_of_runs(keys: Ints) -> Ints:
    """Positions where a run of equal sorted keys begins."""
    if not len(keys):
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))


def days_past_due(accounts: Accounts, schedule: Schedule, payments: Payments, as_of: np.datetime64) -> Ints:
    """DPD per account: net paid applied oldest first, the oldest due before as_of left short."""
    signed = np.where(payments.reverses < 0, payments.amount, -payments.amount)
    net_paid = sum_by(payments.account, signed, accounts.size)
    running = np.cumsum(schedule.amount)
    before_account = running[schedule.start] - schedule.amount[schedule.start]
    covered_through = running - np.repeat(before_account, accounts.installments)
    short = (schedule.due < as_of) & (covered_through > net_paid[schedule.account])
    dpd = np.zeros(accounts.size, dtype=np.int64)
    rows = np.flatnonzero(short)
    first = rows[first_of_runs(schedule.account[rows])]
    dpd[schedule.account[first]] = (as_of - schedule.due[first]).astype(np.int64)
    return dpd


def account_status(
    rng: np.random.Generator, accounts: Accounts, schedule: Schedule, payments: Payments, as_of: np.datetime64
) -> Ints:
    dpd = days_past_due(accounts, schedule, payments, as_of)
    last_due = schedule.due[schedule.start + accounts.installments - 1]
    paid_off = (~accounts.is_card) & (last_due < as_of) & (dpd == 0)
    charged_off = (dpd > CHARGE_OFF_DPD) & (rng.random(accounts.size) < CHARGE_OFF_SHARE)
    return np.where(charged_off, 2, np.where(paid_off, 1, 0))


def account_ids(accounts: Accounts) -> pa.Array:
    return numbered("A", accounts.number, 10)


def accounts_table(accounts: Accounts, people: People, status: Ints) -> pa.Table:
    card = accounts.is_card
    exponent = accounts.exponent
    return pa.table(
        {
            "account_id": account_ids(accounts),
            "customer_id": people.customer_id.take(pa.array(accounts.owner)),
            "product": pick(PRODUCT_NAMES, accounts.product),
            "currency": pick(CURRENCIES, accounts.currency),
            "opened_on": dates(accounts.opened),
            "principal": major_text(accounts.principal, exponent, missing=card),
            "credit_limit": major_text(accounts.principal, exponent, missing=~card),
            "interest_rate": fixed_point(accounts.rate_bp, 4),
            "status": pick(STATUSES, status),
            "branch": pick([p.branch for p in PLACES], people.place[accounts.owner]),
        }
    )


def installments_table(accounts: Accounts, ids: pa.Array, schedule: Schedule) -> pa.Table:
    exponent = accounts.exponent[schedule.account]
    return pa.table(
        {
            "account_id": ids.take(pa.array(schedule.account)),
            "seq": pa.array(schedule.seq.astype(np.int32)),
            "due_date": dates(schedule.due),
            "amount_due": major_text(schedule.amount, exponent),
            "principal_due": major_text(schedule.principal, exponent),
            "interest_due": major_text(schedule.interest, exponent),
            "fees_due": major_text(schedule.fees, exponent),
        }
    )


def reversed_payment_ids(payments: Payments, first_number: int) -> pa.Array:
    """The payment_id each reversal takes back; null on the other rows."""
    reverses = payments.reverses
    reversal = reverses >= 0
    return scatter(
        payments.size,
        [
            (np.flatnonzero(reversal), numbered("P", first_number + reverses[reversal], 12)),
            (np.flatnonzero(~reversal), pa.nulls(int((~reversal).sum()), pa.string())),
        ],
    )


def payments_table(accounts: Accounts, ids: pa.Array, payments: Payments, first_number: int) -> pa.Table:
    numbers = np.arange(first_number, first_number + payments.size, dtype=np.int64)
    return pa.table(
        {
            "payment_id": numbered("P", numbers, 12),
            "account_id": ids.take(pa.array(payments.account)),
            "paid_on": dates(payments.paid_on),
            "amount": major_text(payments.amount, accounts.exponent[payments.account]),
            "channel": pick(CHANNELS, payments.channel),
            "reverses": reversed_payment_ids(payments, first_number),
        }
    )
