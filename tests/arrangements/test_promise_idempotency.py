"""Requests racing on PostgreSQL: a duplicate of a promise's request arriving while the first is
still running is told so (409) at once (the first request's claim of the key held open in one
session, the duplicate from another connection, at the service level then over real HTTP); and
two collectors taking a promise on one case at the same moment leave one promise and a 409."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from arrears import idempotency
from arrears.arrangements import promises
from arrears.arrangements.promise_schemas import PromiseIn
from arrears.auth.models import User
from arrears.auth.principal import Principal
from arrears.auth.service import principal_of
from arrears.errors import ConflictError
from arrears.idempotency import KeyInUseError, KeyReusedError
from tests.api.conftest import API_NOW, Api
from tests.api.work_book import TODAY
from tests.arrangements.promise_book import body, promise_count, promised_cases, take


def test_a_duplicate_while_the_first_runs_is_refused(api: Api) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a duplicate waits for the first and then replays its answer")
    collector, book = promised_cases(api, "PTK")
    case_id = book.case_ids[0]
    payload = body((3, "120.00"))
    path = f"/api/v1/cases/{case_id}/promises"
    print_ = idempotency.fingerprint("POST", path, PromiseIn.model_validate(payload).model_dump(mode="json"))

    with Session(api.engine) as first, Session(api.engine) as second:
        assert idempotency.claim(first, collector.user_id, "dup-1", print_, API_NOW) is None  # held open
        with pytest.raises(KeyInUseError):
            idempotency.claim(second, collector.user_id, "dup-1", print_, API_NOW)
        second.rollback()
        # over HTTP too, while the first is still running: 409, and nothing taken
        busy = take(api.as_(collector), case_id, payload, key="dup-1")
        assert busy.status_code == 409, busy.text
        assert busy.json()["code"] == "idempotency_key_in_use"
        assert promise_count(api, case_id) == 0
        # the first finishes: its answer is the one every retry gets
        idempotency.finish(first, collector.user_id, "dup-1", 201, {"id": 0, "status": "open"})
        first.commit()
        found = idempotency.claim(second, collector.user_id, "dup-1", print_, API_NOW + timedelta(seconds=1))
        assert (
            found is not None and found.status_code == 201 and found.response == {"id": 0, "status": "open"}
        )
        with pytest.raises(KeyReusedError):
            idempotency.claim(second, collector.user_id, "dup-1", "0" * 64, API_NOW)
        second.rollback()

    replayed = take(api.as_(collector), case_id, payload, key="dup-1")
    assert replayed.status_code == 201 and replayed.json() == {"id": 0, "status": "open"}
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert promise_count(api, case_id) == 0


def test_two_takers_racing_on_one_case_get_one_promise_and_a_409(api: Api) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the second taker waits and then supersedes the first")
    collector, book = promised_cases(api, "PTR")
    case_id = book.case_ids[0]
    terms = promises.Terms(installments=[(TODAY + timedelta(days=3), "100")], currency="CNY")
    outcome: dict[str, str] = {}

    def principal(session: Session) -> Principal:
        user = session.get(User, collector.user_id)
        assert user is not None
        return principal_of(session, user)

    second_pid: list[int] = []

    def second_taker() -> None:
        with Session(api.engine) as second:
            second_pid.append(int(second.scalar(text("SELECT pg_backend_pid()"))))
            try:
                promises.take(second, principal(second), case_id, terms, now=API_NOW, today=TODAY)
                second.commit()
                outcome["second"] = "taken"
            except ConflictError as error:
                outcome["second"] = error.code

    with Session(api.engine) as first:
        promises.take(first, principal(first), case_id, terms, now=API_NOW, today=TODAY)  # not committed
        racer = threading.Thread(target=second_taker)
        racer.start()
        # until the second waits on the first's open promise (its own backend's lock: another
        # test on the same server may be waiting on a lock of its own meanwhile)
        with api.engine.connect() as watcher:
            while racer.is_alive() and not (
                second_pid
                and watcher.scalar(
                    text("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = :pid"),
                    {"pid": second_pid[0]},
                )
            ):
                time.sleep(0.02)
        first.commit()
    racer.join()
    assert outcome == {"second": "edit_conflict"}
    assert promise_count(api, case_id) == 1
