"""Scoring settings, read from ``ARREARS_SCORING_*`` environment variables."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARREARS_SCORING_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where fetched evaluation data sets are cached.")
    psi_warn: float = Field(default=0.1, description="PSI above which the batch summary warns.")
    psi_alert: float = Field(default=0.25, description="PSI above which the batch summary alerts.")
    purpose: str = Field(default="cure", description="The purpose whose active model the batch scores with.")
    bands: str = Field(
        default="A:680,B:640,C:600,D:560,E:0",
        description="Score bands, best first: name:lowest score, comma separated.",
    )


@cache
def get_scoring_settings() -> ScoringSettings:
    return ScoringSettings()
