"""access: users, teams, agencies, credentials, the audit trail, case assignment, placements, field visits

Revision ID: 0006_access
Revises: 0003_batch
Create Date: 2026-12-04 08:05:45.397815
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0006_access"
down_revision: str | None = "0003_batch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_table(
        "audit_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
            comment="position in the chain, from 1, without gaps",
        ),
        sa.Column("at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True, comment="users.id; none for the system"),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column(
            "action",
            sa.String(length=64),
            nullable=False,
            comment="e.g. case.assign, personal.reveal, auth.sign_in",
        ),
        sa.Column("outcome", sa.String(length=16), nullable=False, comment="ok, refused or failed"),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.String(length=100), nullable=True),
        sa.Column(
            "customer_id", sa.String(length=64), nullable=True, comment="whose data, for a regulator's export"
        ),
        sa.Column("before", sa.Text(), nullable=True, comment="canonical JSON, personal fields masked"),
        sa.Column("after", sa.Text(), nullable=True, comment="canonical JSON, personal fields masked"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "rules", sa.String(length=500), nullable=True, comment="compliance rule ids, comma separated"
        ),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True, comment="the caller's address"),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entries_actor_id_action_at"), ["actor_id", "action", "at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_entries_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entries_customer_id_at"), ["customer_id", "at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entries_object_type_object_id"), ["object_type", "object_id"], unique=False
        )

    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    with op.batch_alter_table("sign_in_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_attempts_client_at"), ["client", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_attempts_username_at"), ["username", "at"], unique=False)

    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_teams_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False, comment="arrears.auth.permissions.Role"),
        sa.Column(
            "password_hash", sa.String(length=200), nullable=True, comment="argon2id; none for machines"
        ),
        sa.Column("is_machine", sa.Boolean(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column(
            "language", sa.String(length=35), nullable=True, comment="zh-CN or en; none: from the request"
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_users_agency_id_agencies")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_users_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_team_id"), ["team_id"], unique=False)

    op.create_table(
        "case_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True, comment="none: the system"),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "ended_at", arrears.db.UTCDateTime(timezone=True), nullable=True, comment="none: the current one"
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["users.id"], name=op.f("fk_case_assignments_assigned_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_case_assignments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["collector_id"], ["users.id"], name=op.f("fk_case_assignments_collector_id_users")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_case_assignments_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assignments")),
    )
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_assignments_collector_id_ended_at"),
            ["collector_id", "ended_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_case_assignments_team_id_ended_at"), ["team_id", "ended_at"], unique=False
        )
        batch_op.create_index(
            "uq_case_assignments_current",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="token, session or api_key"),
        sa.Column("digest", sa.String(length=64), nullable=False, comment="sha256 of the secret"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True, comment="an API key's label"),
        sa.Column(
            "csrf_digest", sa.String(length=64), nullable=True, comment="a session's CSRF token, hashed"
        ),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "expires_at",
            arrears.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="absolute end; none: API key",
        ),
        sa.Column("revoked_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_credentials_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("digest", name=op.f("uq_credentials_digest")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_user_id"), ["user_id"], unique=False)

    op.create_table(
        "field_visits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="planned, done or cancelled"),
        sa.Column("assigned_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_field_visits_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["users.id"], name=op.f("fk_field_visits_assigned_by_users")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_field_visits_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_field_visits_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_visits")),
    )
    with op.batch_alter_table("field_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_field_visits_agent_id_status"), ["agent_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_field_visits_case_id"), ["case_id"], unique=False)

    op.create_table(
        "placements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False, comment="the last day of the placement"),
        sa.Column("placed_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("placed_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("recalled_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recalled_by", sa.Integer(), nullable=True),
        sa.Column("recall_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_placements_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_placements_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(["placed_by"], ["users.id"], name=op.f("fk_placements_placed_by_users")),
        sa.ForeignKeyConstraint(["recalled_by"], ["users.id"], name=op.f("fk_placements_recalled_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
    )
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placements_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_placements_agency_id_recalled_at"), ["agency_id", "recalled_at"], unique=False
        )

    op.create_table(
        "team_leaders",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_leaders_team_id_teams")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_team_leaders_user_id_users")),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_leaders")),
    )
    with op.batch_alter_table("team_leaders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_leaders_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_leaders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_leaders_user_id"))

    op.drop_table("team_leaders")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placements_agency_id_recalled_at"))
        batch_op.drop_index(batch_op.f("ix_placements_account_id"))

    op.drop_table("placements")
    with op.batch_alter_table("field_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_visits_case_id"))
        batch_op.drop_index(batch_op.f("ix_field_visits_agent_id_status"))

    op.drop_table("field_visits")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_user_id"))

    op.drop_table("credentials")
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_case_assignments_current",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_case_assignments_team_id_ended_at"))
        batch_op.drop_index(batch_op.f("ix_case_assignments_collector_id_ended_at"))

    op.drop_table("case_assignments")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_team_id"))
        batch_op.drop_index(batch_op.f("ix_users_customer_id"))
        batch_op.drop_index(batch_op.f("ix_users_agency_id"))

    op.drop_table("users")
    op.drop_table("teams")
    with op.batch_alter_table("sign_in_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_attempts_username_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_attempts_client_at"))

    op.drop_table("sign_in_attempts")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_object_type_object_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_customer_id_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_actor_id_action_at"))

    op.drop_table("audit_entries")
    op.drop_table("agencies")
