"""portal codes: an index on the client address and the request's time (issue #14 §4)

Revision ID: 0015_portal_codes_client
Revises: 0014_payment_totals
Create Date: 2026-12-05 00:45:00

The per-client limit of code requests counts a client's requests of the last hour at every
request; without it, that count reads the whole table (every request is kept).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_portal_codes_client"
down_revision: str | None = "0014_payment_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_portal_codes_client_requested", "portal_codes", ["client", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_portal_codes_client_requested", table_name="portal_codes")
