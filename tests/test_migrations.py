from datetime import date

import pytest
from sqlalchemy import Engine, insert, inspect, select

from arrears.db.migrate import current_revision, upgrade
from arrears.models import metadata
from tests.conftest import DATABASES


def test_migrations_build_every_table_of_the_models(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before


def test_the_migrations_build_exactly_what_the_models_declare(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_simulation_runs_go_down_and_come_back(engine: Engine) -> None:
    from alembic import command

    from arrears.db.migrate import alembic_config

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0021_call_transcripts")
    assert "simulation_runs" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "simulation_runs" in inspect(engine).get_table_names()
    assert current_revision(engine) == "0026_cases_closed_updated_on"


def test_the_cases_already_there_are_given_their_worst_account_in_the_cases_steps_order(
    engine: Engine,
) -> None:
    """0023: the worst DPD, then the largest overdue, then the smallest id (arrears.cases.service)."""
    from alembic import command

    from arrears.cases.models import Case, CaseAccount
    from arrears.db.migrate import alembic_config
    from arrears.portfolio.models import Account, Customer

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0022_simulation_runs")
    day = date(2026, 11, 1)
    accounts = {"A1": (40, 100), "A2": (70, 100), "A3": (70, 900), "A4": (70, 900), "B1": (10, 5)}
    with engine.begin() as connection:
        connection.execute(
            insert(Customer), [{"customer_id": "C1", "name": "x"}, {"customer_id": "C2", "name": "y"}]
        )
        connection.execute(
            insert(Account),
            [
                {
                    "account_id": a,
                    "customer_id": "C1" if a < "B" else "C2",
                    "product": "credit_card",
                    "currency": "CNY",
                    "opened_on": day,
                }
                for a in accounts
            ],
        )
        cases = [("K1", "C1"), ("K2", "C2")]
        for case_id, customer_id in cases:
            connection.exec_driver_sql(
                "INSERT INTO cases (case_id, customer_id, status, opened_on, worst_dpd, bucket, overdue_total, "
                "currency, account_count, broken_promises, updated_on) "
                f"VALUES ('{case_id}', '{customer_id}', 'open', '2026-11-01', 70, 'M3', 1, 'CNY', 1, 0, '2026-11-01')"
            )
        connection.execute(
            insert(CaseAccount),
            [
                {
                    "case_id": "K1" if a < "B" else "K2",
                    "account_id": a,
                    "joined_on": day,
                    "delinquent": True,
                    "dpd": dpd,
                    "bucket": "M2",
                    "overdue_amount": overdue,
                    "currency": "CNY",
                    "account_status": "active",
                }
                for a, (dpd, overdue) in accounts.items()
            ],
        )
    upgrade(engine)
    with engine.connect() as connection:
        worst = dict(connection.execute(select(Case.case_id, Case.worst_account_id)).all())
    assert worst == {"K1": "A3", "K2": "B1"}


@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)  # PostgreSQL keeps timestamptz
def test_the_instants_bulk_writes_left_with_an_offset_are_stored_as_every_other_instant(
    engine: Engine,
) -> None:
    """0025: "2026-12-08 01:00:00+00:00" (Python's default form, left by insert_arrow) becomes
    "2026-12-08 01:00:00.000000", as UTCDateTime stores it; a value already so stays as it is."""
    from alembic import command

    from arrears.db.migrate import alembic_config

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0024_strategy_actions_touched")
    written = ["2026-12-08 01:00:00+00:00", "2026-12-08 01:00:00.000005+00:00", "2026-12-08 09:30:00.250000"]
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # rows alone, without their cases
        for number, (start, end) in enumerate(zip(written, [*written[1:], written[0]], strict=True), start=1):
            connection.exec_driver_sql(
                "INSERT INTO call_tasks (id, action_id, case_id, customer_id, due_on, window_start, window_end, "
                "best, status, why) VALUES (?, ?, 'K1', 'C1', '2026-12-08', ?, ?, 0, 'open', '{}')",
                (number, number, start, end),
            )
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    upgrade(engine)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT window_start, window_end FROM call_tasks ORDER BY id"
        ).all()
    assert [tuple(row) for row in stored] == [
        ("2026-12-08 01:00:00.000000", "2026-12-08 01:00:00.000005"),
        ("2026-12-08 01:00:00.000005", "2026-12-08 09:30:00.250000"),
        ("2026-12-08 09:30:00.250000", "2026-12-08 01:00:00.000000"),
    ]
