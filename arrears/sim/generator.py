"""The portfolio generator: a whole feed for a seed and an as-of date, chunk by chunk.

Customers are generated in chunks of a fixed size, each with its own random stream derived
from (seed, chunk number), so the feed for a seed is the same whatever the machine. Account and
payment numbers run on across chunks, so every identifier is unique and stable for a seed.
Memory is bounded by a chunk, whatever the size of the portfolio.

- ``generate_portfolio(spec, out_dir, fmt)`` writes the five feed files;
- ``iter_feed_chunks(spec)`` yields each chunk's five feed tables (text, as the files hold them);
- ``generate_tables(spec)`` concatenates them (small portfolios, tests);
- ``arrears.sim.book.iter_book_batches(spec)`` streams the book in minor units, for benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv

from arrears.sim.accounts import Accounts, draw_accounts
from arrears.sim.contacts import contact_points_table
from arrears.sim.memory import reuse_freed_memory
from arrears.sim.payments import Payments, play_payments
from arrears.sim.people import People, customers_table, draw_people
from arrears.sim.profile import BEHAVIOUR_NAMES, DEFAULT_PROFILE, Product, Profile
from arrears.sim.schedules import Schedule, build_schedule
from arrears.sim.tables import (
    account_ids,
    account_status,
    accounts_table,
    installments_table,
    payments_table,
)
from arrears.sim.text import Ints, numbered, pick
from arrears.sim.writer import KINDS, FeedFormat, feed_writer

# Small enough that a chunk's arrays stay in the caches and in reused heap memory (a quarter
# less CPU than 25,000), large enough that the per-chunk Python work does not matter.
CHUNK_CUSTOMERS = 10_000
SECURED = (Product.MORTGAGE, Product.AUTO_LOAN, Product.SME_LOAN)


@dataclass(frozen=True)
class PortfolioSpec:
    customers: int
    seed: int
    as_of: date
    profile: Profile = field(default_factory=lambda: DEFAULT_PROFILE)
    chunk_customers: int = CHUNK_CUSTOMERS  # part of what the seed means: keep it for the same feed

    def __post_init__(self) -> None:
        if self.chunk_customers < 1:
            raise ValueError("chunks need at least one customer")
        if self.customers < 1:
            raise ValueError("a portfolio needs at least one customer")
        if self.seed < 0:
            raise ValueError("the seed must be a non-negative integer")


@dataclass(frozen=True)
class FeedChunk:
    tables: dict[str, pa.Table]
    behaviour: npt.NDArray[np.int8]  # per customer, the hidden truth (not part of the feed)


@dataclass(frozen=True)
class Counters:
    """Where the numbering of the next chunk starts."""

    customer: int = 1
    account: int = 1
    payment: int = 1


@dataclass(frozen=True)
class DrawnChunk:
    """A chunk's draws; turning them into tables (text formatting) is the other half of the work."""

    rng: np.random.Generator
    people: People
    accounts: Accounts
    schedule: Schedule
    payments: Payments
    status: Ints
    counters: Counters

    @property
    def next_counters(self) -> Counters:
        return Counters(
            customer=self.counters.customer + self.people.size,
            account=self.counters.account + self.accounts.size,
            payment=self.counters.payment + self.payments.size,
        )

    def feed_tables(self) -> dict[str, pa.Table]:
        return self.to_feed().tables

    def to_feed(self) -> FeedChunk:
        people, accounts = self.people, self.accounts
        has_sme = np.zeros(people.size, dtype=bool)
        has_sme[accounts.owner[accounts.product == Product.SME_LOAN]] = True
        has_secured = np.zeros(people.size, dtype=bool)
        has_secured[accounts.owner[np.isin(accounts.product, SECURED)]] = True
        ids = account_ids(accounts)
        tables = {
            "customers": customers_table(self.rng, people, has_sme),
            "contact_points": contact_points_table(self.rng, people, has_secured),
            "accounts": accounts_table(accounts, people, self.status),
            "installments": installments_table(accounts, ids, self.schedule),
            "payments": payments_table(accounts, ids, self.payments, self.counters.payment),
        }
        return FeedChunk(tables, people.behaviour)


def draw_chunk(spec: PortfolioSpec, chunk: int, size: int, counters: Counters) -> DrawnChunk:
    rng = np.random.default_rng(np.random.SeedSequence(entropy=spec.seed, spawn_key=(chunk,)))
    as_of = np.datetime64(spec.as_of, "D")
    people = draw_people(rng, counters.customer, size, as_of, spec.profile)
    accounts = draw_accounts(rng, people, counters.account, as_of, spec.profile)
    schedule = build_schedule(rng, accounts)
    payments = play_payments(rng, people, accounts, schedule, as_of, spec.profile)
    status = account_status(rng, accounts, schedule, payments, as_of)
    return DrawnChunk(rng, people, accounts, schedule, payments, status, counters)


def chunks(spec: PortfolioSpec) -> list[tuple[int, int]]:
    """(chunk number, customers in it) for the whole portfolio."""
    full, rest = divmod(spec.customers, spec.chunk_customers)
    sizes = [spec.chunk_customers] * full + ([rest] if rest else [])
    return list(enumerate(sizes))


def iter_drawn_chunks(spec: PortfolioSpec) -> Iterator[DrawnChunk]:
    """Every chunk's draws in order, the numbering running on from one chunk to the next."""
    reuse_freed_memory()
    counters = Counters()
    for number, size in chunks(spec):
        drawn = draw_chunk(spec, number, size, counters)
        yield drawn
        counters = drawn.next_counters


def iter_feed_chunks(spec: PortfolioSpec) -> Iterator[FeedChunk]:
    """Every chunk's five feed tables (as the files hold them) and its customers' behaviour."""
    for drawn in iter_drawn_chunks(spec):
        yield drawn.to_feed()


@dataclass(frozen=True)
class GenerationReport:
    rows: dict[str, int]
    seconds: float
    files: dict[str, Path]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate_portfolio(
    spec: PortfolioSpec,
    out_dir: Path,
    fmt: FeedFormat = FeedFormat.CSV,
    on_progress: Callable[[int], None] | None = None,
    timer: Callable[[], float] = time.perf_counter,
    truth: Path | None = None,
) -> GenerationReport:
    """Write the five feed files for ``spec`` into ``out_dir``; ``on_progress`` gets customers done.

    ``truth``, when given, is a CSV file (outside the feed) of each customer's drawn behaviour:
    the label a scoring model or a strategy simulation can be checked against.
    """
    started = timer()
    behaviours: list[npt.NDArray[np.int8]] = []
    with feed_writer(out_dir, fmt) as writer:
        for drawn in iter_drawn_chunks(spec):
            writer.write(drawn.feed_tables)
            behaviours.append(drawn.people.behaviour)
            if on_progress is not None:
                on_progress(drawn.people.size)
    if truth is not None:
        write_truth(truth, np.concatenate(behaviours))
    files = {kind: out_dir / f"{kind}.{fmt.value}" for kind in KINDS}
    return GenerationReport(rows=dict(writer.rows), seconds=timer() - started, files=files)


def write_truth(path: Path, behaviour: npt.NDArray[np.int8]) -> None:
    """customer_id, behaviour (on_time, late_then_cures, partial, stops_paying) as CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "customer_id": numbered("C", np.arange(1, len(behaviour) + 1, dtype=np.int64), 10),
            "behaviour": pick(BEHAVIOUR_NAMES, behaviour),
        }
    )
    pa_csv.write_csv(table, str(path), pa_csv.WriteOptions(quoting_style="none"))


def generate_tables(spec: PortfolioSpec) -> tuple[dict[str, pa.Table], npt.NDArray[np.int8]]:
    """The whole feed in memory (small portfolios, tests): the five tables and each customer's behaviour."""
    parts = list(iter_feed_chunks(spec))
    tables = {kind: pa.concat_tables([p.tables[kind] for p in parts]) for kind in KINDS}
    return tables, np.concatenate([p.behaviour for p in parts])
