"""accounts.usage_changed_at: the North Star rollups' stamp, moved only by a write that adds
the account's usage (a CRM sync re-delivering unchanged records leaves it, and the rollups
valid); filled from updated_at, the stamp the rollups were built against until now

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01 22:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("usage_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE accounts SET usage_changed_at = updated_at")


def downgrade() -> None:
    # a plain ALTER TABLE on both databases (SQLite >= 3.35): a batch copy of `accounts` on
    # SQLite would drop the table, and with foreign keys on, cascade-delete every row that
    # references an account (event digests, usage days, deals ...)
    op.execute("ALTER TABLE accounts DROP COLUMN usage_changed_at")
