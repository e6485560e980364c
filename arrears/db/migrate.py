"""Schema migrations, run programmatically (``arrears db upgrade`` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parents[1] / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser reads % as interpolation: a URL with an escaped query (options=-csearch_path%3D…)
    # must be written with %% to come back unchanged.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def database_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (one per branch of migrations; none before the first)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def code_revisions() -> set[str]:
    """The revisions this version of the code migrates to."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


def current_revision(engine: Engine) -> str | None:
    """The revisions the database is at, comma-separated."""
    return ",".join(sorted(database_revisions(engine))) or None
