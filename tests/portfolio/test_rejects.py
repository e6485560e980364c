"""Every rejection reason: the row, column, value and sentence in the reject file; the rest stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from arrears.portfolio.reasons import REASONS
from tests.portfolio.feedkit import GOOD_FEED, counts, rejects, run_import, write_feed

HEADERS = {name: text.splitlines()[0] for name, text in GOOD_FEED.items()}


@dataclass(frozen=True)
class Case:
    code: str
    file: str
    line: str  # the bad data line, imported as row 2 after one good line
    column: str
    value: str
    a1: str = ""
    a2: str = ""

    @property
    def expected_reason(self) -> str:
        return REASONS[self.code].format(self.column, self.value, self.a1, self.a2)


GOOD_LINE = {
    "customers.csv": "C9,王芳,,,zh-CN,CN,Asia/Shanghai,",
    "contact_points.csv": "C1,landline,010-12345678,home,false,debtor,,",
    "accounts.csv": "A9,C1,auto_loan,CNY,2025-06-01,80000.00,,,active,",
    "installments.csv": "A1,9,2025-10-01,1060.00,,,",
    "payments.csv": "P9,A1,2025-04-02,100.00,app,",
}

CASES = [
    Case("wrong_field_count", "customers.csv", "C8,李娜,,,zh-CN", "", "", "5", "8"),
    Case("required", "customers.csv", "C8,,,,,,,", "name", ""),
    Case("too_long", "customers.csv", "C8," + "名" * 201 + ",,,,,,", "name", "名" * 201, "200"),
    Case(
        "not_in_enum",
        "accounts.csv",
        "A8,C1,payday_loan,CNY,2025-01-01,,,,,",
        "product",
        "payday_loan",
        "credit_card, personal_loan, mortgage, auto_loan, sme_loan",
    ),
    Case("bad_date", "accounts.csv", "A8,C1,personal_loan,CNY,2025-02-30,,,,,", "opened_on", "2025-02-30"),
    Case("bad_positive_integer", "installments.csv", "A1,0,2025-10-01,10.00,,,", "seq", "0"),
    Case("bad_boolean", "contact_points.csv", "C1,mobile,13700137000,,maybe,debtor,,", "is_primary", "maybe"),
    Case("bad_rate", "accounts.csv", "A8,C1,personal_loan,CNY,2025-01-01,,,12%,,", "interest_rate", "12%"),
    Case("bad_timezone", "customers.csv", "C8,李娜,,,,,Asia/Beijing,", "timezone", "Asia/Beijing"),
    Case("bad_country", "customers.csv", "C8,李娜,,,,CHN,,", "country", "CHN"),
    Case("bad_language", "customers.csv", "C8,李娜,,,chinese!,,,", "language", "chinese!"),
    Case("bad_currency", "accounts.csv", "A8,C1,personal_loan,RMB,2025-01-01,,,,,", "currency", "RMB"),
    Case("bad_amount", "installments.csv", 'A1,8,2025-10-01,"1,060.00",,,', "amount_due", "1,060.00"),
    Case("negative_amount", "installments.csv", "A1,8,2025-10-01,-5.00,,,", "amount_due", "-5.00"),
    Case("amount_not_positive", "payments.csv", "P8,A1,2025-04-01,0.00,,", "amount", "0.00"),
    Case("too_many_decimals", "payments.csv", "P8,A3,2025-04-01,100.5,,", "amount", "100.5", "JPY", "0"),
    Case("bad_phone", "contact_points.csv", "C1,mobile,call me,,,debtor,,", "value", "call me", "CN"),
    Case(
        "bad_email",
        "contact_points.csv",
        "C1,email,zhang.example.com,,,debtor,,",
        "value",
        "zhang.example.com",
    ),
    Case(
        "duplicate_key",
        "installments.csv",
        "A1,9,2025-11-01,1060.00,,,",
        "account_id",
        "A1",
        "account_id A1, seq 9",
        "1",
    ),
    Case(
        "unknown_customer", "accounts.csv", "A8,C404,personal_loan,CNY,2025-01-01,,,,,", "customer_id", "C404"
    ),
    Case("unknown_account", "installments.csv", "A404,1,2025-10-01,10.00,,,", "account_id", "A404"),
    Case(
        "currency_changed",
        "accounts.csv",
        "A1,C1,personal_loan,USD,2025-01-01,12000.00,,0.12,active,BJ",
        "currency",
        "USD",
        "CNY",
    ),
    Case(
        "amount_too_large",
        "installments.csv",
        "A1,8,2025-10-01,10000000000000.01,,,",
        "amount_due",
        "10000000000000.01",
        "1000000000000000",
    ),
    Case(
        "account_total_too_large",
        "installments.csv",
        "A1,8,2025-10-01,9999999999999.00,,,",
        "amount_due",
        "9999999999999.00",
        "installments",
        "1000000000000000",
    ),
    Case(
        "reversal_final",
        "payments.csv",
        "P2,A1,2025-03-07,1060.00,bank,",
        "paid_on",
        "2025-03-07",
        "2025-03-05",
        "R1",
    ),
    Case("reverses_itself", "payments.csv", "P8,A1,2025-04-01,10.00,,P8", "reverses", "P8"),
    Case("unknown_payment", "payments.csv", "R8,A1,2025-04-01,10.00,,P404", "reverses", "P404"),
    Case("reverses_reversal", "payments.csv", "R8,A1,2025-04-01,1060.00,,R1", "reverses", "R1"),
    Case("reversal_other_account", "payments.csv", "R8,A2,2025-04-01,1060.00,,P1", "reverses", "P1", "A1"),
    Case("reversal_amount", "payments.csv", "R8,A1,2025-04-01,60.00,,P1", "amount", "60.00", "1060.00"),
    Case("already_reversed", "payments.csv", "R8,A1,2025-04-01,1060.00,,P2", "reverses", "P2", "R1"),
]


def test_every_reason_has_a_case() -> None:
    assert {case.code for case in CASES} | {"reverses_rejected"} == set(REASONS)


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_each_fault_is_set_aside_and_the_rest_stored(engine: Engine, tmp_path: Path, case: Case) -> None:
    run_import(engine, write_feed(tmp_path / "base", GOOD_FEED))
    before = counts(engine)
    body = f"{HEADERS[case.file]}\n{GOOD_LINE[case.file]}\n{case.line}\n"
    (outcome,) = run_import(engine, write_feed(tmp_path / "bad", {case.file: body}))
    assert outcome.exit_code == 3 and outcome.rejected == 1
    assert rejects(outcome) == [
        {"row": "2", "column": case.column, "value": case.value, "reason": case.expected_reason}
    ]
    kind = case.file.removesuffix(".csv")
    assert counts(engine)[kind] == before[kind] + 1  # the good line was stored


def test_a_reversal_of_a_rejected_payment_is_rejected_with_it(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_feed(tmp_path / "base", GOOD_FEED))
    body = (
        f"{HEADERS['payments.csv']}\nP8,A1,2025-04-01,10.001,,\nR8,A1,2025-04-02,10.00,,P8\n"
        "P7,A1,2025-04-01,10.00,,\nR7,A1,2025-04-03,10.00,,P7\n"
    )
    (outcome,) = run_import(engine, write_feed(tmp_path / "bad", {"payments.csv": body}))
    lines = rejects(outcome)
    assert [(line["row"], line["column"]) for line in lines] == [("1", "amount"), ("2", "reverses")]
    assert lines[1]["reason"] == REASONS["reverses_rejected"].format("reverses", "P8", "1", "")
    assert outcome.stored == 2  # P7 and its reversal R7 in the same file


def test_a_row_with_several_faults_gets_a_line_for_each(engine: Engine, tmp_path: Path) -> None:
    body = f"{HEADERS['customers.csv']}\nC8,,,1990-02-31,,XX,Nowhere/City,\n"
    (outcome,) = run_import(engine, write_feed(tmp_path, {"customers.csv": body}))
    assert [line["column"] for line in rejects(outcome)] == ["birth_date", "country", "name", "timezone"]
    assert outcome.rejected == 1 and outcome.fault_lines == 4


def test_reasons_follow_the_language(engine: Engine, tmp_path: Path) -> None:
    body = f"{HEADERS['customers.csv']}\nC8,,,,,,,\n"
    (outcome,) = run_import(engine, write_feed(tmp_path, {"customers.csv": body}), language="zh-CN")
    assert rejects(outcome)[0]["reason"] == "name 为必填项，但为空"


def test_rejects_go_where_they_are_told(engine: Engine, tmp_path: Path) -> None:
    body = f"{HEADERS['customers.csv']}\nC8,,,,,,,\n"
    (outcome,) = run_import(
        engine, write_feed(tmp_path / "in", {"customers.csv": body}), rejects_dir=tmp_path / "out"
    )
    assert outcome.rejects_path == tmp_path / "out" / "customers.csv.rejects.csv"
    assert outcome.rejects_path.exists()
