"""The shape of a synthetic book: product mix, behaviour mix, currencies, history.

Shares are relative weights (they need not add up to 1). The defaults describe a Chinese retail
book heavy in cards and consumer loans, with a few mortgages, SME loans and foreign customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Product(IntEnum):
    CREDIT_CARD = 0
    PERSONAL_LOAN = 1
    AUTO_LOAN = 2
    MORTGAGE = 3
    SME_LOAN = 4


PRODUCT_NAMES: tuple[str, ...] = ("credit_card", "personal_loan", "auto_loan", "mortgage", "sme_loan")


class Behaviour(IntEnum):
    """How a customer pays, drawn once per customer and applied to all their accounts."""

    ON_TIME = 0  # pays every due on or before its due date
    LATE_THEN_CURES = 1  # misses one to six dues, then pays all arrears in one lump sum
    PARTIAL = 2  # pays a fixed share of every due, a little late: arrears pile up slowly
    STOPS_PAYING = 3  # pays on time until a date, then nothing


BEHAVIOUR_NAMES: tuple[str, ...] = ("on_time", "late_then_cures", "partial", "stops_paying")

CURRENCIES: tuple[str, ...] = ("CNY", "USD", "JPY")
EXPONENTS: tuple[int, ...] = (2, 2, 0)
# Minor units of each currency per 100 fen: 1 CNY ≈ 0.14 USD ≈ 20 JPY (1/7 and 1/5 of a fen).
FEN_DIVISOR: tuple[int, ...] = (1, 7, 5)


@dataclass(frozen=True)
class Profile:
    product_shares: tuple[float, ...] = (0.55, 0.27, 0.10, 0.04, 0.04)
    behaviour_shares: tuple[float, ...] = (0.68, 0.13, 0.09, 0.10)
    # Accounts per customer: 1, 2, 3 with these weights.
    accounts_per_customer: tuple[float, ...] = (0.68, 0.24, 0.08)
    english_name_share: float = 0.12
    chinese_abroad_share: float = 0.05  # Chinese-named customers living outside the mainland
    # For a customer living in CN / abroad: share of accounts in CNY, USD, JPY.
    currency_shares_cn: tuple[float, ...] = (0.965, 0.025, 0.010)
    currency_shares_abroad: tuple[float, ...] = (0.35, 0.55, 0.10)
    # How far back accounts may have been opened, in months (None: as far as the term allows).
    history_months: int | None = None
    reversal_share: float = 0.004  # of payments, reversed a few days later
    term_months: dict[Product, tuple[int, ...]] = field(
        default_factory=lambda: {
            Product.PERSONAL_LOAN: (12, 24, 36),
            Product.AUTO_LOAN: (24, 36, 48),
            Product.MORTGAGE: (120, 180, 240, 300, 360),
            Product.SME_LOAN: (12, 24, 36),
        }
    )
    card_life_months: tuple[int, int] = (12, 24)  # a card has dues over its life so far
    matured_months: int = 12  # loans may have reached their last due up to this long ago


DEFAULT_PROFILE = Profile()
SAMPLE_PROFILE = Profile(history_months=24)
