"""A duplicate of a promise's request arriving while the first is still running is told so (409)
at once, on PostgreSQL: the first request's claim of the key is held open in one session, the
duplicate comes from another connection (at the service level, then over real HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from arrears import idempotency
from arrears.arrangements.promise_schemas import PromiseIn
from arrears.idempotency import KeyInUseError, KeyReusedError
from tests.api.conftest import API_NOW, Api
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
