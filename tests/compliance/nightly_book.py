"""A night's planned contact actions and their customers' facts, in columns (numpy, seeded).

Every customer is due an SMS at 10:00 local and a call at an hour of the working day (some late
in the evening); the customers live in two or three zones of the pack's country, each has a
mobile, an e-mail address and a postal address of their own (some a second mobile), and a
realistic share has contacts in the last week, holds (open or lifted), opt-outs and numbers
marked do-not-contact. ``special`` is the share of customers who asked for a callback: their
requests go to the scalar gate. Used by tests/compliance/test_batch_gate.py and
benchmarks/bench_batch_gate.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arrears.compliance.batch_facts import BatchFacts

ZONES = {
    "cn": ("Asia/Shanghai", "Asia/Urumqi"),
    "us-regf": ("America/New_York", "America/Chicago", "America/Los_Angeles"),
    "uk-fca": ("Europe/London",),
}
RUN_DAY = date(2026, 3, 11)
OUTCOMES = np.array(["no_answer", "voicemail", "conversation", "not_connected", "wrong_party"])
OUTCOME_SHARES = [0.55, 0.15, 0.15, 0.1, 0.05]
HOLDS = np.array(["dispute", "bankruptcy", "hardship", "cease"])
HOLD_SHARES = [0.03, 0.01, 0.02, 0.01]
HOUR_US = 3_600_000_000


@dataclass(frozen=True)
class Night:
    requests: pa.Table
    facts: BatchFacts
    special_customers: int


def _local_micros(zone: str, day: date, hour: float) -> int:
    moment = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)) + timedelta(hours=hour)
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)


def night(actions: int, pack_id: str = "us-regf", seed: int = 7, special: float = 0.0) -> Night:
    """About ``actions`` planned actions (two per customer) for ``RUN_DAY``."""
    rng = np.random.default_rng(seed)
    customers = max(1, actions // 2)
    ids = np.char.add("C", np.arange(customers).astype(str))
    zones = np.array(ZONES[pack_id])
    zone_of = rng.integers(0, len(zones), customers)
    midnight = np.array([_local_micros(z, RUN_DAY, 0) for z in zones], np.int64)[zone_of]
    mobile, email, address = np.char.add(ids, "-M"), np.char.add(ids, "-E"), np.char.add(ids, "-A")
    second = rng.random(customers) < 0.1

    points = pa.table(
        {
            "customer_id": np.concatenate([ids, ids, ids, ids[second]]),
            "point_id": np.concatenate([mobile, email, address, np.char.add(ids[second], "-M2")]),
            "type": np.repeat(["mobile", "email", "address", "mobile"], [customers] * 3 + [second.sum()]),
            "party": np.full(3 * customers + second.sum(), "debtor"),
            "do_not_contact": rng.random(3 * customers + second.sum()) < 0.02,
        }
    )
    events = _events(rng, ids, mobile, email, midnight, special)
    facts = BatchFacts.of(
        pa.table({"customer_id": ids, "timezone": zones[zone_of]}),
        points,
        events,
    )
    call_hour = rng.choice([9.0, 11.5, 14.0, 16.5, 19.0, 21.5], customers, p=[0.2, 0.2, 0.2, 0.2, 0.15, 0.05])
    requests = pa.table(
        {
            "row": np.arange(2 * customers, dtype=np.int64),
            "customer_id": np.concatenate([ids, ids]),
            "channel": np.repeat(["sms", "call"], customers),
            "to": np.concatenate([mobile, mobile]),
            "at": pa.array(
                np.concatenate([midnight + 10 * HOUR_US, midnight + (call_hour * HOUR_US).astype(np.int64)]),
                pa.int64(),
            ).cast(pa.timestamp("us", tz="UTC")),
            "purpose": pa.nulls(2 * customers, pa.string()),
        }
    )
    asked = events.filter(pc.equal(events["kind"], "callback_requested"))
    return Night(requests, facts, int(pc.count_distinct(asked["customer_id"]).as_py()))


def _events(
    rng: np.random.Generator,
    ids: np.ndarray,
    mobile: np.ndarray,
    email: np.ndarray,
    midnight: np.ndarray,
    special: float,
) -> pa.Table:
    customers = len(ids)
    calls = rng.poisson(1.5, customers)
    who = np.repeat(np.arange(customers), calls)
    call_at = midnight[who] - rng.integers(0, 7 * 24, len(who)) * HOUR_US + 9 * HOUR_US
    texts = rng.poisson(0.5, customers)
    text_who = np.repeat(np.arange(customers), texts)
    text_at = midnight[text_who] - rng.integers(1, 7 * 24, len(text_who)) * HOUR_US
    holds = rng.random(customers) < sum(HOLD_SHARES)
    hold_who = np.flatnonzero(holds)
    hold_kind = rng.choice(HOLDS, len(hold_who), p=np.array(HOLD_SHARES) / sum(HOLD_SHARES))
    hold_at = midnight[hold_who] - rng.integers(2, 60, len(hold_who)) * 24 * HOUR_US
    lifted = rng.random(len(hold_who)) < 0.3
    sms_out = np.flatnonzero(rng.random(customers) < 0.04)
    email_out = np.flatnonzero(rng.random(customers) < 0.01)
    callbacks = np.flatnonzero(rng.random(customers) < special)
    parts = [
        _part(
            ids[who],
            "call",
            call_at,
            to=mobile[who],
            outcome=rng.choice(OUTCOMES, len(who), p=OUTCOME_SHARES),
        ),
        _part(ids[text_who], "sms", text_at, to=mobile[text_who]),
        _part(ids[hold_who], "hold_placed", hold_at, hold=hold_kind),
        _part(ids[hold_who[lifted]], "hold_lifted", hold_at[lifted] + 24 * HOUR_US, hold=hold_kind[lifted]),
        _part(ids[sms_out], "opt_out", midnight[sms_out] - 30 * HOUR_US, to=mobile[sms_out], channel="sms"),
        _part(
            ids[email_out],
            "opt_out",
            midnight[email_out] - 50 * HOUR_US,
            to=email[email_out],
            channel="email",
        ),
        _part(
            ids[callbacks],
            "callback_requested",
            midnight[callbacks] - 20 * HOUR_US,
            callback_at=midnight[callbacks] + 15 * HOUR_US,
        ),
    ]
    table = pa.concat_tables(parts, promote_options="default")
    order = np.argsort(pc.cast(table["at"], pa.int64()).to_numpy(), kind="stable")
    table = table.take(pa.array(order))
    return table.append_column("seq", pa.array(np.arange(table.num_rows, dtype=np.int64)))


def _part(customer_ids: np.ndarray, kind: str, at: np.ndarray, **columns: object) -> pa.Table:
    n = len(customer_ids)
    data: dict[str, object] = {
        "customer_id": pa.array(customer_ids, pa.string()),
        "kind": pa.array(np.full(n, kind), pa.string()),
        "at": pa.array(at, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
    }
    for name, value in columns.items():
        if name == "callback_at":
            data[name] = pa.array(value, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        elif isinstance(value, str):
            data[name] = pa.array(np.full(n, value), pa.string())
        else:
            data[name] = pa.array(value, pa.string())
    return pa.table(data)
