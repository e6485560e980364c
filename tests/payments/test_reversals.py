"""Reversals posted during the day, over real HTTP on SQLite and PostgreSQL: the overdue goes back
on the case at once, the case is handed out again, and a promise kept today only by the reversed
payment is open again, exactly as the night judges it from the stored payments (the test lets the
night's promise step judge the same promise from scratch and compares)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, select, update

from arrears.arrangements import promise_batch
from arrears.arrangements.models import Promise, PromiseInstallment
from arrears.queues.models import CaseQueue
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.payments.desk import TODAY, core_system, overdue, payment, post
from tests.queues.test_next import NEXT, Queued, add_cases, add_promise, collector, take


def test_a_reversal_puts_the_overdue_back_and_the_case_is_worked_again(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    [case_id] = add_cases(api.engine, [Queued("rev", team, me.user_id)])
    client = core_system(api)
    assert post(client, payment("P-1", "A-Nrev", "300.00")).status_code == 200
    assert overdue(api, case_id) == (70_000, [70_000])
    assert api.as_(me).post(NEXT).json()["code"] == "no_case_to_work"  # it rests

    answer = post(client, payment("R-1", "A-Nrev", "300.00", reverses="P-1"))

    assert answer.status_code == 200, answer.text
    assert overdue(api, case_id) == (100_000, [100_000])
    with api.engine.connect() as connection:
        assert connection.scalar(select(CaseQueue.skip_until).where(CaseQueue.case_id == case_id)) is None
    assert take(api.as_(me))["case_id"] == case_id
    entry = audit_entries(api, "payment.post")[-1]
    assert entry["object_id"] == "R-1"
    assert (entry["after"]["overdue_before"], entry["after"]["overdue_after"]) == (70_000, 100_000)
    again = post(client, payment("R-1", "A-Nrev", "300.00", reverses="P-1"))  # the same: nothing changes
    assert again.status_code == 200
    assert overdue(api, case_id) == (100_000, [100_000])


def promise_state(engine: Engine, case_id: str) -> tuple[Any, ...]:
    """(status, paid, closed_on, [(installment status, paid)]) of the case's promise."""
    with engine.connect() as connection:
        promise_id, status, paid, closed_on = connection.execute(
            select(Promise.id, Promise.status, Promise.paid_amount, Promise.closed_on).where(
                Promise.case_id == case_id
            )
        ).one()
        installments = connection.execute(
            select(PromiseInstallment.status, PromiseInstallment.paid_amount)
            .where(PromiseInstallment.promise_id == promise_id)
            .order_by(PromiseInstallment.seq)
        ).all()
    return str(status), int(paid), closed_on, [(str(s), int(p)) for s, p in installments]


def judged_by_the_night(engine: Engine, case_id: str, as_of: date) -> tuple[Any, ...]:
    """The promise as the night's step finds it from the stored payments alone: put back as the
    day found it (open, nothing paid), then evaluated as of ``as_of``."""
    with engine.begin() as connection:
        promise_id = connection.scalar(select(Promise.id).where(Promise.case_id == case_id))
        connection.execute(
            update(Promise)
            .where(Promise.id == promise_id)
            .values(status="open", paid_amount=0, closed_on=None)
        )
        connection.execute(
            update(PromiseInstallment)
            .where(PromiseInstallment.promise_id == promise_id)
            .values(status="open", paid_amount=0)
        )
        promise_batch.evaluate(connection, as_of)
    return promise_state(engine, case_id)


def test_a_promise_kept_only_by_the_reversed_payment_is_open_again_as_the_night_finds_it(
    api: Api,
) -> None:
    team = api.team("T1")
    only, still = add_cases(api.engine, [Queued("only", team, None), Queued("still", team, None)])
    for case_id in (only, still):
        add_promise(api.engine, case_id, status="open", due_on=TODAY, closed_on=None)  # 500.00
    client = core_system(api)
    paid = post(
        client,
        payment("P-1", "A-Nonly", "500.00"),
        payment("P-2", "A-Nstill", "500.00"),
        payment("P-3", "A-Nstill", "100.00"),
    )
    assert paid.status_code == 200, paid.text
    assert promise_state(api.engine, only)[:3] == ("kept", 50_000, TODAY)

    answer = post(
        client,
        payment("R-1", "A-Nonly", "500.00", reverses="P-1"),
        payment("R-3", "A-Nstill", "100.00", reverses="P-3"),
    )

    assert answer.status_code == 200, answer.text
    the_day = {case_id: promise_state(api.engine, case_id) for case_id in (only, still)}
    assert the_day[only] == ("open", 0, None, [("open", 0)])  # kept only by P-1: open again
    assert the_day[still] == ("kept", 50_000, TODAY, [("kept", 50_000)])  # P-2 still keeps it
    entries = {e["object_id"]: e["after"] for e in audit_entries(api, "payment.post")}
    assert (entries["R-1"]["promises_reopened"], entries["R-1"]["promises_kept"]) == (1, 0)
    assert (entries["R-3"]["promises_reopened"], entries["R-3"]["promises_kept"]) == (1, 1)
    for case_id in (only, still):
        assert judged_by_the_night(api.engine, case_id, TODAY) == the_day[case_id]


def test_a_promise_kept_on_an_earlier_day_stays_kept(api: Api) -> None:
    team = api.team("T1")
    [case_id] = add_cases(api.engine, [Queued("old", team, None)])
    add_promise(api.engine, case_id, status="kept", due_on=TODAY, closed_on=date(2026, 11, 20))
    client = core_system(api)
    assert post(client, payment("P-1", "A-Nold", "500.00")).status_code == 200

    assert post(client, payment("R-1", "A-Nold", "500.00", reverses="P-1")).status_code == 200

    assert promise_state(api.engine, case_id)[:3] == ("kept", 0, date(2026, 11, 20))  # final
    assert overdue(api, case_id) == (100_000, [100_000])
