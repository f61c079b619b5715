"""calendar-month rollups of the active users for the North Star's team total by month

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                   name=op.f(f"fk_{table}_account_id_accounts"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "usage_months",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("seats_used", sa.Integer(), nullable=False),
        sa.Column("user_days", sa.Integer(), nullable=False),
        _fk("usage_months"),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_usage_months")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_usage_months_month", "usage_months",
                    ["month", "account_id", "users", "seats_used"])
    op.create_table(
        "usage_month_edges",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("firsts", sa.Integer(), nullable=False),
        sa.Column("lasts", sa.Integer(), nullable=False),
        _fk("usage_month_edges"),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_usage_month_edges")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_usage_month_edges_day", "usage_month_edges",
                    ["day", "account_id", "firsts", "lasts"])
    op.create_table(
        "usage_month_stamps",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        _fk("usage_month_stamps"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_usage_month_stamps")),
    )


def downgrade() -> None:
    op.drop_table("usage_month_stamps")
    op.drop_index("ix_usage_month_edges_day", table_name="usage_month_edges")
    op.drop_table("usage_month_edges")
    op.drop_index("ix_usage_months_month", table_name="usage_months")
    op.drop_table("usage_months")
