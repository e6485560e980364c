"""A plain Python reading of the feed and of the delinquency definitions, to check generated feeds.

Deliberately independent of the generator: rows are read back from the files as text.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from arrears.money import parse_major

KINDS = ("customers", "contact_points", "accounts", "installments", "payments")
BUCKET_BOUNDS = ((0, "M0"), (30, "M1"), (60, "M2"), (90, "M3"), (120, "M4"), (150, "M5"), (180, "M6"))


def read_feed(directory: Path) -> dict[str, list[dict[str, str]]]:
    feed = {}
    for kind in KINDS:
        with (directory / f"{kind}.csv").open(encoding="utf-8", newline="") as handle:
            feed[kind] = list(csv.DictReader(handle))
    return feed


def bucket(dpd: int) -> str:
    for upper, name in BUCKET_BOUNDS:
        if dpd <= upper:
            return name
    return "M7+"


@dataclass(frozen=True)
class Delinquency:
    dpd: int
    overdue: int  # minor units


def delinquency(feed: dict[str, list[dict[str, str]]], as_of: date) -> dict[str, Delinquency]:
    """DPD and overdue amount per account as of a date: net paid applied oldest first."""
    currency = {a["account_id"]: a["currency"] for a in feed["accounts"]}
    amount_of = {p["payment_id"]: p for p in feed["payments"]}
    net: dict[str, int] = defaultdict(int)
    for payment in feed["payments"]:
        if date.fromisoformat(payment["paid_on"]) > as_of:
            continue
        minor = parse_major(payment["amount"], currency[payment["account_id"]])
        net[payment["account_id"]] += -minor if payment["reverses"] else minor
        assert not payment["reverses"] or payment["reverses"] in amount_of
    dues: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for row in feed["installments"]:
        account = row["account_id"]
        dues[account].append(
            (
                date.fromisoformat(row["due_date"]),
                int(row["seq"]),
                parse_major(row["amount_due"], currency[account]),
            )
        )
    result = {}
    for account in currency:
        left = net[account]
        oldest_short: date | None = None
        due_so_far = 0
        for due_date, _, amount in sorted(dues[account]):
            if due_date >= as_of:
                break
            due_so_far += amount
            if left >= amount:
                left -= amount
            else:
                left = 0
                oldest_short = oldest_short or due_date
        dpd = (as_of - oldest_short).days if oldest_short else 0
        result[account] = Delinquency(dpd, max(due_so_far - net[account], 0))
    return result
