"""Cases last: no run of the batch deletes or re-creates a case, and work attached to one survives
every rerun and every night, on SQLite and PostgreSQL.

The work is a table of the test's own that points at ``cases.case_id`` with a foreign key, as
the people-owned tables (assignment, contacts, promises, plans, holds) do: a case deleted under
it would break the key, and a case re-created would not be the same row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, select, text

from arrears.cases.models import Case, CaseAccount
from arrears.clock import FixedClock
from tests.batch.book import insert_book
from tests.cases.test_lifecycle import ACCOUNTS, INSTALLMENTS, PAYMENTS, run
from tests.delinquency.portfolios import AccountFact, InstallmentFact, PaymentFact

D1, D2, D3 = date(2024, 1, 15), date(2024, 2, 2), date(2024, 2, 10)


def book_with_work(engine: Engine, clock: FixedClock, nights: list[date]) -> None:
    """The lifecycle test's book (beside what the test inserted), run for the nights, then work
    attached to every case."""
    insert_book(engine, ACCOUNTS, INSTALLMENTS, PAYMENTS)
    create_work_table(engine)
    for night in nights:
        run(engine, night, clock)
    attach_work(engine)


def create_work_table(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE case_work (work_id INTEGER PRIMARY KEY, "
                "case_id VARCHAR(100) NOT NULL REFERENCES cases (case_id), note VARCHAR(100) NOT NULL)"
            )
        )


def attach_work(engine: Engine) -> None:
    """One piece of work on every case, as a collector would have logged during the day."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO case_work (work_id, case_id, note) "
                "SELECT (SELECT count(*) FROM case_work) + row_number() OVER (ORDER BY case_id), "
                "case_id, 'called ' || case_id FROM cases"
            )
        )


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the case tables and the work, in a stable order."""
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]
            for table, key in (
                ("cases", "case_id"),
                ("case_accounts", "case_id, account_id"),
                ("case_work", "work_id"),
            )
        }


def work_and_ids(engine: Engine) -> tuple[list[tuple[object, ...]], list[object]]:
    with engine.connect() as connection:
        work = [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT w.work_id, w.case_id, c.customer_id, c.opened_on FROM case_work w "
                    "JOIN cases c ON c.case_id = w.case_id ORDER BY w.work_id"
                )
            )
        ]
        ids = list(connection.execute(text("SELECT case_id FROM cases ORDER BY case_id")).scalars())
    return work, ids


def case_row(connection: Connection, case_id: str) -> tuple[object, ...]:
    columns = (Case.status, Case.closed_on, Case.close_reason, Case.account_count)
    return tuple(connection.execute(select(*columns).where(Case.case_id == case_id)).one())


def test_a_rerun_with_work_attached_leaves_the_work_and_the_ids_intact(
    engine: Engine, clock: FixedClock
) -> None:
    insert_book(engine, ACCOUNTS, INSTALLMENTS, PAYMENTS)
    create_work_table(engine)

    run(engine, D1, clock)
    attach_work(engine)
    first = dump(engine)
    assert len(first["case_work"]) == 3
    run(engine, D1, clock)
    assert dump(engine) == first  # the same date on the same data: the same database

    run(engine, D2, clock)  # K3 and K4 close on D2
    attach_work(engine)
    second = dump(engine)
    run(engine, D2, clock)
    run(engine, D2, clock)
    assert dump(engine) == second

    work_before, ids_before = work_and_ids(engine)
    run(engine, D3, clock)  # a night after: cases move on, the work and every id stay
    work, ids = work_and_ids(engine)
    assert work == work_before
    assert len(work) == 6
    assert set(ids) >= set(ids_before)


def test_a_corrected_rerun_closes_a_case_it_no_longer_finds_delinquent_instead_of_deleting_it(
    engine: Engine, clock: FixedClock
) -> None:
    book_with_work(engine, clock, [D1])
    work_before, ids_before = work_and_ids(engine)

    # The core system corrects its feed: K3's account D was paid on its due date after all.
    insert_book(engine, [], [], [PaymentFact("PD0", "D", date(2024, 1, 10), 1_000)])
    run(engine, D1, clock)

    work_after, ids_after = work_and_ids(engine)
    assert (work_after, ids_after) == (work_before, ids_before)
    with engine.connect() as connection:
        assert case_row(connection, "C-K3-20240115") == ("closed", D1, "paid_off", 1)
        assert case_row(connection, "C-K1-20240115") == ("open", None, None, 1)


def test_a_rerun_reopens_the_case_its_first_run_closed_and_takes_back_an_account_that_left(
    engine: Engine, clock: FixedClock
) -> None:
    insert_book(
        engine,
        [AccountFact("F", "K1", "CNY", "active")],
        [InstallmentFact("F", 1, date(2024, 1, 25), 700)],
        [],
    )
    book_with_work(engine, clock, [D1, D2])  # K3 closes (paid off) on D2; F joins K1's case
    with engine.connect() as connection:
        assert case_row(connection, "C-K3-20240115") == ("closed", D2, "paid_off", 1)
        joined = connection.execute(
            select(CaseAccount.joined_on).where(
                CaseAccount.case_id == "C-K1-20240115", CaseAccount.account_id == "F"
            )
        ).scalar_one()
    assert joined == D2

    # Corrections: K3's payment is reversed (still delinquent on D2); F's installment was paid on time.
    insert_book(
        engine,
        [],
        [],
        [
            PaymentFact("PD-R", "D", date(2024, 2, 1), 1_000, reverses="PD"),
            PaymentFact("PF", "F", date(2024, 1, 25), 700),
        ],
    )
    work_before, ids_before = work_and_ids(engine)
    run(engine, D2, clock)

    assert work_and_ids(engine) == (work_before, ids_before)
    with engine.connect() as connection:
        assert case_row(connection, "C-K3-20240115") == ("open", None, None, 1)  # the same case
        members = connection.execute(
            text("SELECT account_id FROM case_accounts WHERE case_id = 'C-K1-20240115' ORDER BY account_id")
        ).scalars()
        assert list(members) == ["A", "B"]  # F never was delinquent on D2 after all
        open_per_customer = connection.execute(
            text("SELECT customer_id, count(*) FROM cases WHERE status = 'open' GROUP BY customer_id")
        ).all()
    assert all(count == 1 for _, count in open_per_customer)
