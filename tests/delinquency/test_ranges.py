"""The snapshot stored as validity ranges answers "as of D" exactly as one row per account per date.

Generated histories write snapshots of random dates in random order (later dates, reruns with
other figures, earlier dates between stored ones), some with the changes given the way the
batch store gives them; after each, every date reads back what the per-date layout would hold,
and the ranges are the maximal ones, whatever the order the dates were written in.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text

from arrears.db.arrow import insert_arrow
from arrears.db.migrate import alembic_config, upgrade
from arrears.delinquency import ranges
from arrears.delinquency import repository as snapshots
from arrears.delinquency.frames import SNAPSHOT_SCHEMA

STORED = [n for n in SNAPSHOT_SCHEMA.names if n != "previous_rank"]
ACCOUNTS = ("A1", "A2", "A3", "A4")
DAYS = [date(2024, 3, 1) + timedelta(days=n) for n in (0, 1, 2, 5, 6, 30, 31)]
SINCE = (None, date(2024, 2, 20), date(2024, 1, 10))
"""Oldest overdue due dates: the same one on consecutive dates is a DPD growing by a day."""

Row = dict[str, Any]


@st.composite
def snapshots_of(draw: st.DrawFn, day: date) -> list[Row]:
    rows = []
    for account in ACCOUNTS:
        if not draw(st.booleans()) and draw(st.booleans()):
            continue  # absent that date (not opened yet, or gone from the feed)
        since = draw(st.sampled_from(SINCE))
        dpd = (day - since).days if since is not None else 0
        rank = draw(st.integers(0, 1))
        rows.append(
            {
                "as_of": day,
                "account_id": account,
                "customer_id": f"C{account}",
                "currency": draw(st.sampled_from(["CNY", "CNY", "JPY"])),
                "status": draw(st.sampled_from(["active", "active", "closed"])),
                "dpd": dpd,
                "bucket": f"M{rank}",
                "bucket_rank": rank,
                "overdue_amount": draw(st.sampled_from([0, 0, 12_345])),
                "outstanding_amount": 1_000_000,
                "roll": draw(st.sampled_from(["same", "same", "forward"])),
                "previous_rank": None,
            }
        )
    return rows


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[date, list[Row], bool]]:
    """(date, its snapshot, whether the changes are given as the batch store gives them)."""
    steps = []
    for _ in range(draw(st.integers(1, 7))):
        day = draw(st.sampled_from(DAYS))
        steps.append((day, draw(snapshots_of(day)), draw(st.booleans())))
    return steps


def table(rows: list[Row]) -> pa.Table:
    return pa.Table.from_pylist(rows, SNAPSHOT_SCHEMA)


def state(row: Row) -> tuple[Any, ...]:
    since = row["as_of"] - timedelta(days=row["dpd"]) if row["dpd"] else None
    return (*(row[c] for c in ranges.STATE_COLUMNS if c != "overdue_since"), since)


def maximal_ranges(model: dict[date, list[Row]]) -> list[tuple[Any, ...]]:
    """The ranges the per-date rows make: consecutive stored dates of equal state merged."""
    dates = sorted(model)
    found = []
    for account in ACCOUNTS:
        current: tuple[date, tuple[Any, ...]] | None = None
        for n, day in enumerate(dates):
            rows = [r for r in model[day] if r["account_id"] == account]
            now = state(rows[0]) if rows else None
            if current is not None and now != current[1]:
                found.append((account, current[0], day, current[1]))
                current = None
            if current is None and now is not None:
                current = (day, now)
            if n == len(dates) - 1 and current is not None:
                found.append((account, current[0], None, current[1]))
    return sorted(found, key=lambda r: (r[0], r[1]))


def stored_ranges(connection: Connection) -> list[tuple[Any, ...]]:
    columns = [c for c in ranges.STATE_COLUMNS if c != "overdue_since"]
    rows = connection.execute(
        text(
            f"SELECT account_id, valid_from, valid_to, {', '.join(columns)}, overdue_since "
            "FROM delinquency_ranges ORDER BY account_id, valid_from"
        )
    ).all()
    as_date = date.fromisoformat
    return [
        (
            r[0],
            as_date(r[1]) if isinstance(r[1], str) else r[1],
            as_date(r[2]) if isinstance(r[2], str) else r[2],
            (*r[3:-1], as_date(r[-1]) if isinstance(r[-1], str) else r[-1]),
        )
        for r in rows
    ]


def write(
    connection: Connection, model: dict[date, list[Row]], day: date, rows: list[Row], given: bool
) -> None:
    """Write as the batch does; ``given``: with the changes against the latest date, as the store
    computes them (only when the date is the latest or after it)."""
    changed = None
    latest = max(model) if model else None
    if given and latest is not None and day >= latest:
        changed = ranges.changes(ranges.states(table(rows)), ranges.states(table(model[latest])))
    snapshots.replace_snapshot(connection, day, table(rows), changed)
    model[day] = rows


def check(connection: Connection, model: dict[date, list[Row]]) -> None:
    for day in DAYS:
        read = snapshots.read_snapshot(connection, day, STORED).to_pylist()
        assert read == [
            {c: r[c] for c in STORED} for r in sorted(model.get(day, []), key=lambda r: r["account_id"])
        ]
        assert snapshots.has_snapshot(connection, day) == (day in model)
    assert stored_ranges(connection) == maximal_ranges(model)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_ranges_answer_as_of_every_date_as_the_rows_per_date(engine: Engine, history: Any) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            model: dict[date, list[Row]] = {}
            for day, rows, given_changes in history:
                write(connection, model, day, rows, given_changes)
                check(connection, model)
        finally:
            transaction.rollback()


def test_a_night_writes_only_the_accounts_that_changed(engine: Engine) -> None:
    first, second = DAYS[0], DAYS[1]
    base = {
        "customer_id": "C",
        "currency": "CNY",
        "status": "active",
        "bucket": "M1",
        "bucket_rank": 1,
        "overdue_amount": 100,
        "outstanding_amount": 1_000,
        "roll": "same",
        "previous_rank": 1,
    }
    night = [{"as_of": first, "account_id": a, "dpd": 3, **base} for a in ACCOUNTS]
    # the next day: DPD one more for all (no change), and one account paid
    after = [{**row, "as_of": second, "dpd": 4} for row in night]
    after[0] = {**after[0], "dpd": 0, "bucket": "M0", "bucket_rank": 0, "overdue_amount": 0, "roll": "cured"}
    with engine.begin() as connection:
        assert snapshots.replace_snapshot(connection, first, table(night)).num_rows == 4
        assert snapshots.replace_snapshot(connection, second, table(after)).num_rows == 1
        assert snapshots.replace_snapshot(connection, second, table(after)).num_rows == 0  # rerun: nothing
        count = connection.execute(text("SELECT count(*) FROM delinquency_ranges")).scalar()
        assert count == 5
        dpd = snapshots.read_snapshot(connection, second, ["account_id", "dpd"]).to_pylist()
        assert dpd == [{"account_id": "A1", "dpd": 0}] + [{"account_id": a, "dpd": 4} for a in ACCOUNTS[1:]]


def test_the_migration_turns_rows_per_date_into_ranges_and_back(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0006_access")
    model = {
        DAYS[0]: [{"as_of": DAYS[0], "account_id": "A1", "dpd": 10, **_figures()}],
        DAYS[1]: [
            {"as_of": DAYS[1], "account_id": "A1", "dpd": 11, **_figures()},
            {"as_of": DAYS[1], "account_id": "A2", "dpd": 0, **_figures()},
        ],
        DAYS[2]: [{"as_of": DAYS[2], "account_id": "A2", "dpd": 0, **_figures()}],
        DAYS[3]: [{"as_of": DAYS[3], "account_id": "A1", "dpd": 14, **_figures()}],
    }
    old_rows = pa.Table.from_pylist(
        [r for rows in model.values() for r in rows],
        SNAPSHOT_SCHEMA.remove(SNAPSHOT_SCHEMA.get_field_index("previous_rank")),
    )
    with bare_engine.begin() as connection:
        insert_arrow(connection, "delinquency_snapshots", old_rows)
    upgrade(bare_engine)
    with bare_engine.connect() as connection:
        check_model = {d: [{**r, "previous_rank": None} for r in rows] for d, rows in model.items()}
        for day in DAYS:
            read = snapshots.read_snapshot(connection, day, STORED).to_pylist()
            assert read == [{c: r[c] for c in STORED} for r in check_model.get(day, [])]
        assert stored_ranges(connection) == maximal_ranges(check_model)
        assert len(stored_ranges(connection)) == 3  # A1 on days 0-1 and again on 3, A2 on 1-2
    config = alembic_config(bare_engine)
    with bare_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006_access")
    with bare_engine.connect() as connection:
        back = connection.execute(
            text("SELECT as_of, account_id, dpd FROM delinquency_snapshots ORDER BY as_of, account_id")
        ).all()
    as_date = date.fromisoformat
    assert [(as_date(d) if isinstance(d, str) else d, a, p) for d, a, p in back] == [
        (r["as_of"], r["account_id"], r["dpd"]) for rows in model.values() for r in rows
    ]


def _figures() -> Row:
    return {
        "customer_id": "C",
        "currency": "CNY",
        "status": "active",
        "bucket": "M1",
        "bucket_rank": 1,
        "overdue_amount": 100,
        "outstanding_amount": 1_000,
        "roll": "same",
    }
