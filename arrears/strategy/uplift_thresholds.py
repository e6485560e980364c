"""The uplift model's persuadable threshold, chosen or derived from costs (pure: no database).

A contact pays when what it adds is worth more than it costs: a customer whose chance of paying
rises by ``gain`` when contacted brings, on average, ``gain × V`` more, V being the amount a paying
customer pays; so contact pays when ``gain × V > C``, C the contact's cost, that is when
``gain > C / V``: the **break-even gain**, the threshold above which a customer is
``persuadable`` (:mod:`arrears.scoring.uplift`). Money stays in integer minor units and Decimal;
the break-even is rounded *up* to :data:`PLACES` decimal places, so that rounding never makes
persuadable a customer whose contact would not pay. V is the mean amount collected within the
horizon from the randomised customers who paid (both arms), when the data has amounts, else the
one given (``--value-per-payer``). C is the one given (``--contact-cost``), or what the arms cost
(``--cost-from-arms``): the treated arm's mean cost per customer within the horizon less the
control arm's, each customer's actions at its strategy's price per action — what choosing the
treated path for one more customer costs on average, its steps together, the ones a customer who
pays early never reaches left out.

How the threshold came about is kept with the model (:class:`ThresholdBasis`, in its metrics) and
said by the train command and the registry page (:func:`sentence`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from arrears.errors import InvalidInputError
from arrears.i18n import N_, translate
from arrears.money import exponent, format_major, parse_major, round_half_even
from arrears.scoring.uplift import GAIN_THRESHOLD

PLACES = Decimal("0.000001")
"""The break-even gain is kept to six decimal places (a ten-thousandth of a point)."""
How = Literal["default", "given", "break_even"]

BOTH = N_(
    "give --gain-threshold or the contact's cost (--contact-cost, --cost-from-arms), not both: the "
    "persuadable threshold is either chosen or derived from the contact's cost"
)
BOTH_COSTS = N_(
    "give --contact-cost or --cost-from-arms, not both: the contact's cost is either given or "
    "counted from the arms"
)
VALUE_ALONE = N_(
    "--value-per-payer is read only with --contact-cost or --cost-from-arms (the break-even gain)"
)


@dataclass(frozen=True)
class ContactCost:
    """``--contact-cost`` or ``--cost-from-arms`` (and ``--value-per-payer``), as written: decimal
    strings in major units of the randomised customers' currency."""

    cost: str | None
    """None: counted from the arms (``--cost-from-arms``)."""
    value_per_payer: str | None = None


FROM_ARMS = ContactCost(None)


@dataclass(frozen=True)
class ArmCosts:
    """What each randomised customer's arm cost within the horizon (minor units), at its
    strategy's price per action, and which customers were treated (and in which arm)."""

    cost: npt.NDArray[np.int64] | None
    """None: the actions are not priced (no ``costs`` in the strategy)."""
    treated: npt.NDArray[np.bool_]
    arm: npt.NDArray[np.int16] | None = None
    """Each customer's treated arm (its index in ``names``), −1 for the control; None: one arm."""
    names: tuple[str, ...] = ("treated",)


@dataclass(frozen=True)
class ArmBreakEven:
    """One treated arm's own contact cost and break-even gain, when the arms are priced apart."""

    arm: str
    cost: Decimal
    """Minor units per customer: the arm's mean cost within the horizon."""
    contact_cost: Decimal
    """Minor units: the arm's mean cost less the control's."""
    break_even: Decimal


@dataclass(frozen=True)
class ThresholdBasis:
    """How the persuadable threshold came about."""

    gain: float
    how: How
    currency: str | None = None
    contact_cost: Decimal | None = None
    """Minor units: the amount given, or the difference of the arms' means (exact)."""
    value_per_payer: Decimal | None = None
    """Minor units: the mean over the paying customers (exact), or the amount given."""
    payers: int | None = None
    """The paying customers it is the mean of; None when it was given."""
    break_even: Decimal | None = None
    arm_costs: tuple[Decimal, Decimal] | None = None
    """Minor units per customer, control first, when the contact's cost was counted from the arms."""
    per_arm: tuple[ArmBreakEven, ...] = ()
    """Each treated arm's own break-even, when several were counted from the arms; ``gain`` is
    then the lowest of them (the model judges each arm by its own)."""

    def arm_thresholds(self) -> dict[str, float] | None:
        """Each treated arm's persuadable threshold, by name; None: one for all (``gain``)."""
        return {a.arm: float(a.break_even) for a in self.per_arm} or None

    def to_json(self) -> dict[str, Any]:
        """Kept in the model's metrics (``threshold_basis``); amounts as decimal strings."""
        found: dict[str, Any] = {"how": self.how, "gain": self.gain}
        if self.how == "break_even":
            assert self.currency and self.contact_cost is not None and self.value_per_payer is not None
            found |= {
                "currency": self.currency,
                "contact_cost": _shown(self.contact_cost, self.currency),
                "cost_from": "given" if self.arm_costs is None else "arms",
                "value_per_payer": _shown(self.value_per_payer, self.currency),
                "value_from": "given" if self.payers is None else "data",
                "payers": self.payers,
                "break_even": str(self.break_even),
            }
            if self.arm_costs is not None:
                control, treated = self.arm_costs
                found |= {
                    "control_cost": _shown(control, self.currency),
                    "treated_cost": _shown(treated, self.currency),
                }
            if self.per_arm:
                found["arms"] = [
                    {
                        "arm": a.arm,
                        "cost": _shown(a.cost, self.currency),
                        "contact_cost": _shown(a.contact_cost, self.currency),
                        "break_even": str(a.break_even),
                    }
                    for a in self.per_arm
                ]
        return found


def _shown(minor: Decimal, currency: str) -> str:
    """An amount in minor units (a mean: maybe a fraction of one) to the currency's places."""
    return format_major(round_half_even(minor.scaleb(-exponent(currency)), currency), currency)


def break_even(contact_cost: int | Decimal, value_per_payer: Decimal) -> Decimal:
    """The gain at which a contact pays for itself, ``C / V`` (both in minor units of one
    currency), rounded up to :data:`PLACES`."""
    return (Decimal(contact_cost) / value_per_payer).quantize(PLACES, rounding=ROUND_CEILING)


def basis(
    gain: float | None,
    costs: ContactCost | None,
    outcome: npt.NDArray[np.int8],
    collected: npt.NDArray[np.int64] | None,
    currency: str | None,
    arms: ArmCosts | None = None,
) -> ThresholdBasis:
    """The threshold chosen (``gain``), derived from ``costs`` (with the randomised customers'
    outcomes and amounts collected, minor units of ``currency``, and for ``--cost-from-arms``
    what each one's arm cost), or the default."""
    if costs is None:
        if gain is None:
            return ThresholdBasis(GAIN_THRESHOLD, "default")
        return ThresholdBasis(gain, "given")
    if gain is not None:
        raise InvalidInputError(BOTH)
    if currency is None:
        raise InvalidInputError(
            N_("the randomised customers' amounts are not in one currency: --contact-cost needs one")
        )
    cost, arm_costs = _contact_cost(costs, arms, currency)
    value, payers = _value_per_payer(costs, outcome, collected, currency)
    _check_pays(costs.cost if costs.cost is not None else _shown(cost, currency), cost, value, currency)
    found = break_even(cost, value)
    per_arm = _per_arm(arms, value, currency) if costs.cost is None and arms is not None else ()
    lowest = min((a.break_even for a in per_arm), default=found)
    return ThresholdBasis(
        float(lowest), "break_even", currency, cost, value, payers, found, arm_costs, per_arm
    )


def _check_pays(shown: str, cost: Decimal, value: Decimal, currency: str) -> None:
    """Refused: a contact that costs as much as a paying customer brings (checked before rounding:
    a cost of 200 digits has no six places to round to)."""
    if cost >= value:
        raise InvalidInputError(
            N_(
                "a contact costing {cost} {currency} never pays when a paying customer brings "
                "{value} {currency}: the break-even gain would be {gain}, and a gain is at most 1"
            ),
            cost=shown,
            currency=currency,
            value=_shown(value, currency),
            gain=_ratio(cost / value),
        )


def _per_arm(arms: ArmCosts, value: Decimal, currency: str) -> tuple[ArmBreakEven, ...]:
    """Each treated arm's own break-even, its mean cost less the control's against the same V,
    when there are several (one arm: the pooled figure is its own)."""
    if arms.arm is None or arms.cost is None or len(arms.names) < 2:
        return ()
    control = _mean(arms.cost[arms.arm < 0])
    found = []
    for index, name in enumerate(arms.names):
        mine = arms.arm == index
        if not mine.any():
            raise InvalidInputError(
                N_("--cost-from-arms needs customers in every arm: the arm {arm} has none"), arm=name
            )
        cost = _mean(arms.cost[mine])
        if cost <= control:
            raise InvalidInputError(
                N_(
                    "the arm {arm} cost {treated} {currency} a customer and the control arm {control} "
                    "{currency}: its contact costs nothing more, so any gain would pay; choose "
                    "--gain-threshold"
                ),
                arm=name,
                treated=_shown(cost, currency),
                control=_shown(control, currency),
                currency=currency,
            )
        _check_pays(f"{_shown(cost - control, currency)} ({name})", cost - control, value, currency)
        found.append(ArmBreakEven(name, cost, cost - control, break_even(cost - control, value)))
    return tuple(found)


def _contact_cost(
    costs: ContactCost, arms: ArmCosts | None, currency: str
) -> tuple[Decimal, tuple[Decimal, Decimal] | None]:
    """C in minor units: the amount given, or the treated arm's mean cost less the control's."""
    if costs.cost is not None:
        refusal = N_("--contact-cost must be more than 0 {currency} (it was {cost})")
        cost = _positive(costs.cost, currency, refusal, "cost")
        return Decimal(cost), None
    if arms is None or arms.cost is None:
        raise InvalidInputError(
            N_(
                "the arms' actions have no price: --cost-from-arms needs the strategy's cost per "
                "action (its costs), or give --contact-cost"
            )
        )
    if arms.treated.all() or not arms.treated.any():
        raise InvalidInputError(N_("--cost-from-arms needs customers in both arms"))
    control = _mean(arms.cost[~arms.treated])
    treated = _mean(arms.cost[arms.treated])
    if treated <= control:
        raise InvalidInputError(
            N_(
                "the treated arm cost {treated} {currency} a customer and the control arm {control} "
                "{currency}: contact costs nothing more, so any gain would pay; choose --gain-threshold"
            ),
            treated=_shown(treated, currency),
            control=_shown(control, currency),
            currency=currency,
        )
    return treated - control, (control, treated)


def _positive(text: str, currency: str, refusal: str, shown_as: str) -> int:
    """An amount given on the command line, in minor units; refused (``refusal``, the text given as
    its ``shown_as``) unless above 0."""
    amount = parse_major(text, currency)
    if amount <= 0:
        raise InvalidInputError(refusal, currency=currency, **{shown_as: text})
    return amount


def _mean(amounts: npt.NDArray[np.int64]) -> Decimal:
    """The exact mean of integer minor units (no float)."""
    return Decimal(int(amounts.sum())) / Decimal(len(amounts))


def _ratio(ratio: Decimal) -> str:
    """A break-even gain of 1 or more as the refusal says it (six places while they fit)."""
    return str(ratio.quantize(PLACES, rounding=ROUND_CEILING)) if ratio.adjusted() < 20 else f"{ratio:.3e}"


def _value_per_payer(
    costs: ContactCost,
    outcome: npt.NDArray[np.int8],
    collected: npt.NDArray[np.int64] | None,
    currency: str,
) -> tuple[Decimal, int | None]:
    """The amount given, else the mean collected from the customers who paid (minor units)."""
    if costs.value_per_payer is not None:
        refusal = N_("--value-per-payer must be more than 0 {currency} (it was {value})")
        value = _positive(costs.value_per_payer, currency, refusal, "value")
        return Decimal(value), None
    paid = outcome == 1
    payers = int(paid.sum())
    total = 0 if collected is None or not payers else int(collected[paid].sum())
    if total <= 0:
        raise InvalidInputError(
            N_(
                "the randomised data has no amount collected from the customers who paid: give "
                "--value-per-payer AMOUNT ({currency}) beside --contact-cost"
            ),
            currency=currency,
        )
    return Decimal(total) / Decimal(payers), payers


def sentence(found: Mapping[str, Any] | None, language: str) -> str | None:
    """How the threshold came about, in a sentence (None for a model stored before it was kept)."""
    if not found:
        return None
    gain = f"{float(found['gain']):.6g}"
    if found["how"] == "default":
        return translate(
            N_(
                "Persuadable above a gain of {gain}: the default "
                "(neither --gain-threshold nor --contact-cost)."
            ),
            language,
            gain=gain,
        )
    if found["how"] == "given":
        return translate(
            N_("Persuadable above a gain of {gain}: as chosen (--gain-threshold)."), language, gain=gain
        )
    currency = found["currency"]
    if found.get("arms"):
        return _per_arm_sentence(found, language)
    cost, value = f"{found['contact_cost']} {currency}", f"{found['value_per_payer']} {currency}"
    if found.get("cost_from") == "arms":
        cost = translate(
            N_(
                "{cost} (the treated arm's {treated} a customer less the control arm's {control}, "
                "at the strategies' prices per action)"
            ),
            language,
            cost=cost,
            treated=f"{found['treated_cost']} {currency}",
            control=f"{found['control_cost']} {currency}",
        )
    if found.get("payers") is None:
        return translate(
            N_(
                "Persuadable above a gain of {gain}: the break-even of a contact costing {cost} against "
                "{value} collected per paying customer (as given, --value-per-payer)."
            ),
            language,
            gain=found["break_even"],
            cost=cost,
            value=value,
        )
    return translate(
        N_(
            "Persuadable above a gain of {gain}: the break-even of a contact costing {cost} against "
            "{value} collected per paying customer (the mean of the {payers} who paid in the "
            "randomised data)."
        ),
        language,
        gain=found["break_even"],
        cost=cost,
        value=value,
        payers=f"{found['payers']:,}",
    )


def _per_arm_sentence(found: Mapping[str, Any], language: str) -> str:
    """How each arm's own threshold came about (the arms priced apart, ``--cost-from-arms``)."""
    currency = found["currency"]
    arms = "; ".join(
        translate(
            N_(
                "{arm} {gain} (a contact costing {cost}: the arm's {treated} a customer less the "
                "control arm's {control})"
            ),
            language,
            arm=arm["arm"],
            gain=arm["break_even"],
            cost=f"{arm['contact_cost']} {currency}",
            treated=f"{arm['cost']} {currency}",
            control=f"{found['control_cost']} {currency}",
        )
        for arm in found["arms"]
    )
    value = f"{found['value_per_payer']} {currency}"
    if found.get("payers") is None:
        return translate(
            N_(
                "Persuadable above each arm's own break-even gain, against {value} collected per paying "
                "customer (as given, --value-per-payer), at the strategies' prices per action: {arms}."
            ),
            language,
            value=value,
            arms=arms,
        )
    return translate(
        N_(
            "Persuadable above each arm's own break-even gain, against {value} collected per paying "
            "customer (the mean of the {payers} who paid in the randomised data), at the strategies' "
            "prices per action: {arms}."
        ),
        language,
        value=value,
        payers=f"{found['payers']:,}",
        arms=arms,
    )
