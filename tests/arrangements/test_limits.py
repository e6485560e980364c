"""The maker-checker limits: read from YAML with file/line/key errors, per role and product, the
tightest over several products, approval needed or refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from arrears.arrangements.limits import (
    BeyondYourLimitError,
    OverLimitError,
    Proposal,
    load_limits,
    share_of,
)
from arrears.auth.permissions import Role
from arrears.config import load_settings
from arrears.yamlfile import YamlFileError


def proposal(
    discount: int = 0,
    waived: int = 0,
    months: int = 6,
    installments: int = 6,
    products: tuple[str, ...] = ("personal_loan",),
    currency: str = "CNY",
) -> Proposal:
    return Proposal(currency, 100_000, discount, waived, months, installments, products)


def test_within_the_makers_limits_needs_no_approval() -> None:
    limits = load_limits()
    assert (
        limits.assess(Role.COLLECTOR, proposal(discount=10_000, waived=50_000, months=12, installments=12))
        == []
    )


def test_beyond_the_makers_limits_names_each_limit_passed() -> None:
    limits = load_limits()
    beyond = limits.assess(
        Role.COLLECTOR, proposal(discount=10_001, waived=50_001, months=13, installments=13)
    )
    assert [str(b) for b in beyond] == [
        "discount 10.001% > 10%",
        "waived_fees 50001 CNY > 50000 CNY",
        "months 13 > 12",
        "installments 13 > 12",
    ]
    limits.check_approver(
        Role.SUPERVISOR, proposal(discount=10_001, waived=50_001, months=13, installments=13)
    )


def test_beyond_every_approvers_limit_is_refused_naming_the_limit() -> None:
    limits = load_limits()
    with pytest.raises(OverLimitError) as refused:
        limits.assess(Role.COLLECTOR, proposal(discount=30_001))
    assert refused.value.code == "over_limit" and refused.value.http_status == 409
    assert "discount 30.001%" in str(refused.value) and "30%" in str(refused.value)
    with pytest.raises(BeyondYourLimitError):
        limits.check_approver(Role.SUPERVISOR, proposal(months=37))


def test_per_product_and_the_tightest_over_several() -> None:
    limits = load_limits()
    card = proposal(discount=15_000, products=("credit_card",))
    assert limits.assess(Role.COLLECTOR, card) == []
    both = proposal(discount=15_000, products=("credit_card", "personal_loan"))
    assert [b.limit for b in limits.assess(Role.COLLECTOR, both)] == ["discount"]
    assert limits.entry(Role.SUPERVISOR, ["mortgage"]).max_months == 60
    assert limits.entry(Role.SUPERVISOR, ["mortgage", "personal_loan"]).max_months == 36
    with pytest.raises(BeyondYourLimitError):
        limits.check_approver(Role.SUPERVISOR, proposal(discount=20_000, products=("mortgage",)))


def test_a_currency_not_listed_waives_nothing_and_a_role_not_listed_needs_approval_for_all() -> None:
    limits = load_limits()
    assert [b.limit for b in limits.breaches(Role.SUPERVISOR, proposal(waived=1, currency="EUR"))] == [
        "waived_fees"
    ]
    assert [b.limit for b in limits.assess(Role.FIELD_AGENT, proposal(installments=1, months=1))] == [
        "months",
        "installments",
    ]


def test_share_is_an_exact_decimal() -> None:
    assert share_of(1, 3) == Decimal(1) / Decimal(3)
    assert share_of(0, 0) == 0 and share_of(5, 0) == 1


def test_a_bank_file_overrides_and_its_mistakes_name_the_line_and_key(tmp_path: Path) -> None:
    good = tmp_path / "limits.yaml"
    good.write_text(
        'roles:\n  collector:\n    default:\n      max_discount: "0.5"\n      max_months: 24\n      max_installments: 24\n'
        '  supervisor:\n    default:\n      max_discount: "0.9"\n      max_waived_share: "0.01"\n      max_months: 60\n      max_installments: 60\n',
        encoding="utf-8",
    )
    limits = load_limits(good)
    assert limits.assess(Role.COLLECTOR, proposal(discount=50_000, months=24, installments=24)) == []
    assert [b.limit for b in limits.breaches(Role.SUPERVISOR, proposal(waived=2_000))] == [
        "waived_fees",
        "waived_share",
    ]
    with pytest.raises(OverLimitError):  # no approver waives 2,000 CNY under this file
        limits.assess(Role.COLLECTOR, proposal(waived=2_000))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "roles:\n  collector:\n    default:\n      max_discount: 0.1\n      max_months: 24\n      max_installments: 24\n"
        "  boss:\n    default: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(YamlFileError) as error:
        load_limits(bad)
    message = str(error.value)
    assert "bad.yaml, line 4" in message and "max_discount" in message and "quoted" in message
    assert "boss" in message


def test_the_setting_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARREARS_APPROVAL_LIMITS", str(tmp_path / "mine.yaml"))
    monkeypatch.setenv("ARREARS_PLAN_GRACE_DAYS", "3")
    settings = load_settings()
    assert settings.approval_limits == tmp_path / "mine.yaml" and settings.plan_grace_days == 3
