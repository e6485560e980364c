"""The feed contract's rules on what a file changes: absent columns, final reversals, telephone
numbers, bounded amounts, files of unknown kind; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from arrears.portfolio.feeds import MAX_AMOUNT
from arrears.portfolio.models import Account, ContactPoint, Customer, ImportLog, Payment
from arrears.portfolio.reasons import REASONS
from tests.portfolio.feedkit import GOOD_FEED, counts, import_log, rejects, run_import, write_feed


def _row(engine: Engine, model: Any, **key: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(model).filter_by(**key)).one()


def stored_with_flags(engine: Engine, tmp_path: Path) -> None:
    """The good feed stored, then A1 charged off and C1's mobile marked do-not-contact."""
    run_import(engine, write_feed(tmp_path / "base", GOOD_FEED))
    with engine.begin() as connection:
        connection.execute(update(Account).where(Account.account_id == "A1").values(status="charged_off"))
        connection.execute(
            update(ContactPoint).where(ContactPoint.value == "+8613800138000").values(do_not_contact=True)
        )


def test_a_file_without_an_optional_column_leaves_the_stored_value(engine: Engine, tmp_path: Path) -> None:
    stored_with_flags(engine, tmp_path)
    files = {
        "customers.csv": "customer_id,name\nC1,张伟\n",
        "contact_points.csv": "customer_id,type,value\nC1,mobile,+8613800138000\n",
        "accounts.csv": "account_id,customer_id,product,currency,opened_on\nA1,C1,personal_loan,CNY,2025-01-01\n",
    }
    outcomes = run_import(engine, write_feed(tmp_path / "narrow", files))
    assert [(o.updated, o.unchanged, o.rejected) for o in outcomes] == [(0, 1, 0)] * 3
    c1 = _row(engine, Customer, customer_id="C1")
    assert (c1.national_id, str(c1.birth_date), c1.timezone) == (
        "110101199001011234",
        "1990-01-01",
        "Asia/Shanghai",
    )
    contact = _row(engine, ContactPoint, value="+8613800138000")
    assert (contact.do_not_contact, contact.is_primary, contact.label) == (True, True, "home")
    a1 = _row(engine, Account, account_id="A1")
    assert (a1.status, a1.branch, a1.principal) == ("charged_off", "BJ", 1_200_000)


def test_an_empty_cell_clears_what_may_be_cleared_and_never_a_flag(engine: Engine, tmp_path: Path) -> None:
    stored_with_flags(engine, tmp_path)
    files = {
        "customers.csv": "customer_id,name,national_id,timezone\nC1,张伟,,\n",
        "contact_points.csv": "customer_id,type,value,label,do_not_contact\nC1,mobile,+8613800138000,,\n",
        "accounts.csv": "account_id,customer_id,product,currency,opened_on,status,branch\n"
        "A1,C1,personal_loan,CNY,2025-01-01,,\n",
    }
    outcomes = run_import(engine, write_feed(tmp_path / "empty", files))
    assert [o.updated for o in outcomes] == [1, 1, 1]
    c1 = _row(engine, Customer, customer_id="C1")
    assert (c1.national_id, c1.timezone, c1.country) == (None, None, "CN")
    contact = _row(engine, ContactPoint, value="+8613800138000")
    assert (contact.do_not_contact, contact.label) == (True, None)
    a1 = _row(engine, Account, account_id="A1")
    assert (a1.status, a1.branch) == ("charged_off", None)
    # Said in so many words, the flag is cleared and the status changes.
    files = {
        "contact_points.csv": "customer_id,type,value,do_not_contact\nC1,mobile,+8613800138000,false\n",
        "accounts.csv": "account_id,customer_id,product,currency,opened_on,status\n"
        "A1,C1,personal_loan,CNY,2025-01-01,active\n",
    }
    run_import(engine, write_feed(tmp_path / "said", files))
    assert _row(engine, ContactPoint, value="+8613800138000").do_not_contact is False
    assert _row(engine, Account, account_id="A1").status == "active"


def test_new_rows_take_the_defaults_of_absent_columns(engine: Engine, tmp_path: Path) -> None:
    files = {
        "customers.csv": "customer_id,name\nC7,王五\n",
        "contact_points.csv": "customer_id,type,value\nC7,email,w@example.com\n",
        "accounts.csv": "account_id,customer_id,product,currency,opened_on\nA7,C7,credit_card,CNY,2025-01-01\n",
    }
    assert all(o.stored == 1 for o in run_import(engine, write_feed(tmp_path, files)))
    contact = _row(engine, ContactPoint, value="w@example.com")
    assert (contact.do_not_contact, contact.is_primary, contact.party) == (False, False, "debtor")
    assert _row(engine, Account, account_id="A7").status == "active"


def test_a_payment_in_a_reversal_is_final(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_feed(tmp_path / "base", GOOD_FEED))  # R1 reverses P2
    header = GOOD_FEED["payments.csv"].splitlines()[0]
    body = (
        f"{header}\n"
        "P2,A1,2025-03-05,1000.00,bank,\n"  # the reversed payment's amount
        "R1,A2,2025-03-06,1060.00,bank,P2\n"  # the reversal's account
        "P1,A1,2025-02-01,1060.00,branch,\n"  # not reversed: may change
    )
    (outcome,) = run_import(engine, write_feed(tmp_path / "day2", {"payments.csv": body}))
    lines = rejects(outcome)
    assert [(line["row"], line["column"]) for line in lines] == [("1", "amount"), ("2", "account_id")]
    assert lines[0]["reason"] == REASONS["reversal_final"].format("amount", "1000.00", "1060.00", "R1")
    assert lines[1]["reason"] == REASONS["reversal_final"].format("account_id", "A2", "A1", "P2")
    assert outcome.updated == 1
    assert _row(engine, Payment, payment_id="P2").amount == 106_000
    assert _row(engine, Payment, payment_id="R1").account_id == "A1"
    # The reversal cannot let go of the payment it reverses either.
    unlink = f"{header}\nR1,A1,2025-03-06,1060.00,bank,\n"
    (outcome,) = run_import(engine, write_feed(tmp_path / "day3", {"payments.csv": unlink}))
    assert [(line["column"], line["reason"]) for line in rejects(outcome)] == [
        ("reverses", REASONS["reversal_final"].format("reverses", "", "P2", "P2"))
    ]
    assert _row(engine, Payment, payment_id="R1").reverses == "P2"


def test_phone_numbers_are_checked_for_the_region_and_stored_in_e164(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_feed(tmp_path / "base", {"customers.csv": GOOD_FEED["customers.csv"]}))
    body = (
        "customer_id,type,value\n"
        "C1,mobile,+86 138 0013 8000\n"
        "C1,mobile,13800138000\n"  # the same number, twice more
        "C1,mobile,0086-138-0013-8000\n"
        "C1,mobile,12345\n"
        "C1,mobile,010-12345678\n"  # a landline is not a mobile
        "C1,landline,010-12345678\n"
        "C2,work_phone,(212) 555-0100\n"  # C2 lives in the US
    )
    (outcome,) = run_import(engine, write_feed(tmp_path / "phones", {"contact_points.csv": body}))
    reasons = [(line["row"], line["reason"].split(" ")[0], line["reason"]) for line in rejects(outcome)]
    assert [(row, word) for row, word, _ in reasons] == [
        ("2", "customer_id"),
        ("3", "customer_id"),
        ("4", "value"),
        ("5", "value"),
    ]
    assert reasons[0][2].endswith("appears more than once in this file (first on row 1)")
    assert reasons[2][2] == REASONS["bad_phone"].format("value", "12345", "CN", "")
    with engine.connect() as connection:
        stored = connection.execute(select(ContactPoint.value).order_by(ContactPoint.value)).scalars().all()
    assert stored == ["+12125550100", "+861012345678", "+8613800138000"]


def test_amounts_that_would_overflow_are_rejected_with_their_row(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_feed(tmp_path / "base", GOOD_FEED))
    near = f"{(MAX_AMOUNT // 100) // 2}.00"  # half the bound, in CNY
    header = GOOD_FEED["installments.csv"].splitlines()[0]
    body = f"{header}\nA1,1,2025-02-01,{near},,,\nA1,2,2025-03-01,{near},,,\nA1,3,2025-04-01,0.01,,,\n"
    (outcome,) = run_import(engine, write_feed(tmp_path / "huge", {"installments.csv": body}))
    assert [(line["row"], line["column"]) for line in rejects(outcome)] == [("3", "amount_due")]
    assert outcome.updated == 2
    # The same file again: the stored amounts are replaced, not added to.
    (again,) = run_import(engine, write_feed(tmp_path / "huge2", {"installments.csv": body}))
    assert (again.unchanged, again.rejected) == (2, 1)
    payments = "payment_id,account_id,paid_on,amount\n" + "".join(
        f"H{i},A2,2025-04-0{i},{near[:-3]}.00\n" for i in range(1, 4)
    )
    (paid,) = run_import(engine, write_feed(tmp_path / "paid", {"payments.csv": payments}))
    assert [line["row"] for line in rejects(paid)] == ["3"]


def test_a_file_of_unknown_kind_fails_alone(engine: Engine, tmp_path: Path) -> None:
    files = {"customers.csv": GOOD_FEED["customers.csv"], "notes.csv": "a,b\n1,2\n"}
    outcomes = run_import(engine, write_feed(tmp_path / "feed", files), skip_unknown=True)
    assert {o.path.name: o.exit_code for o in outcomes} == {"customers.csv": 0, "notes.csv": 2}
    assert counts(engine)["customers"] == 2
    logged = {entry.file_name.rsplit("/", 1)[-1]: entry.status for entry in import_log(engine)}
    assert logged == {"customers.csv": "stored", "notes.csv": "unreadable"}
    assert all(isinstance(entry, ImportLog) for entry in import_log(engine))


def test_the_quick_reading_of_a_phone_number_agrees_with_the_parser() -> None:
    import random

    import phonenumbers

    from arrears.portfolio.phones import normalise_phone

    chance = random.Random(7)
    for _ in range(3_000):
        text = str(chance.randint(10**6, 10**13))
        for region in ("CN", "US", "GB", "HK", "JP"):
            try:
                number = phonenumbers.parse(text, region)
                parsed = (
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                    if phonenumbers.is_valid_number(number)
                    else None
                )
            except phonenumbers.NumberParseException:
                parsed = None
            assert normalise_phone(text, region)[0] == parsed, (text, region)
    assert normalise_phone("1" * 100_000, "CN") == (None, False)  # no 100,000-digit integer is made
