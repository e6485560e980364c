"""The simulated customers: a cohort entering collections, drawn from the portfolio generator.

Calibration: the generator (:mod:`arrears.sim`) is run for a sample of its customers; those whose
behaviour misses payments (late then cures, partial payer, stops paying) are the templates, each
with the product, currency, monthly due, language, zone and date of birth the generator gave
them. The cohort resamples the templates, and each customer's latent traits are drawn around
what the template's behaviour means (docs/strategy.md, "The simulator"):

- ``ability``: the share of what is owed the customer can find; ``willingness``: how readily they
  pay what they can when asked;
- ``self_cure``: the daily chance of paying in full with no contact at all;
- ``reach``: the chance a contact by each channel reaches them (an SMS read, an e-mail opened, a
  call answered, a letter read, someone at home for a visit); ``evening``: they answer calls in
  the afternoon and evening, hardly in the morning;
- ``touchy``: how readily a contact turns into a complaint (1 on average).

Every draw comes from the seed: the same seed gives the same customers, whatever the strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from arrears.sim.generator import PortfolioSpec, iter_drawn_chunks
from arrears.sim.people import PLACES
from arrears.sim.profile import CURRENCIES, PRODUCT_NAMES, Behaviour

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

CHANNELS = ("sms", "email", "letter", "call", "field_visit")
"""The channels whose reach a customer has, in the order of :attr:`Population.reach`'s columns."""
TEMPLATE_CUSTOMERS = 20_000
"""Customers of the generator's book the templates are taken from."""
CURRENCY = "CNY"


@dataclass(frozen=True)
class Population:
    """One row per customer (index ``i``: customer ``SC{i:09d}``, case ``SK{i:09d}``)."""

    behaviour: npt.NDArray[np.int8]
    product: npt.NDArray[np.int8]
    monthly_due: Ints
    """Minor units of :data:`CURRENCY` falling due every 30 days."""
    missed: Ints
    """Dues unpaid on the first day."""
    days_since_due: Ints
    """Days since the latest due on the first day (1 to 30; dues fall every 30 days)."""
    english: npt.NDArray[np.bool_]
    place: Ints
    birth: npt.NDArray[np.datetime64]
    ability: Floats
    willingness: Floats
    self_cure: Floats
    reach: Floats
    """(customers, len(CHANNELS))"""
    evening: npt.NDArray[np.bool_]
    touchy: Floats
    score_noise: Floats

    @property
    def size(self) -> int:
        return len(self.behaviour)

    def customer_ids(self) -> pa.Array:
        return _numbered("SC", self.size)

    def case_ids(self) -> pa.Array:
        return _numbered("SK", self.size)

    def zones(self) -> tuple[list[str], Ints]:
        """The distinct zones and each customer's index into them."""
        names = sorted({p.zone for p in PLACES})
        of_place = np.array([names.index(p.zone) for p in PLACES], dtype=np.int64)
        return names, of_place[self.place]

    def countries(self) -> pa.Array:
        return pa.array([p.country for p in PLACES], pa.string()).take(pa.array(self.place))

    def languages(self) -> pa.Array:
        return pa.array(np.where(self.english, "en", "zh-CN"), pa.string())


def _numbered(prefix: str, size: int) -> pa.Array:
    digits = np.char.zfill(np.arange(size).astype(str), 9)
    return pa.array(np.char.add(prefix, digits), pa.string())


@dataclass(frozen=True)
class Templates:
    behaviour: npt.NDArray[np.int8]
    product: npt.NDArray[np.int8]
    monthly_due: Ints
    episode_months: Ints
    partial_percent: Ints
    english: npt.NDArray[np.bool_]
    place: Ints
    birth: npt.NDArray[np.datetime64]


def templates(seed: int, as_of: date, customers: int = TEMPLATE_CUSTOMERS) -> Templates:
    """The generator's customers who miss payments, each with the monthly due of their first
    account in :data:`CURRENCY` (customers with none are left out)."""
    parts: dict[str, list[npt.NDArray[np.generic]]] = {name: [] for name in Templates.__dataclass_fields__}
    cny = CURRENCIES.index(CURRENCY)
    for drawn in iter_drawn_chunks(PortfolioSpec(customers=customers, seed=seed, as_of=as_of)):
        people, accounts, schedule = drawn.people, drawn.accounts, drawn.schedule
        first_due = schedule.amount[schedule.start]  # each account's first installment
        eligible = accounts.currency == cny
        owners, first_account = np.unique(accounts.owner[eligible], return_index=True)
        account = np.flatnonzero(eligible)[first_account]
        missing = people.behaviour[owners] != Behaviour.ON_TIME
        owners, account = owners[missing], account[missing]
        parts["behaviour"].append(people.behaviour[owners])
        parts["product"].append(accounts.product[account].astype(np.int8))
        parts["monthly_due"].append(np.maximum(first_due[account], 100))
        parts["episode_months"].append(people.episode_months[owners])
        parts["partial_percent"].append(people.partial_percent[owners])
        parts["english"].append(people.english[owners])
        parts["place"].append(people.place[owners])
        parts["birth"].append(people.birth[owners])
    return Templates(**{name: np.concatenate(values) for name, values in parts.items()})


def draw_population(size: int, seed: int, as_of: date, found: Templates | None = None) -> Population:
    """``size`` customers entering collections on ``as_of``, drawn with ``seed``."""
    source = found if found is not None else templates(seed, as_of)
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(0x5173,)))
    pick = rng.integers(0, len(source.behaviour), size)
    behaviour = source.behaviour[pick]
    late = behaviour == Behaviour.LATE_THEN_CURES
    partial = behaviour == Behaviour.PARTIAL
    stops = behaviour == Behaviour.STOPS_PAYING
    ability = np.select(
        [late, partial],
        [
            rng.beta(6, 2, size),
            np.clip(source.partial_percent[pick] / 100 + rng.normal(0, 0.1, size), 0.05, 0.95),
        ],
        rng.beta(1.5, 6, size),
    )
    willingness = np.select(
        [late, partial], [rng.beta(4, 3, size), rng.beta(6, 2, size)], rng.beta(2, 4, size)
    )
    # late payers cure on their own within their episode; the others hardly ever do
    episode_days = 30.0 * np.maximum(source.episode_months[pick], 1)
    self_cure = np.where(late, 1.0 / episode_days, np.where(stops, 0.0005, 0.0015))
    reach = np.column_stack(
        [
            rng.beta(8, 2, size),  # SMS read
            rng.beta(2, 5, size),  # e-mail opened
            rng.beta(6, 3, size),  # letter read
            rng.beta(3, 4, size),  # call answered, at an hour that suits
            rng.beta(4, 3, size),  # at home for a visit
        ]
    )
    missed = rng.choice(np.array([1, 2, 3]), size, p=[0.7, 0.2, 0.1])
    return Population(
        behaviour=behaviour,
        product=source.product[pick],
        monthly_due=source.monthly_due[pick],
        missed=missed,
        days_since_due=rng.integers(1, 31, size),
        english=source.english[pick],
        place=source.place[pick],
        birth=source.birth[pick],
        ability=ability,
        willingness=willingness,
        self_cure=self_cure,
        reach=reach,
        evening=rng.random(size) < 0.4,
        touchy=rng.gamma(2.0, 0.5, size),
        score_noise=rng.normal(0.0, 0.6, size),
    )


def product_names() -> pa.Array:
    return pa.array(PRODUCT_NAMES, pa.string())
