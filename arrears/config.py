"""One settings object, read from ``ARREARS_*`` environment variables."""

from __future__ import annotations

import os
from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    import_chunk_rows: int = Field(
        default=200_000, description="Rows read and validated at a time during a feed import."
    )


@cache
def get_settings() -> Settings:
    return Settings()


def message_language(settings: Settings | None = None) -> str:
    """zh-CN or en: ARREARS_LANGUAGE if set, else the user's locale (LANG), else English."""
    chosen = (settings or get_settings()).language or os.environ.get("LANG", "")
    return "zh-CN" if chosen.lower().startswith("zh") else "en"
