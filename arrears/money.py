"""Money: integer minor units beside an ISO 4217 currency, converted at the edge.

Booked amounts never pass through a float. Feeds carry decimal strings in major units
("1234.56"); :func:`parse_major` turns them into minor units with the currency's exponent
(CNY 2, JPY 0, BHD 3) and refuses anything with more decimals than the currency allows.
Each business rule that must round names its own rounding function here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cache

import iso4217

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_

_DECIMAL_TEXT = re.compile(r"^[+-]?\d+(\.\d+)?$")


class MoneyError(InvalidInputError):
    """An amount or currency that cannot be booked."""

    code = "money"
    default_message = N_("The amount or currency cannot be booked")


@cache
def exponent(currency: str) -> int:
    """Number of decimal places of an ISO 4217 currency (CNY 2, JPY 0, BHD 3)."""
    try:
        found = iso4217.Currency(currency.upper())
    except ValueError:
        raise MoneyError(
            N_("{currency} is not an ISO 4217 currency code"), currency=repr(echo(currency))
        ) from None
    if currency != currency.upper():
        raise MoneyError(
            N_("{currency} is not an ISO 4217 currency code (use upper case)"), currency=repr(echo(currency))
        )
    return found.exponent if found.exponent is not None else 0


def is_currency(code: str) -> bool:
    try:
        exponent(code)
    except MoneyError:
        return False
    return True


def known_currencies() -> dict[str, int]:
    """Every ISO 4217 currency with a defined exponent, code -> exponent."""
    return {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}


def parse_major(text: str, currency: str) -> int:
    """Parse a decimal string in major units into minor units, exactly.

    >>> parse_major("1234.56", "CNY")
    123456
    >>> parse_major("500", "JPY")
    500
    """
    cleaned = text.strip()
    if not _DECIMAL_TEXT.match(cleaned):
        raise MoneyError(N_("{text} is not a decimal number (write it like 1234.56)"), text=repr(echo(text)))
    places = exponent(currency)
    fraction = cleaned.partition(".")[2]
    if len(fraction) > places:
        raise MoneyError(
            N_("{text} has {decimals} decimals; {currency} allows {places}"),
            text=repr(echo(text)),
            decimals=len(fraction),
            currency=currency,
            places=places,
        )
    return int(Decimal(cleaned).scaleb(places))


def to_major(minor: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal in major units (12345 CNY -> Decimal('123.45'))."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_major(minor: int, currency: str) -> str:
    """Minor units as the feed's decimal string ("123.45"); the inverse of parse_major."""
    return str(to_major(minor, currency))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        exponent(self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __str__(self) -> str:
        return f"{format_major(self.minor, self.currency)} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(
                N_("cannot combine {first} and {second}"), first=self.currency, second=other.currency
            )

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        return cls(parse_major(text, currency), currency)


def round_half_even(amount: Decimal, currency: str) -> int:
    """Banker's rounding of a computed major-unit amount to minor units (interest, pro rata)."""
    places = exponent(currency)
    return int(amount.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def round_half_up(amount: Decimal, currency: str) -> int:
    """Commercial rounding to minor units (amounts quoted to customers: settlements, discounts)."""
    places = exponent(currency)
    return int(amount.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(minor: int, weights: list[int]) -> list[int]:
    """Split an amount in proportion to weights without losing or creating a minor unit.

    Largest-remainder method: the shares add up to ``minor`` exactly.
    """
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise MoneyError(N_("allocation needs non-negative weights with a positive total"))
    total = sum(weights)
    shares = [minor * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (minor * weights[i] % total, -i), reverse=True)
    for i in remainders[: minor - sum(shares)]:
        shares[i] += 1
    return shares
