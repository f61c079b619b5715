"""usage_user_days by user: (account_id, user_id, day), for a contact's product activity

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 16:20:00
"""
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_usage_user_days_account_user_day", "usage_user_days",
                    ["account_id", "user_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_usage_user_days_account_user_day", table_name="usage_user_days")
