from sqlalchemy import Engine, inspect

from arrears.db.migrate import current_revision, upgrade
from arrears.models import metadata


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
    assert current_revision(engine) == "0022_simulation_runs"
