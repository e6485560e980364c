"""casework: queues, contacts, callbacks, preferences, holds, disputes, complaints, promises, plans and settlements, idempotency keys

Revision ID: 0008_casework
Revises: 0007_snapshot_ranges, 0002_compliance, 0004_scoring, 0005_import_watermark (joins the branches)
Create Date: 2026-12-04 10:51:18.585899
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0008_casework"
down_revision: str | Sequence[str] | None = (
    "0007_snapshot_ranges",
    "0002_compliance",
    "0004_scoring",
    "0005_import_watermark",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _kernel_upgrade()
    _contacts_upgrade()
    _disputes_upgrade()
    _arrangements_upgrade()
    _queues_upgrade()


def downgrade() -> None:
    _queues_downgrade()
    _arrangements_downgrade()
    _disputes_downgrade()
    _contacts_downgrade()
    _kernel_downgrade()


# ---- idempotency keys (kernel) ----


def _kernel_upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "fingerprint", sa.String(length=64), nullable=False, comment="SHA-256 of method, path and body"
        ),
        sa.Column("status_code", sa.Integer(), nullable=True, comment="the HTTP status answered"),
        sa.Column(
            "response",
            sa.JSON(),
            nullable=True,
            comment="the body answered (a problem's code and messages for an error)",
        ),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_keys_user_id_key")),
    )


def _kernel_downgrade() -> None:
    op.drop_table("idempotency_keys")


# ---- contacts, callbacks, contact preferences ----


def _contacts_upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False, comment="outbound or inbound"),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.Column("party", sa.String(length=32), nullable=False, comment="who was reached or sought"),
        sa.Column("started_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "disposition", sa.String(length=32), nullable=False, comment="a code of the disposition list"
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "note_flags",
            sa.JSON(),
            nullable=False,
            comment="the content check's findings on the note (rule id, messages)",
        ),
        sa.Column("recording_uri", sa.String(length=1000), nullable=True),
        sa.Column("recording_sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "gate_decision_id",
            sa.Integer(),
            nullable=True,
            comment="the gate's decision on it; one contact per decision",
        ),
        sa.Column("gate_verdict", sa.String(length=8), nullable=True, comment="allow, block or review"),
        sa.Column(
            "violations",
            sa.JSON(),
            nullable=False,
            comment="rule ids the contact broke (recorded after the fact)",
        ),
        sa.Column("after_the_fact", sa.Boolean(), nullable=False),
        sa.Column("review_status", sa.String(length=16), nullable=False),
        sa.Column("reviewed_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("review_outcome", sa.String(length=16), nullable=True, comment="cleared or confirmed"),
        sa.Column("review_note", sa.String(length=1000), nullable=True),
        sa.Column(
            "source",
            sa.String(length=16),
            nullable=False,
            comment="collector, outbox, strategy, agency, system",
        ),
        sa.Column("recorded_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True, comment="none: the system"),
        sa.Column(
            "team_id",
            sa.Integer(),
            nullable=True,
            comment="the team working the case when recorded (metrics per team)",
        ),
        sa.Column(
            "started_on", sa.Date(), nullable=False, comment="the bank's business day of started_at (metrics)"
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_contacts_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_contacts_contact_point_id_contact_points"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_contacts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["gate_decision_id"],
            ["compliance_decisions.id"],
            name=op.f("fk_contacts_gate_decision_id_compliance_decisions"),
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_contacts_recorded_by_users")),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], name=op.f("fk_contacts_reviewed_by_users")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_contacts_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contacts_case_id_started_at"), ["case_id", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_customer_id_started_at"), ["customer_id", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_review_status_recorded_at"),
            ["review_status", "recorded_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_started_on_team_id"), ["started_on", "team_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contacts_gate_decision_id"), ["gate_decision_id"], unique=True)
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.Column("due_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="open, done or cancelled"),
        sa.Column("contact_id", sa.Integer(), nullable=True, comment="where it was agreed"),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_callbacks_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_callbacks_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_callbacks_contact_point_id_contact_points"),
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_callbacks_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_case_id_status"), ["case_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_callbacks_status_due_at"), ["status", "due_at"], unique=False)
    op.create_table(
        "contact_preferences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.Column("window_start", sa.Time(), nullable=True, comment="local time, customer's zone"),
        sa.Column("window_end", sa.Time(), nullable=True),
        sa.Column("until", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_contact_preferences_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_contact_preferences_contact_point_id_contact_points"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_contact_preferences_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_contact_preferences_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_preferences")),
    )
    with op.batch_alter_table("contact_preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_preferences_customer_id"), ["customer_id"], unique=False)


def _contacts_downgrade() -> None:
    with op.batch_alter_table("contact_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_preferences_customer_id"))
    op.drop_table("contact_preferences")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callbacks_status_due_at"))
        batch_op.drop_index(batch_op.f("ix_callbacks_case_id_status"))
    op.drop_table("callbacks")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_gate_decision_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_started_on_team_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_review_status_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_contacts_customer_id_started_at"))
        batch_op.drop_index(batch_op.f("ix_contacts_case_id_started_at"))
    op.drop_table("contacts")


# ---- holds, disputes, complaints ----


def _disputes_upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "evidence", sa.Text(), nullable=False, comment="what shows it: a document, a call, a notice"
        ),
        sa.Column("evidence_uri", sa.String(length=1000), nullable=True),
        sa.Column("placed_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("placed_by", sa.Integer(), nullable=True),
        sa.Column("lifted_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.Column("lift_reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_holds_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_holds_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["lifted_by"], ["users.id"], name=op.f("fk_holds_lifted_by_users")),
        sa.ForeignKeyConstraint(["placed_by"], ["users.id"], name=op.f("fk_holds_placed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_holds_customer_id_lifted_at"), ["customer_id", "lifted_at"], unique=False
        )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("about_user_id", sa.Integer(), nullable=True, comment="whose conduct"),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("respond_by", sa.Date(), nullable=False),
        sa.Column("received_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("responded_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(
            ["about_user_id"], ["users.id"], name=op.f("fk_complaints_about_user_id_users")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_complaints_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_complaints_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_complaints_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_complaints_owner_id_users")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_complaints_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaints_status_respond_by"), ["status", "respond_by"], unique=False
        )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="debt or amount"),
        sa.Column("written", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verify_by", sa.Date(), nullable=False, comment="the verification deadline"),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_disputes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_disputes_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_disputes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_disputes_hold_id_holds")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_disputes_recorded_by_users")),
        sa.ForeignKeyConstraint(["resolved_by"], ["users.id"], name=op.f("fk_disputes_resolved_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_disputes_status_verify_by"), ["status", "verify_by"], unique=False
        )


def _disputes_downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_status_verify_by"))
        batch_op.drop_index(batch_op.f("ix_disputes_case_id"))
    op.drop_table("disputes")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_status_respond_by"))
        batch_op.drop_index(batch_op.f("ix_complaints_case_id"))
    op.drop_table("complaints")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holds_customer_id_lifted_at"))
    op.drop_table("holds")


# ---- promises, plans and settlements; cases.broken_promises ----


def _arrangements_upgrade() -> None:
    op.create_table(
        "arrangements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="plan or settlement"),
        sa.Column(
            "method", sa.String(length=16), nullable=False, comment="equal, graduated, custom or single"
        ),
        sa.Column(
            "rounding",
            sa.String(length=32),
            nullable=False,
            comment="the named rule that placed the remainder",
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("owed_amount", sa.BigInteger(), nullable=False, comment="minor units owed when proposed"),
        sa.Column("total_amount", sa.BigInteger(), nullable=False, comment="minor units to be paid"),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("waived_fees", sa.BigInteger(), nullable=False),
        sa.Column("installment_count", sa.Integer(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("approval_reasons", sa.String(length=500), nullable=True, comment="which limits it passes"),
        sa.Column("proposed_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("activated_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "starts_on",
            sa.Date(),
            nullable=True,
            comment="business date of the approval: payments from it count towards the installments",
        ),
        sa.Column("ended_on", sa.Date(), nullable=True, comment="completed, broken or cancelled on"),
        sa.Column("evaluated_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.CheckConstraint("total_amount > 0", name=op.f("ck_arrangements_total_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_arrangements_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_arrangements_case_id_cases")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_arrangements_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_arrangements_proposed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangements")),
    )
    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangements_case_id_status"), ["case_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_arrangements_status_needs_approval_proposed_at"),
            ["status", "needs_approval", "proposed_at"],
            unique=False,
        )
    op.create_index(
        "uq_arrangements_standing_case",
        "arrangements",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("status IN ('proposed', 'approved', 'active')"),
        postgresql_where=sa.text("status IN ('proposed', 'approved', 'active')"),
    )
    op.create_table(
        "arrangement_installments",
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="open, paid, late or missed"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_arrangement_installments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangements.id"],
            name=op.f("fk_arrangement_installments_arrangement_id_arrangements"),
        ),
        sa.PrimaryKeyConstraint("arrangement_id", "seq", name=op.f("pk_arrangement_installments")),
    )
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column(
            "account_id",
            sa.String(length=64),
            nullable=True,
            comment="none: any account of the case in that currency",
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "amount", sa.BigInteger(), nullable=False, comment="minor units: the sum of the installments"
        ),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False, comment="minor units, as last evaluated"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("taken_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "taken_on",
            sa.Date(),
            nullable=False,
            comment="the bank's business date when taken: payments from then on count",
        ),
        sa.Column("taken_by", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("first_due_on", sa.Date(), nullable=False),
        sa.Column("last_due_on", sa.Date(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=True, comment="as-of date of the last evaluation"),
        sa.Column("closed_on", sa.Date(), nullable=True, comment="when kept, broken, superseded …"),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_promises_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_promises_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_promises_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_promises_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"], ["promises.id"], name=op.f("fk_promises_superseded_by_promises")
        ),
        sa.ForeignKeyConstraint(["taken_by"], ["users.id"], name=op.f("fk_promises_taken_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises")),
    )
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promises_case_id_status"), ["case_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_promises_status_last_due_on"), ["status", "last_due_on"], unique=False
        )
        batch_op.create_index(
            "uq_promises_open_case",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
    op.create_table(
        "promise_installments",
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="open, kept, partially_kept or broken"
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_promise_installments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["promise_id"], ["promises.id"], name=op.f("fk_promise_installments_promise_id_promises")
        ),
        sa.PrimaryKeyConstraint("promise_id", "seq", name=op.f("pk_promise_installments")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "broken_promises",
                sa.Integer(),
                server_default="0",
                nullable=False,
                comment="promises found broken, counted by the batch",
            )
        )


def _arrangements_downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("broken_promises")
    op.drop_table("promise_installments")
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_promises_open_case",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_promises_status_last_due_on"))
        batch_op.drop_index(batch_op.f("ix_promises_case_id_status"))
    op.drop_table("promises")
    op.drop_table("arrangement_installments")
    op.drop_index("uq_arrangements_standing_case", table_name="arrangements")
    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangements_status_needs_approval_proposed_at"))
        batch_op.drop_index(batch_op.f("ix_arrangements_case_id_status"))
    op.drop_table("arrangements")


# ---- queues, collector profiles, retentions, leases ----


def _queues_upgrade() -> None:
    op.create_table(
        "case_leases",
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("leased_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_case_leases_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["collector_id"], ["users.id"], name=op.f("fk_case_leases_collector_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_leases")),
    )
    with op.batch_alter_table("case_leases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_leases_collector_id_expires_at"), ["collector_id", "expires_at"], unique=False
        )
    op.create_table(
        "case_queues",
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False, comment="the queue's code in the queue set"),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("queue_set", sa.Integer(), nullable=False, comment="queue_sets.number that placed it"),
        sa.Column("entered_on", sa.Date(), nullable=False, comment="the business date it entered this queue"),
        sa.Column(
            "collector_since",
            sa.Date(),
            nullable=True,
            comment="the business date the nightly assignment last gave it a collector",
        ),
        sa.Column(
            "last_progress_on",
            sa.Date(),
            nullable=True,
            comment="the last right-party contact, promise or payment (for reassignment after N days)",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_case_queues_case_id_cases")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_case_queues_team_id_teams")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_queues")),
    )
    with op.batch_alter_table("case_queues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_queues_team_id_queue"), ["team_id", "queue"], unique=False)
    op.create_table(
        "case_retentions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False, comment="the last business date it is kept"),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column(
            "released_at",
            arrears.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="ended before `until`",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_case_retentions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["collector_id"], ["users.id"], name=op.f("fk_case_retentions_collector_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_case_retentions_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_retentions")),
    )
    with op.batch_alter_table("case_retentions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_retentions_case_id_until"), ["case_id", "until"], unique=False
        )
    op.create_table(
        "collector_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False, comment="BCP 47 tags, e.g. [zh-CN, en]; [] = any"),
        sa.Column("products", sa.JSON(), nullable=False, comment="product codes; [] = any"),
        sa.Column("capacity", sa.Integer(), nullable=False, comment="open cases at most"),
        sa.Column("updated_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_collector_profiles_updated_by_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_collector_profiles_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_collector_profiles")),
    )
    op.create_table(
        "queue_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, …: the version people name"),
        sa.Column("document", sa.Text(), nullable=False, comment="the YAML as written"),
        sa.Column("digest", sa.String(length=64), nullable=False, comment="SHA-256 of the document"),
        sa.Column("status", sa.String(length=16), nullable=False, comment="draft, active or retired"),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("activated_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activated_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(
            ["activated_by"], ["users.id"], name=op.f("fk_queue_sets_activated_by_users")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_queue_sets_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_sets")),
        sa.UniqueConstraint("number", name=op.f("uq_queue_sets_number")),
    )
    with op.batch_alter_table("queue_sets", schema=None) as batch_op:
        batch_op.create_index(
            "uq_queue_sets_active",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
    # next case: the precomputed priority of each case in its queue, and the lease's state
    with op.batch_alter_table("case_queues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "priority_level",
                sa.SmallInteger(),
                server_default="0",
                nullable=False,
                comment="2: a promise due today, 1: a promise found broken this morning, 0: the rest",
            )
        )
        batch_op.add_column(
            sa.Column(
                "priority_value",
                sa.BigInteger(),
                server_default="0",
                nullable=False,
                comment="expected recovery: minor units of the case's currency (overdue x probability of paying)",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_case_queues_team_id_priority_level_priority_value"),
            ["team_id", "priority_level", "priority_value"],
            unique=False,
        )
    with op.batch_alter_table("case_leases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reason",
                sa.String(length=32),
                nullable=False,
                comment="why next case chose it (a priority reason code)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "released_at",
                arrears.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="none: live until expires_at",
            )
        )
        batch_op.add_column(
            sa.Column(
                "skip_reason",
                sa.String(length=500),
                nullable=True,
                comment="the collector's reason to skip it",
            )
        )


def _queues_downgrade() -> None:
    with op.batch_alter_table("case_leases", schema=None) as batch_op:
        batch_op.drop_column("skip_reason")
        batch_op.drop_column("released_at")
        batch_op.drop_column("reason")
    with op.batch_alter_table("case_queues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_queues_team_id_priority_level_priority_value"))
        batch_op.drop_column("priority_value")
        batch_op.drop_column("priority_level")
    with op.batch_alter_table("queue_sets", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_queue_sets_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
    op.drop_table("queue_sets")
    op.drop_table("collector_profiles")
    with op.batch_alter_table("case_retentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_retentions_case_id_until"))
    op.drop_table("case_retentions")
    with op.batch_alter_table("case_queues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_queues_team_id_queue"))
    op.drop_table("case_queues")
    with op.batch_alter_table("case_leases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_leases_collector_id_expires_at"))
    op.drop_table("case_leases")
