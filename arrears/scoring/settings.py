"""Scoring settings: the ``ARREARS_SCORING_*`` part of the one settings object (arrears.config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arrears.config import Settings, get_settings


def _default(name: str) -> Any:
    return Settings.model_fields[f"scoring_{name}"].default


_DATA_DIR: Path = _default("data_dir")
_PSI_WARN: float = _default("psi_warn")
_PSI_ALERT: float = _default("psi_alert")
_PURPOSE: str = _default("purpose")
_BANDS: str = _default("bands")


@dataclass(frozen=True, slots=True)
class ScoringSettings:
    """What scoring reads of the settings; tests build one with only what they change."""

    data_dir: Path = _DATA_DIR
    """Where fetched evaluation data sets are cached."""
    psi_warn: float = _PSI_WARN
    """PSI above which the batch summary warns."""
    psi_alert: float = _PSI_ALERT
    """PSI above which the batch summary alerts."""
    purpose: str = _PURPOSE
    """The purpose whose active model the batch scores with."""
    bands: str = _BANDS
    """Score bands, best first: name:lowest score, comma separated."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ScoringSettings:
        return cls(
            data_dir=settings.scoring_data_dir,
            psi_warn=settings.scoring_psi_warn,
            psi_alert=settings.scoring_psi_alert,
            purpose=settings.scoring_purpose,
            bands=settings.scoring_bands,
        )


def get_scoring_settings() -> ScoringSettings:
    return ScoringSettings.from_settings(get_settings())
