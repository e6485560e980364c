"""channels, what comes back: SMS receipts and replies, delivery on the contact record, pay-now

Revision ID: 0011_channels_returns
Revises: 0010_channels
Create Date: 2026-12-04 17:05:00

One block per part (``_<part>_upgrade`` / ``_<part>_downgrade``), as in 0010.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import arrears.db  # noqa: F401

revision: str = "0011_channels_returns"
down_revision: str | None = "0010_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _receipts_upgrade()
    _paynow_upgrade()


def downgrade() -> None:
    _paynow_downgrade()
    _receipts_downgrade()


def _receipts_upgrade() -> None:
    pass


def _receipts_downgrade() -> None:
    pass


def _paynow_upgrade() -> None:
    pass


def _paynow_downgrade() -> None:
    pass
