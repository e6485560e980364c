"""Accounts: product, currency, opening date, size and price of each loan or card.

Sizes are drawn in CNY and converted to the account's currency in integer arithmetic
(1 CNY ≈ 1/7 USD ≈ 20 JPY), rounded to round numbers as banks lend them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from arrears.sim.people import FIRST_OVERSEAS, PLACES, People, weighted
from arrears.sim.profile import EXPONENTS, Product, Profile
from arrears.sim.text import Ints, Mask

# 1 CNY is worth CURRENCY_NUMERATOR / CURRENCY_DENOMINATOR units of CNY, USD, JPY.
CURRENCY_NUMERATOR = np.array([1, 1, 20], dtype=np.int64)
CURRENCY_DENOMINATOR = np.array([1, 7, 1], dtype=np.int64)
MINOR_PER_MAJOR = np.array([10**e for e in EXPONENTS], dtype=np.int64)
CARD_LIMITS_CNY = np.array([5_000, 10_000, 20_000, 30_000, 50_000, 80_000, 100_000], dtype=np.int64)
CARD_LIMIT_WEIGHTS = np.array([0.10, 0.22, 0.25, 0.18, 0.15, 0.06, 0.04])
# Loan size in CNY: (median, smallest, largest, rounded to) per product.
LOAN_SIZES: dict[Product, tuple[float, int, int, int]] = {
    Product.PERSONAL_LOAN: (50_000, 10_000, 300_000, 1_000),
    Product.AUTO_LOAN: (150_000, 50_000, 500_000, 1_000),
    Product.MORTGAGE: (1_200_000, 300_000, 6_000_000, 10_000),
    Product.SME_LOAN: (500_000, 100_000, 3_000_000, 10_000),
}
# Annual interest rate in basis points: (lowest, highest) per product.
RATES_BP: dict[Product, tuple[int, int]] = {
    Product.CREDIT_CARD: (1825, 1825),
    Product.PERSONAL_LOAN: (480, 1800),
    Product.AUTO_LOAN: (350, 900),
    Product.MORTGAGE: (310, 490),
    Product.SME_LOAN: (380, 800),
}
CARD_DUE_WINDOW_DAYS = 20  # a card's next due date is known once its statement is cut
JPY_HOME_SHARES = (0.20, 0.10, 0.70)
ADULT_AGE = 18


@dataclass(frozen=True)
class Accounts:
    number: Ints  # global account number, the digits of account_id
    owner: Ints  # index of the customer in the chunk
    product: Ints
    currency: Ints  # index into profile.CURRENCIES
    opened: npt.NDArray[np.datetime64]
    open_month: Ints  # months since 1970-01
    due_day: Ints  # 1..28
    installments: Ints  # number of schedule rows
    principal: Ints  # loans: amount lent; cards: the credit limit (minor units)
    rate_bp: Ints

    @property
    def size(self) -> int:
        return len(self.number)

    @property
    def exponent(self) -> Ints:
        return np.asarray(EXPONENTS, dtype=np.int64)[self.currency]

    @property
    def is_card(self) -> Mask:
        return np.asarray(self.product == Product.CREDIT_CARD)


def to_currency(cny_major: Ints, currency: Ints, round_to_cny: Ints | int) -> Ints:
    """CNY major units to minor units of the account's currency, rounded to a round number."""
    major = cny_major * CURRENCY_NUMERATOR[currency] // CURRENCY_DENOMINATOR[currency]
    step = np.maximum(
        np.asarray(round_to_cny) * CURRENCY_NUMERATOR[currency] // CURRENCY_DENOMINATOR[currency], 1
    )
    minor: Ints = np.maximum(major // step, 1) * step * MINOR_PER_MAJOR[currency]
    return minor


def _sizes_cny(rng: np.random.Generator, product: Ints) -> tuple[Ints, Ints]:
    size = len(product)
    amount = CARD_LIMITS_CNY[weighted(rng, CARD_LIMIT_WEIGHTS, size)]
    step = np.full(size, 1_000, dtype=np.int64)
    for kind, (median, low, high, rounding) in LOAN_SIZES.items():
        where = product == kind
        drawn = np.clip(rng.lognormal(np.log(median), 0.6, int(where.sum())), low, high)
        amount[where] = drawn.astype(np.int64)
        step[where] = rounding
    return amount, step


def _currencies(rng: np.random.Generator, people: People, owner: Ints, profile: Profile) -> Ints:
    place = people.place[owner]
    country = np.array([p.country for p in PLACES])[place]
    home = weighted(rng, profile.currency_shares_cn, len(owner))
    abroad = weighted(rng, profile.currency_shares_abroad, len(owner))
    japan = weighted(rng, JPY_HOME_SHARES, len(owner))
    return np.where(country == "JP", japan, np.where(place < FIRST_OVERSEAS, home, abroad))


def _terms(rng: np.random.Generator, product: Ints, profile: Profile) -> Ints:
    term = np.zeros(len(product), dtype=np.int64)
    for kind, options in profile.term_months.items():
        where = product == kind
        term[where] = rng.choice(np.asarray(options, dtype=np.int64), int(where.sum()))
    return term


def draw_accounts(
    rng: np.random.Generator, people: People, first_number: int, as_of: np.datetime64, profile: Profile
) -> Accounts:
    per_customer = 1 + weighted(rng, profile.accounts_per_customer, people.size)
    owner = np.repeat(np.arange(people.size, dtype=np.int64), per_customer)
    size = len(owner)
    product = weighted(rng, profile.product_shares, size)
    currency = _currencies(rng, people, owner, profile)
    term = _terms(rng, product, profile)
    card = product == Product.CREDIT_CARD
    low, high = profile.card_life_months
    if profile.history_months is not None:
        high = min(high, profile.history_months - 1)
        low = min(low, high)
    card_age = rng.integers(low, high + 1, size) + 1  # + 1: at least `low` dues by the as-of date
    loan_age = 1 + (rng.random(size) * (term + profile.matured_months)).astype(np.int64)
    if profile.history_months is not None:
        loan_age = np.minimum(loan_age, 1 + (rng.random(size) * profile.history_months).astype(np.int64))
    as_of_month = as_of.astype("datetime64[M]").astype(np.int64)
    adult_months = as_of_month - (
        people.birth[owner].astype("datetime64[M]").astype(np.int64) + 12 * ADULT_AGE + 1
    )
    age = np.minimum(np.where(card, card_age, loan_age), np.maximum(adult_months, 1))  # opened as an adult
    open_month = as_of_month - age
    open_day = rng.integers(1, 29, size)
    opened = open_month.astype("datetime64[M]").astype("datetime64[D]") + (open_day - 1).astype(
        "timedelta64[D]"
    )
    due_day = np.where(card, rng.integers(1, 29, size), open_day)
    cards_due_by = as_of + np.timedelta64(CARD_DUE_WINDOW_DAYS, "D")
    card_dues = dues_before(cards_due_by + np.timedelta64(1, "D"), open_month, due_day)
    amount_cny, step = _sizes_cny(rng, product)
    rate = np.zeros(size, dtype=np.int64)
    for kind, (low_bp, high_bp) in RATES_BP.items():
        where = product == kind
        rate[where] = rng.integers(low_bp // 5, high_bp // 5 + 1, int(where.sum())) * 5
    return Accounts(
        number=np.arange(first_number, first_number + size, dtype=np.int64),
        owner=owner,
        product=product,
        currency=currency,
        opened=opened,
        open_month=open_month,
        due_day=due_day,
        installments=np.where(card, card_dues, term),
        principal=to_currency(amount_cny, currency, step),
        rate_bp=rate,
    )


def month_starts(months: Ints) -> npt.NDArray[np.datetime64]:
    """First day of each month (months since 1970-01), through a small table: NumPy's month to day
    conversion is slow per row, a lookup is not."""
    if not len(months):
        return np.empty(0, dtype="datetime64[D]")
    low = int(months.min())
    table = np.arange(low, int(months.max()) + 1).astype("datetime64[M]").astype("datetime64[D]")
    return table[months - low]


def dues_before(day: npt.NDArray[np.datetime64] | np.datetime64, open_month: Ints, due_day: Ints) -> Ints:
    """How many monthly dues (the k-th on ``due_day`` of month open_month + k, k >= 1) fall before ``day``."""
    month = np.asarray(day).astype("datetime64[M]")
    day_of_month = (np.asarray(day) - month).astype(np.int64) + 1
    count: Ints = np.maximum(month.astype(np.int64) - open_month - 1 + (due_day < day_of_month), 0)
    return count
