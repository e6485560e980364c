"""The nightly evaluation of promises (arrears.arrangements.promise_batch) on SQLite and PostgreSQL:
every transition of the state machine, grace, tolerance, reversals, several installments, the
broken count per case, idempotence per as-of date, and the SQL against a plain Python reference
over random payments (hypothesis)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select, update

from arrears.arrangements.models import Promise, PromiseInstallment
from arrears.arrangements.promise_batch import PromiseCounts, PromiseTerms, evaluate
from arrears.batch.orchestrator import run_batch
from arrears.cases.models import Case
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import AccountFact, InstallmentFact, PaymentFact
from arrears.delinquency.rules import DelinquencyRules
from arrears.portfolio.models import Payment
from tests.api.book import Book, account_id_of, case_id_of
from tests.batch.book import insert_book

TAKEN = date(2026, 11, 21)
AT = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
_ids = itertools.count(1)


def new_case(engine: Engine, *, products: tuple[str, ...] = ("personal_loan",), currency: str = "CNY") -> str:
    customer_id = f"P{next(_ids):05d}"
    Book(engine).case(customer_id, products=products, currency=currency)
    return customer_id


def promise(
    engine: Engine,
    customer_id: str,
    installments: list[tuple[int, int]],
    *,
    taken_on: date = TAKEN,
    account_id: str | None = None,
    status: str = "open",
) -> int:
    """A promise on the customer's case: (days after taken_on, minor units) per installment."""
    dues = [(taken_on + timedelta(days=days), amount) for days, amount in installments]
    with engine.begin() as connection:
        promise_id = int(
            connection.execute(
                insert(Promise)
                .values(
                    case_id=case_id_of(customer_id),
                    account_id=account_id,
                    currency="CNY",
                    amount=sum(amount for _, amount in dues),
                    paid_amount=0,
                    status=status,
                    taken_at=AT,
                    taken_on=taken_on,
                    first_due_on=dues[0][0],
                    last_due_on=dues[-1][0],
                    version=1,
                )
                .returning(Promise.id)
            ).scalar_one()
        )
        connection.execute(
            insert(PromiseInstallment),
            [
                {
                    "promise_id": promise_id,
                    "seq": seq,
                    "due_on": due,
                    "amount": amount,
                    "paid_amount": 0,
                    "status": "open",
                }
                for seq, (due, amount) in enumerate(dues, start=1)
            ],
        )
    return promise_id


def pay(
    engine: Engine, customer_id: str, day: int, amount: int, *, n: int = 1, reverses: str | None = None
) -> str:
    """A payment ``day`` days after TAKEN on the customer's account ``n``; its id."""
    payment_id = f"PAY{next(_ids):07d}"
    with engine.begin() as connection:
        connection.execute(
            insert(Payment).values(
                payment_id=payment_id,
                account_id=account_id_of(customer_id, n),
                paid_on=TAKEN + timedelta(days=day),
                currency=connection.scalar(
                    select(Case.currency).where(Case.case_id == case_id_of(customer_id))
                ),
                amount=amount,
                reverses=reverses,
            )
        )
    return payment_id


def run(engine: Engine, day: int, terms: PromiseTerms | None = None) -> PromiseCounts:
    with engine.begin() as connection:
        return evaluate(connection, TAKEN + timedelta(days=day), terms)


@dataclass
class Seen:
    status: str
    paid: int
    version: int
    closed_on: date | None
    installments: list[tuple[str, int]]


def seen(engine: Engine, promise_id: int) -> Seen:
    with engine.connect() as connection:
        row = connection.execute(
            select(Promise.status, Promise.paid_amount, Promise.version, Promise.closed_on).where(
                Promise.id == promise_id
            )
        ).one()
        parts = connection.execute(
            select(PromiseInstallment.status, PromiseInstallment.paid_amount)
            .where(PromiseInstallment.promise_id == promise_id)
            .order_by(PromiseInstallment.seq)
        ).all()
    return Seen(row[0], row[1], row[2], row[3], [(s, p) for s, p in parts])


def broken_count(engine: Engine, customer_id: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(select(Case.broken_promises).where(Case.case_id == case_id_of(customer_id)))
            or 0
        )


def test_kept_as_soon_as_paid_and_untouched_while_nothing_changes(engine: Engine) -> None:
    customer = new_case(engine)
    promise_id = promise(engine, customer, [(5, 10_000)])
    assert run(engine, 1) == PromiseCounts(evaluated=1, kept=0, partially_kept=0, broken=0)
    assert seen(engine, promise_id) == Seen("open", 0, 1, None, [("open", 0)])  # nothing written
    pay(engine, customer, 2, 4_000)
    run(engine, 2)
    assert seen(engine, promise_id) == Seen("open", 4_000, 2, None, [("open", 4_000)])
    run(engine, 3)
    assert seen(engine, promise_id).version == 2  # nothing new: not rewritten
    pay(engine, customer, 3, 6_000)
    assert run(engine, 3).kept == 1
    assert seen(engine, promise_id) == Seen("kept", 10_000, 3, TAKEN + timedelta(days=3), [("kept", 10_000)])


def test_grace_days_after_the_due_date(engine: Engine) -> None:
    on_time, late, never = new_case(engine), new_case(engine), new_case(engine)
    ids = {c: promise(engine, c, [(5, 10_000)]) for c in (on_time, late, never)}
    pay(engine, on_time, 7, 10_000)  # due + 2: within the default grace
    pay(engine, late, 8, 10_000)  # due + 3: too late
    run(engine, 7)  # due + 2: nobody is missed yet
    assert seen(engine, ids[on_time]).status == "kept"
    assert seen(engine, ids[late]).status == seen(engine, ids[never]).status == "open"
    counts = run(engine, 8)  # due + 3: the deadline has passed
    assert (counts.broken, counts.partially_kept) == (2, 0)
    assert seen(engine, ids[late]).status == "broken"  # its payment came after the deadline
    assert seen(engine, ids[never]).installments == [("broken", 0)]
    assert broken_count(engine, late) == broken_count(engine, never) == 1
    assert broken_count(engine, on_time) == 0


def test_grace_is_a_setting(engine: Engine) -> None:
    customer = new_case(engine)
    promise_id = promise(engine, customer, [(5, 10_000)])
    run(engine, 6, PromiseTerms(grace_days=0))
    assert seen(engine, promise_id).status == "broken"


def test_tolerance_of_a_small_shortfall(engine: Engine) -> None:
    within, beyond = new_case(engine), new_case(engine)
    ids = {c: promise(engine, c, [(1, 10_000)]) for c in (within, beyond)}
    pay(engine, within, 0, 9_500)  # 5% short: kept under the default tolerance
    pay(engine, beyond, 0, 9_499)
    run(engine, 4, PromiseTerms(tolerance=Decimal("0.05")))
    assert seen(engine, ids[within]) == Seen("kept", 9_500, 2, TAKEN + timedelta(days=4), [("kept", 9_500)])
    assert seen(engine, ids[beyond]).status == "partially_kept"
    assert seen(engine, ids[beyond]).installments == [("partially_kept", 9_499)]
    strict_case = new_case(engine)
    strict_id = promise(engine, strict_case, [(1, 10_000)])
    pay(engine, strict_case, 0, 9_999)
    run(engine, 4, PromiseTerms(tolerance=Decimal(0)))
    assert seen(engine, strict_id).status == "partially_kept"
    assert broken_count(engine, beyond) == 0  # partially kept is not counted as broken


def test_reversals_take_a_payment_back(engine: Engine) -> None:
    reversed_, before = new_case(engine), new_case(engine)
    first = promise(engine, reversed_, [(3, 10_000)])
    paid = pay(engine, reversed_, 1, 10_000)
    run(engine, 1)
    assert seen(engine, first).status == "kept"  # final: a later reversal does not reopen it
    pay(engine, reversed_, 2, 10_000, reverses=paid)
    run(engine, 2)
    assert seen(engine, first).status == "kept"

    second = promise(engine, before, [(3, 10_000)])
    paid = pay(engine, before, 0, 6_000)
    pay(engine, before, 1, 6_000, reverses=paid)
    old = pay(engine, before, -3, 5_000)  # before the promise: neither it nor its reversal counts
    pay(engine, before, 1, 5_000, reverses=old)
    run(engine, 2)
    assert seen(engine, second) == Seen("open", 0, 1, None, [("open", 0)])
    run(engine, 6)
    assert seen(engine, second).status == "broken"


def test_several_installments(engine: Engine) -> None:
    kept, partly, second_missed = new_case(engine), new_case(engine), new_case(engine)
    plan = [(2, 3_000), (9, 3_000), (16, 4_000)]
    ids = {c: promise(engine, c, plan) for c in (kept, partly, second_missed)}
    for day, amount in ((1, 3_000), (10, 3_000), (18, 4_000)):
        pay(engine, kept, day, amount)
    pay(engine, partly, 1, 2_000)
    pay(engine, second_missed, 2, 3_000)
    pay(engine, second_missed, 11, 1_000)

    run(engine, 4)  # the first deadline (day 4) reached, not passed
    assert seen(engine, ids[kept]).installments == [("kept", 3_000), ("open", 0), ("open", 0)]
    assert seen(engine, ids[partly]).status == "open"
    run(engine, 5)
    assert seen(engine, ids[partly]) == Seen(
        "partially_kept",
        2_000,
        3,  # paid 2,000 (seen on day 4), then partially kept
        TAKEN + timedelta(days=5),
        [("partially_kept", 2_000), ("open", 0), ("open", 0)],
    )
    assert seen(engine, ids[second_missed]).installments[0] == ("kept", 3_000)
    run(engine, 12)
    assert seen(engine, ids[second_missed]).status == "partially_kept"
    assert seen(engine, ids[second_missed]).installments[1] == ("partially_kept", 1_000)
    assert seen(engine, ids[kept]).status == "open"
    run(engine, 19)
    assert seen(engine, ids[kept]).status == "kept"
    assert seen(engine, ids[kept]).installments == [("kept", 3_000), ("kept", 3_000), ("kept", 4_000)]


def test_which_payments_count(engine: Engine) -> None:
    two = new_case(engine, products=("personal_loan", "credit_card"))
    any_account = promise(engine, two, [(3, 10_000)])
    pay(engine, two, 1, 4_000, n=1)
    pay(engine, two, 1, 6_000, n=2)
    run(engine, 1)
    assert seen(engine, any_account).status == "kept"  # every account of the case in its currency

    one = new_case(engine, products=("personal_loan", "credit_card"))
    only_first = promise(engine, one, [(3, 10_000)], account_id=account_id_of(one, 1))
    pay(engine, one, 1, 4_000, n=1)
    pay(engine, one, 1, 6_000, n=2)
    pay(engine, one, -1, 9_000, n=1)  # before the promise was taken
    run(engine, 1)
    assert seen(engine, only_first) == Seen("open", 4_000, 2, None, [("open", 4_000)])

    dollars = new_case(engine, currency="USD")
    in_cny = promise(engine, dollars, [(3, 10_000)])  # a CNY promise on a USD case: nothing counts
    pay(engine, dollars, 1, 10_000)
    run(engine, 1)
    assert seen(engine, in_cny).paid == 0


def test_final_states_stay_final_and_the_count_is_recounted(engine: Engine) -> None:
    customer = new_case(engine)
    cancelled = promise(engine, customer, [(1, 5_000)], status="cancelled")
    superseded = promise(engine, customer, [(1, 5_000)], status="superseded")
    first = promise(engine, customer, [(1, 5_000)])
    assert run(engine, 5).broken == 1
    assert broken_count(engine, customer) == 1
    with engine.begin() as connection:  # what a rerun must not change
        before = connection.execute(
            select(Promise.id, Promise.status, Promise.version).order_by(Promise.id)
        ).all()
    assert run(engine, 5) == PromiseCounts(0, 0, 0, 0)  # a rerun of the night: the same result
    with engine.begin() as connection:
        assert (
            connection.execute(select(Promise.id, Promise.status, Promise.version).order_by(Promise.id)).all()
            == before
        )
    assert broken_count(engine, customer) == 1
    second = promise(engine, customer, [(6, 5_000)], taken_on=TAKEN + timedelta(days=5))
    pay(engine, customer, 30, 50_000)
    run(engine, 20)
    assert seen(engine, second).status == "broken"
    assert broken_count(engine, customer) == 2
    run(engine, 31)  # payments after the deadline change nothing final
    assert [seen(engine, p).status for p in (cancelled, superseded, first, second)] == [
        "cancelled",
        "superseded",
        "broken",
        "broken",
    ]
    with engine.begin() as connection:  # the count is a recount, not an increment
        connection.execute(update(Case).values(broken_promises=7))
    third = promise(engine, customer, [(1, 5_000)], taken_on=TAKEN + timedelta(days=35))
    run(engine, 45)
    assert seen(engine, third).status == "broken"
    assert broken_count(engine, customer) == 3


def test_a_promise_taken_after_the_as_of_date_waits(engine: Engine) -> None:
    customer = new_case(engine)
    later = promise(engine, customer, [(3, 1_000)], taken_on=TAKEN + timedelta(days=10))
    assert run(engine, 20 - 15).evaluated == 0
    assert seen(engine, later).status == "open"


# -- the SQL against a plain Python reference ---------------------------------------------------


def reference(
    installments: list[tuple[int, int]],
    payments: list[tuple[int, int, int | None]],
    as_of: int,
    terms: PromiseTerms,
) -> tuple[str, list[str]]:
    """(promise status, installment statuses) as of day ``as_of``: payments are (day, amount,
    index of the payment reversed or None); days count from the day the promise was taken (0)."""
    ledger: list[tuple[int, int]] = []
    for day, amount, reverses in payments:
        if not 0 <= day <= as_of:
            continue
        if reverses is None:
            ledger.append((day, amount))
        elif payments[reverses][0] >= 0:
            ledger.append((day, -payments[reverses][1]))

    def paid_by(day: int) -> int:
        return sum(amount for when, amount in ledger if when <= day)

    statuses, cumulative, outcome = [], 0, None
    for due, amount in installments:
        before, cumulative = cumulative, cumulative + amount
        deadline = due + terms.grace_days
        paid = paid_by(min(deadline, as_of))
        if Decimal(cumulative - paid) <= Decimal(cumulative) * terms.tolerance:
            statuses.append("kept")
        elif deadline < as_of:
            statuses.append("partially_kept" if paid > before else "broken")
            if outcome is None:
                outcome = "partially_kept" if paid > 0 else "broken"
        else:
            statuses.append("open")
    if outcome is None:
        outcome = "kept" if all(s == "kept" for s in statuses) else "open"
    return outcome, statuses


@st.composite
def histories(
    draw: st.DrawFn,
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int | None]], int, PromiseTerms]:
    count = draw(st.integers(1, 3))
    days = sorted(draw(st.sets(st.integers(0, 20), min_size=count, max_size=count)))
    installments = [(day, draw(st.integers(1, 10_000))) for day in days]
    payments: list[tuple[int, int, int | None]] = []
    for _ in range(draw(st.integers(0, 5))):
        if payments and draw(st.booleans()):
            reverses = draw(st.integers(0, len(payments) - 1))
            if any(r == reverses for _, _, r in payments) or payments[reverses][2] is not None:
                continue  # a payment is reversed once, and a reversal never
            payments.append((draw(st.integers(-3, 30)), payments[reverses][1], reverses))
        else:
            payments.append((draw(st.integers(-3, 30)), draw(st.integers(1, 12_000)), None))
    terms = PromiseTerms(
        grace_days=draw(st.integers(0, 3)),
        tolerance=draw(st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.1"), Decimal("0.3333")])),
    )
    return installments, payments, draw(st.integers(0, 30)), terms


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_the_evaluation_agrees_with_a_plain_reference(engine: Engine, history: tuple) -> None:  # type: ignore[type-arg]
    installments, payments, as_of, terms = history
    customer = new_case(engine)
    promise_id = promise(engine, customer, installments)
    ids: list[str] = []
    for day, amount, reverses in payments:
        ids.append(pay(engine, customer, day, amount, reverses=None if reverses is None else ids[reverses]))
    run(engine, as_of, terms)
    got = seen(engine, promise_id)
    with engine.begin() as connection:  # out of the way of the next example
        connection.execute(update(Promise).where(Promise.id == promise_id).values(status="cancelled"))
    assert (got.status, [status for status, _ in got.installments]) == reference(
        installments, payments, as_of, terms
    )


# -- inside the nightly run ---------------------------------------------------------------------


def test_the_nightly_run_evaluates_promises_after_the_cases(engine: Engine, clock: FixedClock) -> None:
    insert_book(
        engine,
        [AccountFact("A", "K1", "CNY", "active"), AccountFact("C", "K2", "CNY", "active")],
        [
            InstallmentFact("A", 1, date(2024, 1, 10), 1_000),
            InstallmentFact("C", 1, date(2024, 1, 10), 1_000),
        ],
        [],
    )

    def night(day: date) -> list[str]:
        duck = DuckDBEngine(memory_limit="500MB", threads=1)
        try:
            [summary] = run_batch(
                engine, [day], duck, DelinquencyRules(), clock, promise_terms=PromiseTerms(grace_days=1)
            )
        finally:
            duck.close()
        return [note for note in summary.notes if note.startswith("promises")]

    night(date(2024, 1, 20))
    with engine.connect() as connection:
        case_of = dict(connection.execute(select(Case.customer_id, Case.case_id)).all())
    ids = {}
    for customer in ("K1", "K2"):
        with engine.begin() as connection:
            ids[customer] = connection.execute(
                insert(Promise)
                .values(
                    case_id=case_of[customer],
                    currency="CNY",
                    amount=1_000,
                    paid_amount=0,
                    status="open",
                    taken_at=AT,
                    taken_on=date(2024, 1, 20),
                    first_due_on=date(2024, 1, 22),
                    last_due_on=date(2024, 1, 22),
                    version=1,
                )
                .returning(Promise.id)
            ).scalar_one()
            connection.execute(
                insert(PromiseInstallment).values(
                    promise_id=ids[customer],
                    seq=1,
                    due_on=date(2024, 1, 22),
                    amount=1_000,
                    paid_amount=0,
                    status="open",
                )
            )
    insert_book(engine, [], [], [PaymentFact("PA", "A", date(2024, 1, 21), 1_000)])
    assert night(date(2024, 1, 25)) == ["promises 承诺还款: 2 evaluated, 1 kept, 0 partially kept, 1 broken"]
    assert seen(engine, ids["K1"]).status == "kept"
    assert seen(engine, ids["K2"]).status == "broken"
    assert night(date(2024, 1, 25)) == []  # the rerun finds them closed: nothing to evaluate
    night(date(2024, 1, 26))  # the case step of a later night leaves the count alone
    with engine.connect() as connection:
        assert connection.scalar(select(Case.broken_promises).where(Case.customer_id == "K2")) == 1
