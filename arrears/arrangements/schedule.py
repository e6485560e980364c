"""The maths of a plan: an amount in integer minor units split into dated installments.

Pure: no database, no clock. The amounts always sum to the total exactly, every one is positive,
and the dates strictly increase.

Methods:
- ``equal``: the same amount each time;
- ``graduated``: rising by a ``step`` (minor units more each time), or in proportion to given
  ``weights`` (a share of ``weight / sum(weights)`` each, a Decimal, never a float);
- ``custom``: the amounts given, which must sum to the total;
- ``single``: the whole amount at once (a settlement paid in one payment).

Rounding (the named rule :data:`REMAINDER_LAST` unless another is named): each computed
installment is rounded down to the minor unit and the remainder, less than one minor unit per
installment, is added to the last installment (``remainder_last``) or to the first
(``remainder_first``). A custom schedule is not rounded.

Dates: from the first due date, every calendar month on the same day (month-end safe: the day is
cut to the month's last day, and each date is counted from the first, so 31 Jan → 28/29 Feb →
31 Mar), or every 7 or 14 days.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum

from arrears.errors import InvalidInputError
from arrears.i18n import N_

MAX_INSTALLMENTS = 360
"""Installments one schedule has at most (30 years monthly)."""


class Method(StrEnum):
    EQUAL = "equal"
    GRADUATED = "graduated"
    CUSTOM = "custom"
    SINGLE = "single"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    BIWEEKLY = "biweekly"
    WEEKLY = "weekly"


class Rounding(StrEnum):
    REMAINDER_LAST = "remainder_last"
    """Every installment rounded down to the minor unit; the remainder on the last one."""
    REMAINDER_FIRST = "remainder_first"
    """Every installment rounded down to the minor unit; the remainder on the first one."""


class ScheduleError(InvalidInputError):
    code = "invalid_schedule"
    default_message = N_("The installments cannot be made as asked")


@dataclass(frozen=True)
class Installment:
    seq: int
    due_on: date
    amount: int
    """Minor units, positive."""


def add_months(first: date, months: int) -> date:
    """``first`` plus ``months`` calendar months, the day cut to the month's last day."""
    month0 = first.month - 1 + months
    year, month = first.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(first.day, calendar.monthrange(year, month)[1]))


def due_dates(first: date, count: int, frequency: Frequency) -> list[date]:
    """``count`` due dates from ``first``, each counted from ``first`` (never from the previous
    date, so a month-end stays at month end)."""
    _check_count(count)
    if frequency is Frequency.MONTHLY:
        return [add_months(first, n) for n in range(count)]
    days = 7 if frequency is Frequency.WEEKLY else 14
    return [first + timedelta(days=days * n) for n in range(count)]


def months_spanned(start: date, end: date) -> int:
    """Calendar months from ``start`` to ``end``, a started month counted whole (0 when ``end``
    is not after ``start``): the length of a plan that runs from today to its last due date."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if add_months(start, months) < end else 0)


def split_equal(total: int, count: int, rounding: Rounding) -> list[int]:
    _check_total(total, count)
    base = total // count
    return _place_remainder([base] * count, total, rounding)


def split_step(total: int, count: int, step: int, rounding: Rounding) -> list[int]:
    """Each installment ``step`` minor units more than the previous (a negative step falls)."""
    _check_total(total, count)
    rise = step * count * (count - 1) // 2
    base = (total - rise) // count
    amounts = [base + step * n for n in range(count)]
    if min(amounts) <= 0:
        raise ScheduleError(
            N_("A step of {step} leaves an installment at zero or below for {total} in {count} installments"),
            step=step,
            total=total,
            count=count,
        )
    return _place_remainder(amounts, total, rounding)


def split_weights(total: int, weights: Sequence[Decimal], rounding: Rounding) -> list[int]:
    """Installment n is ``total × weights[n] / sum(weights)``, rounded down; then the remainder."""
    count = len(weights)
    _check_total(total, count)
    if any(not weight.is_finite() or weight <= 0 for weight in weights):
        raise ScheduleError(N_("Every weight is a positive number"))
    with localcontext() as context:
        context.prec = 60
        whole = sum(weights, Decimal(0))
        amounts = [
            int((Decimal(total) * weight / whole).to_integral_value(ROUND_FLOOR)) for weight in weights
        ]
    if min(amounts) <= 0:
        raise ScheduleError(
            N_("The weights leave an installment at zero for {total} in {count} installments"),
            total=total,
            count=count,
        )
    return _place_remainder(amounts, total, rounding)


def check_custom(total: int, amounts: Sequence[int]) -> list[int]:
    _check_count(len(amounts))
    if any(amount <= 0 for amount in amounts):
        raise ScheduleError(N_("Every installment is a positive amount"))
    if sum(amounts) != total:
        raise ScheduleError(
            N_("The installments sum to {sum}, not the total {total}"), sum=sum(amounts), total=total
        )
    return list(amounts)


def schedule(
    total: int,
    method: Method,
    *,
    first_due_on: date,
    count: int = 1,
    frequency: Frequency = Frequency.MONTHLY,
    rounding: Rounding = Rounding.REMAINDER_LAST,
    step: int | None = None,
    weights: Sequence[Decimal] | None = None,
    amounts: Sequence[int] | None = None,
) -> list[Installment]:
    """The dated installments of ``total`` by ``method`` (see the module's description)."""
    if method is Method.CUSTOM:
        if amounts is None:
            raise ScheduleError(N_("A custom schedule names its installments"))
        split = check_custom(total, amounts)
    elif method is Method.SINGLE:
        split = split_equal(total, 1, rounding)
    elif method is Method.EQUAL:
        split = split_equal(total, count, rounding)
    elif weights is not None:
        split = split_weights(total, weights, rounding)
    elif step is not None:
        split = split_step(total, count, step, rounding)
    else:
        raise ScheduleError(N_("A graduated schedule names a step or weights"))
    dates = due_dates(first_due_on, len(split), frequency)
    return [
        Installment(seq, due, amount) for seq, (due, amount) in enumerate(zip(dates, split, strict=True), 1)
    ]


def _place_remainder(amounts: list[int], total: int, rounding: Rounding) -> list[int]:
    remainder = total - sum(amounts)
    index = -1 if rounding is Rounding.REMAINDER_LAST else 0
    amounts[index] += remainder
    return amounts


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_INSTALLMENTS:
        raise ScheduleError(
            N_("A schedule has 1 to {maximum} installments, not {count}"),
            maximum=MAX_INSTALLMENTS,
            count=count,
        )


def _check_total(total: int, count: int) -> None:
    _check_count(count)
    if total < count:
        raise ScheduleError(
            N_("{total} minor units cannot make {count} positive installments"), total=total, count=count
        )
