"""account_signals by (owner, code, severity): the team's warnings are counted on the index
alone; account_metrics by lower(segment): a segment scope (matched case-blind) seeks its
accounts instead of scanning the rows

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-01 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_account_signals_owner_code_severity", "account_signals",
                    ["owner", "code", "severity"])
    op.create_index("ix_account_metrics_segment_key", "account_metrics",
                    [sa.text("lower(segment)")])


def downgrade() -> None:
    op.drop_index("ix_account_metrics_segment_key", table_name="account_metrics")
    op.drop_index("ix_account_signals_owner_code_severity", table_name="account_signals")
