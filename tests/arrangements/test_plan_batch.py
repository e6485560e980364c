"""The nightly step of plans: payments applied to the installments in date order, plans active,
completed or broken beyond the grace, only the changed rows written; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import Engine, insert, select

from arrears.arrangements.models import Arrangement, ArrangementInstallment
from arrears.arrangements.plan_batch import evaluate_plans
from arrears.arrangements.plans import broken_on_query, rescheduled_accounts
from arrears.batch.orchestrator import run_batch
from arrears.cases.models import Case
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.portfolio.models import Payment
from tests.api.book import Book, account_id_of
from tests.batch.book import insert_book
from tests.delinquency.portfolios import START as START_OF_BOOK
from tests.delinquency.portfolios import facts_of, generated_book

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
START = date(2026, 11, 21)
DUES = [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
_ids = count(1)


def arrange(
    engine: Engine,
    customer_id: str,
    *,
    status: str = "approved",
    amounts: tuple[int, ...] = (1000,) * 3,
    kind: str = "plan",
) -> int:
    """A case of ``customer_id`` (one CNY account, one USD account) with a plan of ``amounts``
    due on DUES, approved on START."""
    book = Book(engine)
    case_id = book.case(customer_id, products=("personal_loan",))
    book.account(customer_id, 2, currency="USD")
    with engine.begin() as connection:
        arrangement_id = int(
            connection.execute(
                insert(Arrangement)
                .values(
                    case_id=case_id,
                    kind=kind,
                    method="custom",
                    rounding="remainder_last",
                    status=status,
                    currency="CNY",
                    owed_amount=sum(amounts),
                    total_amount=sum(amounts),
                    discount_amount=0,
                    waived_fees=0,
                    installment_count=len(amounts),
                    needs_approval=False,
                    proposed_at=NOW,
                    decided_at=NOW,
                    starts_on=START,
                    version=1,
                )
                .returning(Arrangement.id)
            ).scalar_one()
        )
        connection.execute(
            insert(ArrangementInstallment),
            [
                {
                    "arrangement_id": arrangement_id,
                    "seq": n,
                    "due_on": due,
                    "amount": amount,
                    "paid_amount": 0,
                    "status": "open",
                }
                for n, (due, amount) in enumerate(zip(DUES, amounts, strict=False), 1)
            ],
        )
    return arrangement_id


def pay(
    engine: Engine,
    account_id: str,
    paid_on: date,
    amount: int,
    *,
    reverses: str | None = None,
    currency: str = "CNY",
) -> str:
    payment_id = f"P{next(_ids):06d}"
    with engine.begin() as connection:
        connection.execute(
            insert(Payment).values(
                payment_id=payment_id,
                account_id=account_id,
                paid_on=paid_on,
                currency=currency,
                amount=amount,
                reverses=reverses,
            )
        )
    return payment_id


def evaluate(engine: Engine, as_of: date, grace_days: int = 5) -> dict[str, int]:
    with engine.begin() as connection:
        return evaluate_plans(connection, as_of, now=NOW + timedelta(days=1), grace_days=grace_days).counts()


def state(engine: Engine, arrangement_id: int) -> tuple[str, date | None, bool, int, list[tuple[int, str]]]:
    with engine.connect() as connection:
        row = connection.execute(
            select(
                Arrangement.status, Arrangement.ended_on, Arrangement.activated_at, Arrangement.version
            ).where(Arrangement.id == arrangement_id)
        ).one()
        parts = connection.execute(
            select(ArrangementInstallment.paid_amount, ArrangementInstallment.status)
            .where(ArrangementInstallment.arrangement_id == arrangement_id)
            .order_by(ArrangementInstallment.seq)
        ).all()
    return row[0], row[1], row[2] is not None, row[3], [(p[0], p[1]) for p in parts]


def test_payments_are_applied_in_date_order_and_the_first_activates(engine: Engine) -> None:
    plan = arrange(engine, "B1")
    account = account_id_of("B1")
    pay(engine, account, START - timedelta(days=1), 5000)  # before the approval: not counted
    pay(engine, account_id_of("B1", 2), START, 5000, currency="USD")  # another currency's account
    assert evaluate(engine, START) == {
        "plan_installments_changed": 0,
        "plans_activated": 0,
        "plans_completed": 0,
        "plans_broken": 0,
    }
    assert state(engine, plan) == ("approved", None, False, 1, [(0, "open")] * 3)

    pay(engine, account, START + timedelta(days=3), 1500)
    counts = evaluate(engine, START + timedelta(days=3))
    assert (counts["plans_activated"], counts["plan_installments_changed"]) == (1, 2)
    assert state(engine, plan) == ("active", None, True, 2, [(1000, "paid"), (500, "open"), (0, "open")])

    # the same night again writes nothing
    assert evaluate(engine, START + timedelta(days=3))["plan_installments_changed"] == 0
    assert state(engine, plan)[3] == 2
    with engine.connect() as connection:
        assert rescheduled_accounts(connection, START + timedelta(days=3)) == {account}


def test_a_missed_installment_breaks_the_plan_after_the_grace(engine: Engine) -> None:
    plan = arrange(engine, "B2")
    account = account_id_of("B2")
    pay(engine, account, START, 1000)
    evaluate(engine, DUES[0])
    late = DUES[1] + timedelta(days=1)
    evaluate(engine, late)
    assert state(engine, plan)[4] == [(1000, "paid"), (0, "late"), (0, "open")]
    assert state(engine, plan)[0] == "active"
    within = DUES[1] + timedelta(days=5)
    evaluate(engine, within)
    assert state(engine, plan)[0] == "active"
    beyond = DUES[1] + timedelta(days=6)
    counts = evaluate(engine, beyond)
    assert counts["plans_broken"] == 1
    status, ended_on, _, _, parts = state(engine, plan)
    assert (status, ended_on, parts[1]) == ("broken", beyond, (0, "missed"))
    with engine.connect() as connection:
        assert connection.execute(broken_on_query(beyond)).all() == [("C-B2-20261101", plan)]
        assert rescheduled_accounts(connection, beyond) == set()
    # final: a later payment changes nothing
    pay(engine, account, beyond, 5000)
    evaluate(engine, beyond + timedelta(days=1))
    assert state(engine, plan)[0] == "broken"


@pytest.mark.parametrize("kind", ["plan", "settlement"])
def test_it_completes_when_every_installment_is_paid_and_reversals_count_against(
    engine: Engine, kind: str
) -> None:
    plan = arrange(engine, "B3", amounts=(1000, 2000), kind=kind)
    account = account_id_of("B3")
    first = pay(engine, account, START, 3000)
    pay(engine, account, START + timedelta(days=1), 3000, reverses=first)
    pay(engine, account, START + timedelta(days=1), 1200)
    evaluate(engine, START + timedelta(days=1))
    assert state(engine, plan)[:1] + state(engine, plan)[4:] == ("active", [(1000, "paid"), (200, "open")])
    pay(engine, account, DUES[1], 1800)
    counts = evaluate(engine, DUES[1])
    assert counts["plans_completed"] == 1
    status, ended_on, activated, _, parts = state(engine, plan)
    assert (status, ended_on, activated, parts) == (
        "completed",
        DUES[1],
        True,
        [(1000, "paid"), (2000, "paid")],
    )


def test_cancelled_and_proposed_ones_are_not_evaluated(engine: Engine) -> None:
    cancelled = arrange(engine, "B4", status="cancelled")
    proposed = arrange(engine, "B5", status="proposed")
    pay(engine, account_id_of("B4"), START, 3000)
    pay(engine, account_id_of("B5"), START, 3000)
    assert evaluate(engine, DUES[2] + timedelta(days=30))["plan_installments_changed"] == 0
    assert state(engine, cancelled)[:1] == ("cancelled",)
    assert state(engine, proposed)[:1] == ("proposed",)
    with engine.connect() as connection:
        assert rescheduled_accounts(connection, START) == set()


def test_an_unpaid_approved_plan_breaks_on_its_first_installment(engine: Engine) -> None:
    plan = arrange(engine, "B6")
    counts = evaluate(engine, DUES[0] + timedelta(days=2), grace_days=1)
    assert counts["plans_broken"] == 1
    assert state(engine, plan)[:2] == ("broken", DUES[0] + timedelta(days=2))


def test_the_nightly_batch_evaluates_the_plans(engine: Engine, duck: DuckDBEngine, clock: FixedClock) -> None:
    insert_book(engine, *facts_of(generated_book(40, seed=5)))
    first = START_OF_BOOK + timedelta(days=60)
    run_batch(engine, [first], duck, DelinquencyRules(), clock)
    with engine.begin() as connection:
        case_id, currency = connection.execute(
            select(Case.case_id, Case.currency).where(Case.status == "open").order_by(Case.case_id).limit(1)
        ).one()
        plan = int(
            connection.execute(
                insert(Arrangement)
                .values(
                    case_id=case_id,
                    kind="plan",
                    method="single",
                    rounding="remainder_last",
                    status="approved",
                    currency=currency,
                    owed_amount=10**9,
                    total_amount=10**9,
                    discount_amount=0,
                    waived_fees=0,
                    installment_count=1,
                    needs_approval=False,
                    proposed_at=NOW,
                    decided_at=NOW,
                    starts_on=first,
                    version=1,
                )
                .returning(Arrangement.id)
            ).scalar_one()
        )
        connection.execute(
            insert(ArrangementInstallment).values(
                arrangement_id=plan,
                seq=1,
                due_on=first + timedelta(days=1),
                amount=10**9,
                paid_amount=0,
                status="open",
            )
        )
    [summary] = run_batch(
        engine, [first + timedelta(days=3)], duck, DelinquencyRules(), clock, plan_grace_days=1
    )
    assert any("1 broken" in note for note in summary.notes), (summary.notes, state(engine, plan))
    assert state(engine, plan)[:3] == ("broken", first + timedelta(days=3), False)
