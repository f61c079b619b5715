"""account_metrics by computed_at: the dashboard memo's stamp seeks the latest

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 18:50:00
"""
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_account_metrics_computed_at", "account_metrics", ["computed_at"])


def downgrade() -> None:
    op.drop_index("ix_account_metrics_computed_at", table_name="account_metrics")
