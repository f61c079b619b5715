"""usage_event_days: an index on (name, day, account_id, events), so the team's North Star
total by month reads only the named events' days

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 15:40:00
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_usage_event_days_name_day", "usage_event_days",
                    ["name", "day", "account_id", "events"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_usage_event_days_name_day", table_name="usage_event_days")
