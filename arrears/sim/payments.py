"""Payments: each customer's behaviour played over their schedules up to the as-of date.

One candidate payment per installment, kept or dropped and sized by the owner's behaviour:
- on time: the due (a card paid in full: the statement balance), 0-5 days before its due date;
- late then cures: the dues of one episode are missed, then paid in one lump with the next due;
- partial: a fixed share of every due, up to 15 days late;
- stops paying: on time until the stop date, nothing after.
Then a few payments bounce: a reversal row (same account and amount, ``reverses`` the payment)
follows a few days later, and most on-time payers pay again by transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from arrears.sim.accounts import Accounts, dues_before
from arrears.sim.people import People, weighted
from arrears.sim.profile import Behaviour, Profile
from arrears.sim.schedules import Schedule
from arrears.sim.text import Ints, Mask

CHANNELS = ("direct_debit", "mobile_banking", "wechat_pay", "alipay", "bank_transfer", "counter", "unionpay")
CHANNEL_WEIGHTS = (0.30, 0.25, 0.15, 0.12, 0.10, 0.04, 0.04)
REPAY_CHANNEL = CHANNELS.index("bank_transfer")
CARD_PAID_IN_FULL_SHARE = 0.4
REPAY_AFTER_REVERSAL_SHARE = 0.7
NO_REFERENCE = -1


@dataclass(frozen=True)
class Payments:
    """Sorted by account, then date; ``reverses`` indexes the reversed row, else -1."""

    account: Ints
    paid_on: npt.NDArray[np.datetime64]
    amount: Ints
    channel: Ints
    reverses: Ints

    @property
    def size(self) -> int:
        return len(self.account)


def _days(values: npt.NDArray[np.integer]) -> npt.NDArray[np.timedelta64]:
    return values.astype("timedelta64[D]")


def _scheduled_payments(
    rng: np.random.Generator, people: People, accounts: Accounts, schedule: Schedule, as_of: np.datetime64
) -> tuple[Ints, npt.NDArray[np.datetime64], Ints]:
    rows = schedule.size
    owner = accounts.owner[schedule.account]
    behaviour = people.behaviour[owner]
    seq = schedule.seq
    a = schedule.account
    in_full = accounts.is_card & (rng.random(accounts.size) < CARD_PAID_IN_FULL_SHARE)
    amount = np.where(in_full[a] & (behaviour == Behaviour.ON_TIME), schedule.statement, schedule.amount)
    spread = rng.integers(0, 6 * 16, rows)  # two independent draws in one: 0-5 and 0-15 days
    days_early_or_late = _days(spread % 6)
    paid_on = schedule.due - days_early_or_late

    stop_seq = dues_before(people.stop_on[accounts.owner], accounts.open_month, accounts.due_day) + 1
    stopped = (behaviour == Behaviour.STOPS_PAYING) & (seq >= stop_seq[a])

    first_missed = dues_before(people.episode_on[accounts.owner], accounts.open_month, accounts.due_day) + 1
    episode_end = first_missed + people.episode_months[accounts.owner]  # the due that cures
    curing = behaviour == Behaviour.LATE_THEN_CURES
    missed = curing & (seq >= first_missed[a]) & (seq < episode_end[a])
    cure = np.flatnonzero(curing & (seq == episode_end[a]))
    running = np.concatenate(([0], np.cumsum(schedule.amount)))
    amount[cure] = running[cure + 1] - running[cure - people.episode_months[owner[cure]]]
    paid_on[cure] = schedule.due[cure] + days_early_or_late[cure]

    partial = np.flatnonzero(behaviour == Behaviour.PARTIAL)
    amount[partial] = schedule.amount[partial] * people.partial_percent[owner[partial]] // 100
    paid_on[partial] = schedule.due[partial] + _days(spread[partial] // 6)

    keep = ~stopped & ~missed & (amount > 0) & (paid_on <= as_of)
    return a[keep], paid_on[keep], amount[keep]


def _reversals(
    rng: np.random.Generator,
    people: People,
    accounts: Accounts,
    account: Ints,
    paid_on: npt.NDArray[np.datetime64],
    as_of: np.datetime64,
    share: float,
) -> tuple[Ints, npt.NDArray[np.datetime64], Mask]:
    """The payments that bounce, when they are reversed, and which of them are paid again."""
    reversed_on = paid_on + _days(rng.integers(1, 11, len(account)))
    bounced = np.flatnonzero((rng.random(len(account)) < share) & (reversed_on <= as_of))
    behaviour = people.behaviour[accounts.owner[account[bounced]]]
    repaid = (behaviour == Behaviour.ON_TIME) & (rng.random(len(bounced)) < REPAY_AFTER_REVERSAL_SHARE)
    return bounced, reversed_on[bounced], repaid


def play_payments(
    rng: np.random.Generator,
    people: People,
    accounts: Accounts,
    schedule: Schedule,
    as_of: np.datetime64,
    profile: Profile,
) -> Payments:
    account, paid_on, amount = _scheduled_payments(rng, people, accounts, schedule, as_of)
    channel = weighted(rng, CHANNEL_WEIGHTS, len(account))
    bounced, reversed_on, repaid = _reversals(
        rng, people, accounts, account, paid_on, as_of, profile.reversal_share
    )
    again = bounced[repaid]
    again_on = reversed_on[repaid] + _days(rng.integers(0, 4, len(again)))
    kept_again = again_on <= as_of
    again, again_on = again[kept_again], again_on[kept_again]

    n, r = len(account), len(bounced)
    all_account = np.concatenate((account, account[bounced], account[again]))
    all_paid_on = np.concatenate((paid_on, reversed_on, again_on))
    all_amount = np.concatenate((amount, amount[bounced], amount[again]))
    all_channel = np.concatenate((channel, channel[bounced], np.full(len(again), REPAY_CHANNEL)))
    all_reverses = np.concatenate((np.full(n, NO_REFERENCE), bounced, np.full(len(again), NO_REFERENCE)))
    kind = np.concatenate((np.zeros(n, np.int8), np.ones(r, np.int8), np.full(len(again), 2, np.int8)))
    # Scheduled payments come sorted already (by account, then date): a stable sort on one key
    # merges the few reversals and repayments in almost linear time.
    key = (all_account << 24) + ((all_paid_on - as_of).astype(np.int64) + (1 << 21)) * 4 + kind
    order = np.argsort(key, kind="stable")
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order), dtype=np.int64)
    reverses = all_reverses[order]
    reverses = np.where(reverses >= 0, position[np.maximum(reverses, 0)], NO_REFERENCE)
    return Payments(
        account=all_account[order],
        paid_on=all_paid_on[order],
        amount=all_amount[order],
        channel=all_channel[order],
        reverses=reverses,
    )
