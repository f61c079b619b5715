"""the ARR timeline's change counter and per-account versions; account_days by (day, band)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = op.create_table(
        "metrics_counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_metrics_counters")),
    )
    op.bulk_insert(counters, [{"name": "arr_timeline", "value": 0},
                              {"name": "accounts_deleted", "value": 0}])
    op.create_table(
        "arr_timeline_versions",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_arr_timeline_versions_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_arr_timeline_versions")),
    )
    op.create_index(op.f("ix_arr_timeline_versions_version"), "arr_timeline_versions",
                    ["version"])
    op.create_index("ix_account_days_day_band", "account_days", ["day", "band", "account_id"])


def downgrade() -> None:
    op.drop_index("ix_account_days_day_band", table_name="account_days")
    op.drop_index(op.f("ix_arr_timeline_versions_version"), table_name="arr_timeline_versions")
    op.drop_table("arr_timeline_versions")
    op.drop_table("metrics_counters")
