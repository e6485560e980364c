"""Every generated file conforms to the feed contract v1 (docs: /work/shared/DESIGN.md)."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date

import langcodes

from arrears.clock import is_time_zone
from arrears.money import exponent, is_currency, parse_major
from arrears.portfolio.feeds import country_codes
from arrears.portfolio.phones import normalise_phone
from tests.sim.conftest import AS_OF

Feed = dict[str, list[dict[str, str]]]

CONTRACT_COLUMNS = {
    "customers": [
        "customer_id",
        "name",
        "national_id",
        "birth_date",
        "language",
        "country",
        "timezone",
        "segment",
    ],
    "contact_points": [
        "customer_id",
        "type",
        "value",
        "label",
        "is_primary",
        "party",
        "relation",
        "do_not_contact",
    ],
    "accounts": [
        "account_id",
        "customer_id",
        "product",
        "currency",
        "opened_on",
        "principal",
        "credit_limit",
        "interest_rate",
        "status",
        "branch",
    ],
    "installments": [
        "account_id",
        "seq",
        "due_date",
        "amount_due",
        "principal_due",
        "interest_due",
        "fees_due",
    ],
    "payments": ["payment_id", "account_id", "paid_on", "amount", "channel", "reverses"],
}
REQUIRED = {
    "customers": ["customer_id", "name"],
    "contact_points": ["customer_id", "type", "value"],
    "accounts": ["account_id", "customer_id", "product", "currency", "opened_on"],
    "installments": ["account_id", "seq", "due_date", "amount_due"],
    "payments": ["payment_id", "account_id", "paid_on", "amount"],
}
ENUMS = {
    ("contact_points", "type"): {"mobile", "landline", "email", "address", "wechat"},
    ("contact_points", "label"): {"home", "work", "other", ""},
    ("contact_points", "party"): {"debtor", "emergency_contact", "guarantor", "employer"},
    ("contact_points", "is_primary"): {"true", "false"},
    ("contact_points", "do_not_contact"): {"true", "false"},
    ("accounts", "product"): {"credit_card", "personal_loan", "mortgage", "auto_loan", "sme_loan"},
    ("accounts", "status"): {"active", "closed", "charged_off"},
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _amount_pattern(currency: str) -> re.Pattern[str]:
    places = exponent(currency)
    return re.compile(r"^\d+$" if places == 0 else rf"^\d+\.\d{{{places}}}$")


def test_files_have_exactly_the_contract_columns(feed: Feed) -> None:
    for kind, columns in CONTRACT_COLUMNS.items():
        assert list(feed[kind][0]) == columns, kind


def test_required_values_are_never_empty(feed: Feed) -> None:
    for kind, columns in REQUIRED.items():
        for row in feed[kind]:
            assert all(row[c].strip() for c in columns), (kind, row)


def test_enumerated_columns_hold_only_their_values(feed: Feed) -> None:
    for (kind, column), allowed in ENUMS.items():
        seen = {row[column] for row in feed[kind]}
        assert seen <= allowed, (kind, column, seen - allowed)
    assert {row["product"] for row in feed["accounts"]} == ENUMS[("accounts", "product")]


def test_codes_are_iso_and_iana(feed: Feed) -> None:
    countries = country_codes()
    for customer in feed["customers"]:
        assert customer["country"] in countries
        assert is_time_zone(customer["timezone"]), customer["timezone"]
        assert customer["language"] in {"zh-CN", "en"} and langcodes.tag_is_valid(customer["language"])
        assert ISO_DATE.match(customer["birth_date"])
    assert all(is_currency(a["currency"]) for a in feed["accounts"])


def test_amounts_carry_exactly_the_decimals_of_their_currency(feed: Feed) -> None:
    currency = {a["account_id"]: a["currency"] for a in feed["accounts"]}
    for account in feed["accounts"]:
        pattern = _amount_pattern(account["currency"])
        limit = account["principal"] or account["credit_limit"]
        assert bool(account["principal"]) != bool(account["credit_limit"])  # one or the other
        assert pattern.match(limit) and parse_major(limit, account["currency"]) > 0
        assert re.match(r"^0\.\d{4}$", account["interest_rate"])
    for row in feed["installments"]:
        code = currency[row["account_id"]]
        parts = [row[c] for c in ("amount_due", "principal_due", "interest_due", "fees_due")]
        assert all(_amount_pattern(code).match(p) for p in parts), row
        due, principal, interest, fees = (parse_major(p, code) for p in parts)
        assert due == principal + interest + fees and min(principal, interest, fees) >= 0
    for payment in feed["payments"]:
        code = currency[payment["account_id"]]
        assert _amount_pattern(code).match(payment["amount"]) and parse_major(payment["amount"], code) > 0


def test_jpy_amounts_have_no_decimals(feed: Feed) -> None:
    jpy = {a["account_id"] for a in feed["accounts"] if a["currency"] == "JPY"}
    assert jpy
    amounts = [r["amount_due"] for r in feed["installments"] if r["account_id"] in jpy]
    amounts += [p["amount"] for p in feed["payments"] if p["account_id"] in jpy]
    assert amounts and all(a.isdigit() for a in amounts)


def test_keys_are_unique(feed: Feed) -> None:
    keys = {
        "customers": ("customer_id",),
        "contact_points": ("customer_id", "type", "value"),
        "accounts": ("account_id",),
        "installments": ("account_id", "seq"),
        "payments": ("payment_id",),
    }
    for kind, key in keys.items():
        values = [tuple(row[c] for c in key) for row in feed[kind]]
        assert len(values) == len(set(values)), kind


def test_references_point_at_existing_rows(feed: Feed) -> None:
    customers = {c["customer_id"] for c in feed["customers"]}
    accounts = {a["account_id"] for a in feed["accounts"]}
    assert {c["customer_id"] for c in feed["contact_points"]} == customers  # everyone has a contact
    assert {a["customer_id"] for a in feed["accounts"]} == customers  # and an account
    assert {i["account_id"] for i in feed["installments"]} == accounts
    assert {p["account_id"] for p in feed["payments"]} <= accounts


def test_dates_are_iso_and_no_payment_or_account_is_after_the_as_of_date(feed: Feed) -> None:
    assert all(date.fromisoformat(a["opened_on"]) <= AS_OF for a in feed["accounts"])
    assert all(date.fromisoformat(p["paid_on"]) <= AS_OF for p in feed["payments"])
    assert any(date.fromisoformat(i["due_date"]) > AS_OF for i in feed["installments"])  # future dues


def test_schedules_run_monthly_from_seq_1_after_opening(feed: Feed) -> None:
    opened = {a["account_id"]: date.fromisoformat(a["opened_on"]) for a in feed["accounts"]}
    product = {a["account_id"]: a["product"] for a in feed["accounts"]}
    rows: dict[str, list[tuple[int, date]]] = defaultdict(list)
    for row in feed["installments"]:
        rows[row["account_id"]].append((int(row["seq"]), date.fromisoformat(row["due_date"])))
    lengths: dict[str, list[int]] = defaultdict(list)
    for account, schedule in rows.items():
        seqs = [s for s, _ in schedule]
        dues = [d for _, d in schedule]
        assert seqs == list(range(1, len(seqs) + 1)), account
        assert all(a < b for a, b in itertools.pairwise(dues)) and dues[0] > opened[account]
        lengths[product[account]].append(len(seqs))
    assert all(12 <= n <= 360 for values in lengths.values() for n in values)
    assert max(lengths["mortgage"]) >= 240 and min(lengths["personal_loan"]) == 12


def test_reversals_take_back_an_earlier_payment_of_the_same_account_once(feed: Feed) -> None:
    by_id = {p["payment_id"]: p for p in feed["payments"]}
    reversals = [p for p in feed["payments"] if p["reverses"]]
    assert len(reversals) >= 10
    reversed_ids = Counter(p["reverses"] for p in reversals)
    assert max(reversed_ids.values()) == 1  # never twice
    for reversal in reversals:
        original = by_id[reversal["reverses"]]
        assert not original["reverses"]  # never a reversal of a reversal
        assert original["account_id"] == reversal["account_id"]
        assert original["amount"] == reversal["amount"]
        assert date.fromisoformat(original["paid_on"]) < date.fromisoformat(reversal["paid_on"])


def test_people_have_chinese_and_english_names_ids_and_contacts(feed: Feed) -> None:
    customers = feed["customers"]
    chinese = [c for c in customers if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", c["name"])]
    english = [c for c in customers if re.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z']+", c["name"])]
    assert len(chinese) + len(english) == len(customers)
    assert 0.75 < len(chinese) / len(customers) < 0.95 and english
    assert all(c["language"] == "zh-CN" for c in chinese) and all(c["language"] == "en" for c in english)
    for customer in customers:
        if customer["country"] == "CN":
            number = customer["national_id"]
            total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
            assert number[17] == "10X98765432"[total % 11] and number[6:14] == customer["birth_date"].replace(
                "-", ""
            )
    zones = Counter(c["timezone"] for c in customers)
    assert zones.most_common(1)[0][0] == "Asia/Shanghai"
    assert any(zone.startswith("America/") for zone in zones)


def test_contact_values_look_like_what_they_are(feed: Feed) -> None:
    country = {c["customer_id"]: c["country"] for c in feed["customers"]}
    kinds = Counter((c["type"], c["party"]) for c in feed["contact_points"])
    for wanted in [
        ("mobile", "debtor"),
        ("email", "debtor"),
        ("address", "debtor"),
        ("wechat", "debtor"),
        ("mobile", "emergency_contact"),
        ("mobile", "guarantor"),
        ("landline", "employer"),
    ]:
        assert kinds[wanted] > 0, wanted
    for contact in feed["contact_points"]:
        value = contact["value"]
        if contact["type"] == "mobile":
            assert re.fullmatch(r"\+\d{9,14}", value)
            if country[contact["customer_id"]] == "CN":
                assert re.fullmatch(r"\+861[3-9]\d{9}", value)
        elif contact["type"] == "email":
            assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9]+\.[a-z.]+", value)
        elif contact["type"] == "landline":
            assert re.fullmatch(r"\+86-\d{2,3}-\d{7,8}", value)
        if contact["type"] in ("mobile", "landline"):
            e164, mobile = normalise_phone(value, country[contact["customer_id"]])
            assert e164 is not None and (mobile or contact["type"] == "landline"), value
        if contact["party"] in ("emergency_contact", "guarantor"):
            assert contact["relation"] and contact["is_primary"] == "false"


def test_currencies_are_mostly_cny_with_some_usd_and_jpy(feed: Feed) -> None:
    currencies = Counter(a["currency"] for a in feed["accounts"])
    total = sum(currencies.values())
    assert currencies["CNY"] / total > 0.8 and currencies["USD"] > currencies["JPY"] > 0


def test_customers_were_adults_when_their_accounts_were_opened(feed: Feed) -> None:
    born = {c["customer_id"]: date.fromisoformat(c["birth_date"]) for c in feed["customers"]}
    for account in feed["accounts"]:
        birth = born[account["customer_id"]]
        assert date.fromisoformat(account["opened_on"]) >= birth.replace(year=birth.year + 18, day=1)
