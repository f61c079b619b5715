"""accounts.usage_changed_from: the earliest usage day a write added since the account's
North Star month rollups were built (None: none since), kept as the minimum next to the
usage stamp, so a rebuild recomputes only the months from that day on and a read while the
rebuild is pending uses the stored months before it. Filled with 1970-01-01 (anything may
have changed) for the accounts whose rollup is not current at the upgrade (their next
rebuild is a full one); None for the others.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-01 23:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("usage_changed_from", sa.Date(), nullable=True))
    op.execute("UPDATE accounts SET usage_changed_from = '1970-01-01' WHERE NOT EXISTS ("
               "SELECT 1 FROM usage_month_stamps s WHERE s.account_id = accounts.id"
               " AND s.updated_at = accounts.usage_changed_at)")


def downgrade() -> None:
    # a plain ALTER TABLE on both databases (SQLite >= 3.35): a batch copy of `accounts` on
    # SQLite would drop the table and, with foreign keys on, cascade-delete every row that
    # references an account
    op.execute("ALTER TABLE accounts DROP COLUMN usage_changed_from")
