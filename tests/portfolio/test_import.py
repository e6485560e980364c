"""Feed import on SQLite and PostgreSQL: stored, unchanged, updated, rejected, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from arrears.portfolio.feeds import KINDS
from arrears.portfolio.models import Account, ContactPoint, Customer, Installment, Payment
from tests.portfolio.feedkit import GOOD_FEED, counts, import_log, rejects, run_import, write_feed


def test_a_good_feed_is_stored_whole(engine: Engine, tmp_path: Path) -> None:
    outcomes = run_import(engine, write_feed(tmp_path / "feed", GOOD_FEED))
    assert [o.kind for o in outcomes] == list(KINDS)  # the contract's order
    assert all(o.exit_code == 0 and o.rejected == 0 for o in outcomes)
    assert counts(engine) == {
        "customers": 2,
        "contact_points": 3,
        "accounts": 3,
        "installments": 4,
        "payments": 4,
    }
    assert not list((tmp_path / "feed").glob("*.rejects.csv"))


def test_values_are_stored_in_their_own_types(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_feed(tmp_path / "feed", GOOD_FEED))
    with Session(engine) as connection:
        a3 = connection.execute(select(Account).where(Account.account_id == "A3")).scalar_one()
        a2 = connection.execute(select(Account).where(Account.account_id == "A2")).scalar_one()
        cp = connection.execute(
            select(ContactPoint).where(ContactPoint.party == "emergency_contact")
        ).scalar_one()
        inst = (
            connection.execute(
                select(Installment).where(Installment.account_id == "A1").order_by(Installment.seq)
            )
            .scalars()
            .all()
        )
        reversal = connection.execute(select(Payment).where(Payment.payment_id == "R1")).scalar_one()
        c1 = connection.execute(select(Customer).where(Customer.customer_id == "C1")).scalar_one()
    assert (a3.principal, a3.currency, a3.status) == (30_000_000, "JPY", "active")  # JPY has no decimals
    assert a2.credit_limit == 500_000 and str(a2.interest_rate).rstrip("0") == "0.2399"
    assert (cp.is_primary, cp.do_not_contact, cp.relation) == (False, False, "sister")
    assert [(i.seq, i.amount_due, i.currency) for i in inst] == [(1, 106_000, "CNY"), (2, 106_000, "CNY")]
    assert (reversal.reverses, reversal.amount) == ("P2", 106_000)
    assert c1.birth_date is not None and c1.birth_date.isoformat() == "1990-01-01"


def test_importing_the_same_files_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "feed", GOOD_FEED)
    run_import(engine, feed)
    before = counts(engine)
    again = run_import(engine, feed)
    assert counts(engine) == before
    assert [(o.stored, o.updated, o.rejected) for o in again] == [(0, 0, 0)] * 5
    assert [o.unchanged for o in again] == [2, 3, 3, 4, 4]
    logged = import_log(engine)
    assert len(logged) == 10 and {entry.status for entry in logged} == {"stored"}
    assert logged[0].checksum == logged[5].checksum


def test_a_later_file_with_changed_values_updates_them(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_feed(tmp_path / "day1", GOOD_FEED))
    changed = GOOD_FEED["installments.csv"].replace("A1,2,2025-03-01,1060.00", "A1,2,2025-03-01,1070.50")
    changed += "A1,3,2025-04-01,1060.00,,,\n"
    (outcome,) = run_import(engine, write_feed(tmp_path / "day2", {"installments.csv": changed}))
    assert (outcome.stored, outcome.updated, outcome.unchanged) == (1, 1, 3)
    with engine.connect() as connection:
        amounts = connection.execute(
            select(Installment.seq, Installment.amount_due)
            .where(Installment.account_id == "A1")
            .order_by(Installment.seq)
        ).all()
    assert [tuple(row) for row in amounts] == [(1, 106_000), (2, 107_050), (3, 106_000)]
    assert import_log(engine)[-1].rows_updated == 1


def test_a_run_refers_to_rows_of_its_earlier_files(engine: Engine, tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "feed", GOOD_FEED)
    outcomes = run_import(engine, feed / "payments.csv", feed / "accounts.csv", feed / "customers.csv")
    assert [o.kind for o in outcomes] == ["customers", "accounts", "payments"]
    assert all(o.rejected == 0 for o in outcomes)


def test_a_file_missing_a_required_column_is_not_stored_at_all(engine: Engine, tmp_path: Path) -> None:
    text = GOOD_FEED["customers.csv"].replace("customer_id,name,", "customer_id,full_name,")
    (outcome,) = run_import(engine, write_feed(tmp_path, {"customers.csv": text}))
    assert outcome.exit_code == 2 and outcome.error is not None and "name" in outcome.error
    assert counts(engine)["customers"] == 0
    assert import_log(engine)[-1].status == "unreadable"


def test_undecodable_bytes_store_nothing_and_say_which_encoding(engine: Engine, tmp_path: Path) -> None:
    (outcome,) = run_import(
        engine, write_feed(tmp_path, {"customers.csv": GOOD_FEED["customers.csv"]}, encoding="gb18030")
    )
    assert outcome.exit_code == 2 and "gb18030" in (outcome.error or "")
    assert counts(engine)["customers"] == 0


def test_gb18030_and_bom_are_read(engine: Engine, tmp_path: Path) -> None:
    legacy = write_feed(
        tmp_path / "legacy", {"customers.csv": GOOD_FEED["customers.csv"]}, encoding="gb18030"
    )
    (outcome,) = run_import(engine, legacy, encoding="gb18030")
    assert outcome.exit_code == 0 and outcome.stored == 2
    bom = write_feed(tmp_path / "bom", {"customers.csv": GOOD_FEED["customers.csv"]}, encoding="utf-8-sig")
    (outcome,) = run_import(engine, bom)
    assert outcome.exit_code == 0 and outcome.unchanged == 2
    with engine.connect() as connection:
        assert (
            connection.execute(select(Customer.name).where(Customer.customer_id == "C1")).scalar_one()
            == "张伟"
        )


def test_parquet_feeds_import_like_csv(engine: Engine, tmp_path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    csv_feed = write_feed(tmp_path / "csv", GOOD_FEED)
    parquet_feed = tmp_path / "parquet"
    parquet_feed.mkdir()
    for name in GOOD_FEED:
        table = pacsv.read_csv(
            csv_feed / name,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(
                    (
                        "amount",
                        "amount_due",
                        "principal",
                        "credit_limit",
                        "principal_due",
                        "interest_due",
                        "fees_due",
                    ),
                    "string",
                )
            ),
        )
        pq.write_table(table, parquet_feed / name.replace(".csv", ".parquet"))
    outcomes = run_import(engine, parquet_feed)
    assert all(o.exit_code == 0 for o in outcomes), [o.error for o in outcomes]
    assert counts(engine)["installments"] == 4
    again = run_import(engine, csv_feed)
    assert all(o.stored == 0 and o.updated == 0 for o in again)


def test_a_failure_while_storing_leaves_the_database_as_before(
    engine: Engine, tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    from arrears.portfolio import loading

    run_import(engine, write_feed(tmp_path / "day1", GOOD_FEED))
    before = counts(engine)
    original = loading._apply

    def apply_then_fail(*args: object, **kwargs: object) -> object:
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("simulated crash after the rows were written")

    patch = pytest.MonkeyPatch()
    patch.setattr(loading, "_apply", apply_then_fail)
    more = GOOD_FEED["installments.csv"] + "A1,3,2025-04-01,1060.00,,,\nA1,4,2025-05-01,1060.00,,,\n"
    try:
        with pytest.raises(RuntimeError):
            run_import(engine, write_feed(tmp_path / "day2", {"installments.csv": more}))
    finally:
        patch.undo()
    assert counts(engine) == before
    assert len(import_log(engine)) == 5


def test_row_numbers_count_data_rows_on_both_reading_paths(engine: Engine, tmp_path: Path) -> None:
    header = GOOD_FEED["customers.csv"].splitlines()[0]
    body = f'{header}\nC1,张伟,,,,,,\n\nC2,"John\nSmith",,,,,,\nC3,,,,,,,\n'
    (clean,) = run_import(engine, write_feed(tmp_path / "a", {"customers.csv": body}))
    (ragged,) = run_import(engine, write_feed(tmp_path / "b", {"customers.csv": body + "C4,x\n"}))
    assert [(r["row"], r["column"]) for r in rejects(clean)] == [("3", "name")]
    assert [(r["row"], r["column"]) for r in rejects(ragged)] == [("3", "name"), ("4", "")]
    with engine.connect() as connection:
        assert (
            connection.execute(select(Customer.name).where(Customer.customer_id == "C2")).scalar_one()
            == "John\nSmith"
        )


def test_a_file_naming_more_keys_than_a_statement_has_parameters(engine: Engine, tmp_path: Path) -> None:
    many = 70_000  # PostgreSQL takes at most 65,535 parameters in one statement
    customers = "customer_id,name\n" + "".join(f"K{i},客户{i}\n" for i in range(many))
    contacts = "customer_id,type,value\n" + "".join(f"K{i},wechat,wx{i}\n" for i in range(many))
    outcomes = run_import(
        engine, write_feed(tmp_path, {"customers.csv": customers, "contact_points.csv": contacts})
    )
    assert [(o.stored, o.rejected) for o in outcomes] == [(many, 0), (many, 0)]


def test_a_language_the_customer_chose_is_not_replaced_by_the_feed(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_feed(tmp_path / "first", GOOD_FEED))
    with Session(engine) as session:  # C1 chose English in the portal; C2 chose nothing
        session.get_one(Customer, "C1").language = "en"
        session.get_one(Customer, "C1").language_chosen_at = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
        session.commit()
    changed = GOOD_FEED["customers.csv"].replace("en-US,US", "zh-CN,US")
    run_import(engine, write_feed(tmp_path / "second", {**GOOD_FEED, "customers.csv": changed}))
    with Session(engine) as session:
        assert session.get_one(Customer, "C1").language == "en"  # theirs, kept
        assert session.get_one(Customer, "C2").language == "zh-CN"  # the feed's, taken
