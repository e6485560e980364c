from sqlalchemy import Engine, inspect

from arrears.migrate import current_revision, upgrade
from arrears.models import metadata


def test_migrations_build_every_table_of_the_models(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before
