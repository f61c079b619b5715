"""the relationship score, sentiment and its 90-day change, the email reply median and the
North Star in the daily history rows, and sortable in the current rows

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 15:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

DAY_COLUMNS = (
    ("relationship", sa.Float()),
    ("sentiment", sa.Float()),
    ("sentiment_change_90d", sa.Float()),
    ("reply_hours", sa.Float()),
    ("north_star", sa.Integer()),
)
KEYS = (
    ("relationship_key", sa.Float()),
    ("sentiment_key", sa.Float()),
    ("sentiment_change_key", sa.Float()),
    ("reply_key", sa.Float()),
    ("north_star_key", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("account_days") as batch:
        for name, kind in DAY_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("account_metrics") as batch:
        batch.add_column(sa.Column("reply_median_hours", sa.Float(), nullable=True))
        for name, kind in KEYS:
            batch.add_column(sa.Column(name, kind, nullable=True,
                                       server_default=sa.text("1000000000")))
    with op.batch_alter_table("account_metrics") as batch:
        for name, kind in KEYS:
            batch.alter_column(name, existing_type=kind, nullable=False, server_default=None)
            batch.create_index(f"ix_account_metrics_{name}_id", [name, "account_id"],
                               unique=False)
    # the current rows lack the new figures: as of no day, so the first read refreshes them
    op.execute("UPDATE account_metrics SET as_of = '1970-01-01'")


def downgrade() -> None:
    with op.batch_alter_table("account_metrics") as batch:
        for name, _ in KEYS:
            batch.drop_index(f"ix_account_metrics_{name}_id")
            batch.drop_column(name)
        batch.drop_column("reply_median_hours")
    with op.batch_alter_table("account_days") as batch:
        for name, _ in DAY_COLUMNS:
            batch.drop_column(name)
