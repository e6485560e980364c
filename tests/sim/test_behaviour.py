"""The drawn payment behaviours are all present, in their shares, and visible in the feed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
import numpy.typing as npt

from arrears.money import parse_major
from arrears.sim import Behaviour
from tests.sim.conftest import AS_OF, SPEC
from tests.sim.reference import Delinquency, bucket, delinquency

Feed = dict[str, list[dict[str, str]]]


def _accounts_by_behaviour(feed: Feed, behaviour: npt.NDArray[np.int8]) -> dict[Behaviour, list[str]]:
    by_customer = {c["customer_id"]: Behaviour(int(behaviour[i])) for i, c in enumerate(feed["customers"])}
    grouped: dict[Behaviour, list[str]] = defaultdict(list)
    for account in feed["accounts"]:
        grouped[by_customer[account["customer_id"]]].append(account["account_id"])
    return grouped


def _with_past_dues(feed: Feed) -> set[str]:
    return {i["account_id"] for i in feed["installments"] if date.fromisoformat(i["due_date"]) < AS_OF}


def _late_share(accounts: list[str], state: dict[str, Delinquency], eligible: set[str]) -> float:
    considered = [a for a in accounts if a in eligible]
    return sum(state[a].dpd > 0 for a in considered) / len(considered)


def test_every_behaviour_is_drawn_in_about_its_share(behaviour: npt.NDArray[np.int8]) -> None:
    shares = np.bincount(behaviour, minlength=len(Behaviour)) / len(behaviour)
    expected = np.asarray(SPEC.profile.behaviour_shares) / sum(SPEC.profile.behaviour_shares)
    assert np.all(np.abs(shares - expected) < 0.03), (shares, expected)


def test_behaviours_show_in_the_payments(feed: Feed, behaviour: npt.NDArray[np.int8]) -> None:
    state = delinquency(feed, AS_OF)
    grouped = _accounts_by_behaviour(feed, behaviour)
    eligible = _with_past_dues(feed)
    on_time = _late_share(grouped[Behaviour.ON_TIME], state, eligible)
    cures = _late_share(grouped[Behaviour.LATE_THEN_CURES], state, eligible)
    partial = _late_share(grouped[Behaviour.PARTIAL], state, eligible)
    stops = _late_share(grouped[Behaviour.STOPS_PAYING], state, eligible)
    assert on_time < 0.03  # only a bounced payment not paid again makes them late
    assert 0.05 < cures < 0.5  # some in an episode now, most cured
    assert partial > 0.8 and stops > 0.6


def test_curers_pay_their_arrears_in_one_lump(feed: Feed, behaviour: npt.NDArray[np.int8]) -> None:
    curers = set(_accounts_by_behaviour(feed, behaviour)[Behaviour.LATE_THEN_CURES])
    currency = {a["account_id"]: a["currency"] for a in feed["accounts"]}
    largest_due: dict[str, int] = defaultdict(int)
    for row in feed["installments"]:
        amount = parse_major(row["amount_due"], currency[row["account_id"]])
        largest_due[row["account_id"]] = max(largest_due[row["account_id"]], amount)
    lumps = [
        p
        for p in feed["payments"]
        if p["account_id"] in curers
        and not p["reverses"]
        and parse_major(p["amount"], currency[p["account_id"]]) >= 2 * largest_due[p["account_id"]] > 0
    ]
    assert len(lumps) >= 20


def test_partial_payers_pay_less_than_due(feed: Feed, behaviour: npt.NDArray[np.int8]) -> None:
    partial = set(_accounts_by_behaviour(feed, behaviour)[Behaviour.PARTIAL])
    currency = {a["account_id"]: a["currency"] for a in feed["accounts"]}
    due = {
        (i["account_id"], i["due_date"][:7]): parse_major(i["amount_due"], currency[i["account_id"]])
        for i in feed["installments"]
        if i["account_id"] in partial
    }
    paid = [
        (parse_major(p["amount"], currency[p["account_id"]]), due.get((p["account_id"], p["paid_on"][:7])))
        for p in feed["payments"]
        if p["account_id"] in partial and not p["reverses"]
    ]
    same_month = [(amount, owed) for amount, owed in paid if owed]
    assert same_month and sum(amount < owed for amount, owed in same_month) / len(same_month) > 0.9


def test_delinquency_reaches_every_bucket(feed: Feed) -> None:
    buckets = {bucket(s.dpd) for s in delinquency(feed, AS_OF).values()}
    assert buckets == {"M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"}


def test_charged_off_accounts_are_long_overdue_and_closed_ones_paid_off(feed: Feed) -> None:
    state = delinquency(feed, AS_OF)
    status = {a["account_id"]: a["status"] for a in feed["accounts"]}
    charged_off = [a for a, s in status.items() if s == "charged_off"]
    closed = [a for a, s in status.items() if s == "closed"]
    assert charged_off and all(state[a].dpd > 180 for a in charged_off)
    assert closed and all(state[a].dpd == 0 and state[a].overdue == 0 for a in closed)
