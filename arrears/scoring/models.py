"""Scoring tables: model versions (the registry) and the scores the batch keeps per account."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db import Base, UTCDateTime


class ModelVersion(Base):
    """One trained model: how it was made, how well it did, and the model itself."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(64), comment="what it predicts, e.g. pay_30d")
    version: Mapped[int] = mapped_column(Integer, comment="1, 2, ... within the purpose")
    kind: Mapped[str] = mapped_column(String(32), comment="boosting or scorecard")
    training_from: Mapped[date | None] = mapped_column(Date)
    training_to: Mapped[date | None] = mapped_column(Date)
    training_source: Mapped[str] = mapped_column(String(500), comment="data set, file or batch window")
    features: Mapped[list[str]] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_checksum: Mapped[str] = mapped_column(String(64), comment="sha256 of the training data")
    code_version: Mapped[str] = mapped_column(String(64))
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary, comment="gzip JSON of the model")
    artifact_path: Mapped[str | None] = mapped_column(String(500), comment="when stored as a file")
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("purpose", "version"),
        # at most one active model per purpose, enforced by the database
        Index(
            "uq_model_versions_active_purpose",
            "purpose",
            unique=True,
            sqlite_where=is_active == true(),
            postgresql_where=is_active == true(),
        ),
    )


class AccountScore(Base):
    """A score of one account (and its case, when it has one) as of a business date."""

    __tablename__ = "account_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"))
    case_id: Mapped[str | None] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float, comment="calibrated probability of paying")
    band: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="[{feature, value, effect}], strongest first"
    )

    __table_args__ = (
        UniqueConstraint("account_id", "as_of", "model_version_id"),
        Index(None, "as_of", "band"),
    )
