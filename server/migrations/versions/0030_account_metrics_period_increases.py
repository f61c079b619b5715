"""account_metrics: the default period's ARR increases (all, cross-sell), so the team
retention of that period reads no timeline row; rows written before stay NULL until their
next refresh (the portfolio then takes the timeline)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_metrics") as batch:
        batch.add_column(sa.Column("period_increase", sa.Numeric(18, 2), nullable=True))
        batch.add_column(sa.Column("period_cross_increase", sa.Numeric(18, 2), nullable=True))
    unfilled = sa.text("period_increase IS NULL")
    op.create_index("ix_account_metrics_no_period_increase", "account_metrics", ["account_id"],
                    sqlite_where=unfilled, postgresql_where=unfilled)


def downgrade() -> None:
    op.drop_index("ix_account_metrics_no_period_increase", table_name="account_metrics")
    with op.batch_alter_table("account_metrics") as batch:
        batch.drop_column("period_cross_increase")
        batch.drop_column("period_increase")
