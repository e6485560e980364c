"""The persuadable threshold derived from costs: contact pays when gain × the amount a paying
customer brings > the contact's cost, so the threshold is the break-even gain C / V, in Decimal
from minor units, rounded up; the figures below are worked by hand. Chosen and derived together,
or a contact dearer than a payer, are refused in both languages (here and from the command)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.config import get_settings
from arrears.errors import InvalidInputError
from arrears.money import MoneyError
from arrears.strategy.uplift_thresholds import (
    BOTH,
    FROM_ARMS,
    ArmCosts,
    ContactCost,
    ThresholdBasis,
    basis,
    break_even,
    sentence,
)

PAID = np.array([1, 1, 1, 0, 0, 1], np.int8)
COLLECTED = np.array([20_000, 25_000, 30_000, 0, 999, 0], np.int64)
"""Four customers paid, bringing 200.00, 250.00, 300.00 and 0.00 CNY (a cure with nothing paid in
the horizon still counts among the payers): 750.00 / 4 = 187.50 CNY a paying customer. The 9.99
of a customer who did not cure is not a payer's."""


def test_the_break_even_gain_is_the_cost_over_the_value_rounded_up() -> None:
    assert break_even(300, Decimal(25_000)) == Decimal("0.012000")  # 3.00 / 250.00
    assert break_even(100, Decimal(30_000)) == Decimal("0.003334")  # 1/300 = 0.0033333…, up
    assert break_even(50, Decimal(7_000)) == Decimal("0.007143")  # JPY: 50 / 7,000 = 0.00714285…
    assert break_even(1, Decimal(3)) == Decimal("0.333334")


def test_the_value_of_a_payer_is_the_mean_collected_from_those_who_paid() -> None:
    found = basis(None, ContactCost("3.75"), PAID, COLLECTED, "CNY")
    # V = (20,000 + 25,000 + 30,000 + 0) / 4 = 18,750 fen; C = 375 fen; 375 / 18,750 = 0.02
    assert found == ThresholdBasis(0.02, "break_even", "CNY", 375, Decimal(18_750), 4, Decimal("0.020000"))
    assert found.to_json() == {
        "how": "break_even",
        "gain": 0.02,
        "currency": "CNY",
        "contact_cost": "3.75",
        "cost_from": "given",
        "value_per_payer": "187.50",
        "value_from": "data",
        "payers": 4,
        "break_even": "0.020000",
    }
    odd = basis(None, ContactCost("1.00"), np.array([1, 1, 1], np.int8), np.array([100, 100, 101]), "CNY")
    # V = 301 / 3 = 100.333… fen (1.00 CNY shown); C = 100 fen: 100 / 100.333… = 0.996677…, up
    assert odd.break_even == Decimal("0.996678") and odd.to_json()["value_per_payer"] == "1.00"


def test_a_value_given_is_used_and_a_threshold_chosen_or_left_is_said_so() -> None:
    given = basis(None, ContactCost("50", "7000"), PAID, None, "JPY")
    assert given.break_even == Decimal("0.007143") and given.payers is None
    assert given.to_json()["value_from"] == "given" and given.to_json()["value_per_payer"] == "7000"
    assert basis(0.08, None, PAID, COLLECTED, "CNY") == ThresholdBasis(0.08, "given")
    assert basis(None, None, PAID, COLLECTED, "CNY") == ThresholdBasis(0.05, "default")


def test_what_cannot_give_a_threshold_is_refused_in_both_languages() -> None:
    with pytest.raises(InvalidInputError) as both:
        basis(0.05, ContactCost("3.00"), PAID, COLLECTED, "CNY")
    assert both.value.template == BOTH and "not both" in both.value.message("en")
    assert "不能同时" in both.value.message("zh-CN")
    with pytest.raises(InvalidInputError) as nothing:
        basis(None, ContactCost("3.00"), PAID, np.zeros(6, np.int64), "CNY")
    assert "give --value-per-payer AMOUNT (CNY)" in nothing.value.message("en")
    assert "--value-per-payer" in nothing.value.message("zh-CN") and "请" in nothing.value.message("zh-CN")
    with pytest.raises(InvalidInputError) as dear:
        basis(None, ContactCost("187.50"), PAID, COLLECTED, "CNY")
    assert "never pays when a paying customer brings 187.50 CNY" in dear.value.message("en")
    assert "1.000000" in dear.value.message("zh-CN")
    with pytest.raises(InvalidInputError) as huge:  # 200 digits: refused, not a decimal.InvalidOperation
        basis(None, ContactCost("9" * 200), PAID, COLLECTED, "CNY")
    assert "never pays" in huge.value.message("en") and "e+" in huge.value.message("zh-CN")
    with pytest.raises(InvalidInputError) as free:
        basis(None, ContactCost("0"), PAID, COLLECTED, "CNY")
    assert "--contact-cost must be more than 0 CNY" in free.value.message("en")
    with pytest.raises(MoneyError):
        basis(None, ContactCost("3.001"), PAID, COLLECTED, "CNY")  # CNY has two decimals
    with pytest.raises(InvalidInputError) as mixed:
        basis(None, ContactCost("3.00"), PAID, COLLECTED, None)
    assert "not in one currency" in mixed.value.message("en")


TREATED = np.array([1, 1, 1, 0, 0, 0], np.bool_)


def test_the_contact_s_cost_counted_from_the_arms_is_the_difference_of_their_means() -> None:
    # the treated arm's actions cost 5.00, 3.00 and 4.00 CNY (4.00 a customer), the control's 1.00,
    # 0.00 and 0.50 (0.50): C = 3.50 CNY; V = 187.50 CNY as above; 350 / 18,750 = 0.018666…, up
    arms = ArmCosts(np.array([500, 300, 400, 100, 0, 50], np.int64), TREATED)
    found = basis(None, FROM_ARMS, PAID, COLLECTED, "CNY", arms)
    assert found.break_even == Decimal("0.018667") and found.gain == 0.018667
    assert found.contact_cost == Decimal(350) and found.arm_costs == (Decimal(50), Decimal(400))
    assert found.to_json() == {
        "how": "break_even", "gain": 0.018667, "currency": "CNY", "contact_cost": "3.50",
        "cost_from": "arms", "control_cost": "0.50", "treated_cost": "4.00", "value_per_payer": "187.50",
        "value_from": "data", "payers": 4, "break_even": "0.018667",
    }  # fmt: skip
    said = sentence(found.to_json(), "en")
    assert said == (
        "Persuadable above a gain of 0.018667: the break-even of a contact costing 3.50 CNY (the treated "
        "arm's 4.00 CNY a customer less the control arm's 0.50 CNY, at the strategies' prices per action) "
        "against 187.50 CNY collected per paying customer (the mean of the 4 who paid in the randomised data)."
    )
    chinese = sentence(found.to_json(), "zh-CN")
    assert (
        chinese is not None
        and "3.50 CNY" in chinese
        and "0.50 CNY" in chinese
        and "a customer" not in chinese
    )
    # a mean that is not a whole fen is kept exact: C = 400 − 1/3 fen; 399.666… / 18,750 = 0.0213155…, up
    thirds = ArmCosts(np.array([400, 400, 400, 0, 0, 1], np.int64), TREATED)
    exact = basis(None, FROM_ARMS, PAID, COLLECTED, "CNY", thirds)
    assert exact.break_even == Decimal("0.021316") and exact.to_json()["control_cost"] == "0.00"
    given = basis(None, ContactCost(None, "250.00"), PAID, None, "CNY", arms)  # 350 / 25,000 = 0.014
    assert given.break_even == Decimal("0.014000")
    assert "(as given, --value-per-payer)" in (sentence(given.to_json(), "en") or "")


def test_several_treated_arms_each_have_their_own_break_even() -> None:
    # an SMS arm (customers 0, 1: 0.50 and 0.70 CNY, 0.60 a customer), a call arm (2, 3: 4.00 and
    # 5.00, 4.50) and the control (4, 5: 0.00 and 0.20, 0.10); V = 187.50 CNY as above.
    # SMS: C = 0.50 CNY, 50 / 18,750 = 0.0026666…, up 0.002667; call: C = 4.40, 440 / 18,750 =
    # 0.0234666…, up 0.023467; pooled (both against the control): 2.55 − 0.10 = 2.45, 0.013067
    arm = np.array([0, 0, 1, 1, -1, -1], np.int16)
    costs = np.array([50, 70, 400, 500, 0, 20], np.int64)
    arms = ArmCosts(costs, arm >= 0, arm, ("sms", "call"))
    found = basis(None, FROM_ARMS, PAID, COLLECTED, "CNY", arms)
    assert found.arm_thresholds() == {"sms": 0.002667, "call": 0.023467}
    assert found.gain == 0.002667 and found.break_even == Decimal("0.013067")  # the lowest; the pooled
    assert found.to_json()["arms"] == [
        {"arm": "sms", "cost": "0.60", "contact_cost": "0.50", "break_even": "0.002667"},
        {"arm": "call", "cost": "4.50", "contact_cost": "4.40", "break_even": "0.023467"},
    ]
    assert sentence(found.to_json(), "en") == (
        "Persuadable above each arm's own break-even gain, against 187.50 CNY collected per paying customer "
        "(the mean of the 4 who paid in the randomised data), at the strategies' prices per action: sms "
        "0.002667 (a contact costing 0.50 CNY: the arm's 0.60 CNY a customer less the control arm's 0.10 "
        "CNY); call 0.023467 (a contact costing 4.40 CNY: the arm's 4.50 CNY a customer less the control "
        "arm's 0.10 CNY)."
    )
    chinese = sentence(found.to_json(), "zh-CN")
    assert (
        chinese is not None and "0.023467" in chinese and "4.40 CNY" in chinese and "contact" not in chinese
    )
    one = basis(None, FROM_ARMS, PAID, COLLECTED, "CNY", ArmCosts(costs, arm >= 0))  # not told the arms
    assert one.arm_thresholds() is None and one.gain == 0.013067
    given = basis(None, ContactCost("3.00"), PAID, COLLECTED, "CNY", arms)  # one cost given: one threshold
    assert given.arm_thresholds() is None and "arms" not in given.to_json()
    with pytest.raises(InvalidInputError) as empty:
        basis(
            None, FROM_ARMS, PAID, COLLECTED, "CNY", ArmCosts(costs, arm >= 0, arm, ("sms", "call", "visit"))
        )
    assert "the arm visit has none" in empty.value.message("en")
    cheap = ArmCosts(np.array([0, 20, 400, 500, 0, 20], np.int64), arm >= 0, arm, ("sms", "call"))
    with pytest.raises(InvalidInputError) as free:
        basis(None, FROM_ARMS, PAID, COLLECTED, "CNY", cheap)
    said = free.value.message("en")
    assert "the arm sms cost 0.10 CNY a customer and the control arm 0.10 CNY" in said
    assert "sms" in free.value.message("zh-CN") and "a customer" not in free.value.message("zh-CN")


@pytest.mark.parametrize(
    ("arms", "said"),
    [
        (None, "--cost-from-arms needs the strategy's cost per action"),
        (ArmCosts(None, TREATED), "--cost-from-arms needs the strategy's cost per action"),
        (ArmCosts(np.zeros(6, np.int64), np.ones(6, np.bool_)), "needs customers in both arms"),
        (ArmCosts(np.array([100, 100, 100, 100, 200, 0]), TREATED), "contact costs nothing more"),
    ],
)
def test_arms_that_cannot_price_a_contact_are_refused(arms: ArmCosts | None, said: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        basis(None, FROM_ARMS, PAID, COLLECTED, "CNY", arms)
    assert said in refused.value.message("en")
    assert said not in refused.value.message("zh-CN")


def test_how_the_threshold_came_about_in_a_sentence() -> None:
    derived = basis(None, ContactCost("3.75"), PAID, COLLECTED, "CNY").to_json()
    assert sentence(derived, "en") == (
        "Persuadable above a gain of 0.020000: the break-even of a contact costing 3.75 CNY against "
        "187.50 CNY collected per paying customer (the mean of the 4 who paid in the randomised data)."
    )
    chinese = sentence(derived, "zh-CN")
    assert chinese is not None and "0.020000" in chinese and "3.75 CNY" in chinese and "盈亏平衡" in chinese
    assert sentence({"how": "default", "gain": 0.05}, "en") == (
        "Persuadable above a gain of 0.05: the default (neither --gain-threshold nor --contact-cost)."
    )
    assert "--gain-threshold" in (sentence({"how": "given", "gain": 0.08}, "zh-CN") or "")
    assert sentence(None, "en") is None


@pytest.mark.parametrize(
    ("language", "both_said", "alone_said"),
    [
        (
            "en",
            "give --gain-threshold or the contact's cost (--contact-cost, --cost-from-arms), not both",
            "--value-per-payer is read only with",
        ),
        ("zh-CN", "不能同时", "--value-per-payer"),
    ],
)
def test_the_command_refuses_a_threshold_chosen_and_derived(
    language: str, both_said: str, alone_said: str, tmp_path: Path
) -> None:
    runner = CliRunner(env={"COLUMNS": "300", "ARREARS_LANGUAGE": language})
    file = tmp_path / "s.yaml"
    file.write_text("strategy: s\n", "utf-8")
    get_settings.cache_clear()
    try:
        both = runner.invoke(
            app,
            ["strategy", "uplift", "train", "--simulated", str(file), "--gain-threshold", "0.1",
             "--contact-cost", "3.00"],
        )  # fmt: skip
        both_costs = runner.invoke(
            app,
            ["strategy", "uplift", "train", "--simulated", str(file), "--contact-cost", "3.00",
             "--cost-from-arms"],
        )  # fmt: skip
        alone = runner.invoke(
            app, ["strategy", "uplift", "train", "--simulated", str(file), "--value-per-payer", "200"]
        )
    finally:
        get_settings.cache_clear()
    assert both_costs.exit_code == 2 and "--cost-from-arms" in both_costs.output
    for answer, said in ((both, both_said), (alone, alone_said)):
        assert answer.exit_code == 2, answer.output
        assert said in " ".join(answer.output.split()) and "Traceback" not in answer.output
    if language == "zh-CN":
        assert "not both" not in both.output
