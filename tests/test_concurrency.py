"""Optimistic concurrency: If-Match parsing, the version check, and SQLAlchemy's versioned UPDATE
refusing the second of two writers that read the same version (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from arrears.concurrency import check_version, etag, parse_if_match
from arrears.disputes.models import Hold
from arrears.errors import InvalidInputError, PreconditionFailedError
from arrears.i18n import N_
from arrears.portfolio.models import Customer

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "version"), [(None, None), ("*", None), ('"3"', 3), ('W/"12"', 12), ("7", 7)]
)
def test_if_match_names_a_version(header: str | None, version: int | None) -> None:
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ['"abc"', '"-1"', '"0"', '"1234567890"', '"3", "4"'])
def test_an_if_match_that_names_no_version_is_refused_with_the_header_named(header: str) -> None:
    with pytest.raises(InvalidInputError, match="If-Match"):
        parse_if_match(header)


def test_etag_and_if_match_round_trip() -> None:
    assert parse_if_match(etag(41)) == 41


def _hold(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        session.execute(insert(Customer).values(customer_id="C1", name="Test Customer"))
        hold = Hold(customer_id="C1", kind="hardship", evidence="letter of 2026-12-01", placed_at=NOW)
        session.add(hold)
        session.flush()
        assert hold.version == 1
        return hold.id


def test_a_stale_version_is_refused_with_412(engine: Engine) -> None:
    hold_id = _hold(engine)
    with Session(engine) as session:
        hold = session.get(Hold, hold_id)
        assert hold is not None
        check_version(hold, 1, N_("hold"), hold_id)
        with pytest.raises(PreconditionFailedError) as refused:
            check_version(hold, 2, N_("hold"), hold_id)
        assert refused.value.http_status == 412


def test_of_two_writers_who_read_the_same_version_the_second_fails(engine: Engine) -> None:
    hold_id = _hold(engine)
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get(Hold, hold_id), second.get(Hold, hold_id)
        assert mine is not None and theirs is not None
        mine.lift_reason, mine.lifted_at = "verified", NOW
        first.commit()
        theirs.lift_reason, theirs.lifted_at = "overwritten", NOW
        with pytest.raises(StaleDataError):
            second.commit()
    with Session(engine) as session:
        hold = session.get(Hold, hold_id)
        assert hold is not None and hold.lift_reason == "verified" and hold.version == 2
