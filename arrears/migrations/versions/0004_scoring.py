"""scoring: model versions and account scores

Revision ID: 0004_scoring
Revises: 0001_portfolio
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0004_scoring"
down_revision: str | None = "0001_portfolio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False, comment="what it predicts, e.g. pay_30d"),
        sa.Column("version", sa.Integer(), nullable=False, comment="1, 2, ... within the purpose"),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="boosting or scorecard"),
        sa.Column("training_from", sa.Date(), nullable=True),
        sa.Column("training_to", sa.Date(), nullable=True),
        sa.Column(
            "training_source", sa.String(length=500), nullable=False, comment="data set, file or batch window"
        ),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column(
            "data_checksum", sa.String(length=64), nullable=False, comment="sha256 of the training data"
        ),
        sa.Column("code_version", sa.String(length=64), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=True, comment="gzip JSON of the model"),
        sa.Column("artifact_path", sa.String(length=500), nullable=True, comment="when stored as a file"),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("activated_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("purpose", "version", name=op.f("uq_model_versions_purpose_version")),
    )
    op.create_index(
        "uq_model_versions_active_purpose",
        "model_versions",
        ["purpose"],
        unique=True,
        sqlite_where=sa.text("is_active = 1"),
        postgresql_where=sa.text("is_active = true"),
    )
    op.create_table(
        "account_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False, comment="calibrated probability of paying"),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column(
            "reasons", sa.JSON(), nullable=False, comment="[{feature, value, effect}], strongest first"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_account_scores_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_account_scores_model_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_scores")),
        sa.UniqueConstraint(
            "account_id",
            "as_of",
            "model_version_id",
            name=op.f("uq_account_scores_account_id_as_of_model_version_id"),
        ),
    )
    op.create_index(op.f("ix_account_scores_model_version_id"), "account_scores", ["model_version_id"])
    op.create_index(op.f("ix_account_scores_as_of_band"), "account_scores", ["as_of", "band"])


def downgrade() -> None:
    op.drop_table("account_scores")
    op.drop_index("uq_model_versions_active_purpose", table_name="model_versions")
    op.drop_table("model_versions")
