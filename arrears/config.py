"""One settings object, read from ``ARREARS_*`` environment variables."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url

from arrears.i18n import choose_language


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARREARS_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///arrears.db",
        description="SQLAlchemy URL of the operational database (SQLite file or PostgreSQL).",
    )
    bank_timezone: str = Field(
        default="Asia/Shanghai", description="IANA zone that defines the bank's business day."
    )
    default_currency: str = Field(default="CNY", description="ISO 4217 currency shown by default.")
    language: str | None = Field(
        default=None,
        description="Language of messages, zh-CN or en; unset: from the LANG locale, else en.",
    )
    environment: str = Field(default="local", description="local, test or production.")
    batch_store: str | None = Field(
        default=None,
        description=(
            "DuckDB file where the batch keeps the staged portfolio between nights; unset: beside "
            "a SQLite database (arrears.db.batch.duckdb), none for PostgreSQL; 'none' turns it off."
        ),
    )
    import_chunk_rows: int = Field(
        default=200_000, description="Rows read and validated at a time during a feed import."
    )
    locale: str | None = Field(
        default=None,
        validation_alias="LANG",
        description="The process locale (LANG, not ARREARS_*): the language when ARREARS_LANGUAGE is unset.",
    )


def batch_store_path(settings: Settings) -> Path | None:
    """Where the batch store lives, or None for a store kept in memory for one run."""
    if settings.batch_store is not None:
        return None if settings.batch_store.lower() == "none" else Path(settings.batch_store)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(f"{url.database}.batch.duckdb")
    return None


@cache
def get_settings() -> Settings:
    return Settings()


def message_language(settings: Settings | None = None) -> str:
    """zh-CN or en for the command line: ARREARS_LANGUAGE if set, else the locale (LANG), else English."""
    chosen = settings or get_settings()
    return choose_language(configured=chosen.language, locale=chosen.locale)
