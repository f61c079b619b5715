"""arr_changes: a partial covering index of the ARR increases of accounts that already had
ARR (date, account, before, after, expansion type), so the quarterly expansion reads only
those (about a third of a period's changes) and none of the table's rows

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01 22:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

INCREASE = sa.text("before > 0 AND after > before")


def upgrade() -> None:
    op.create_index("ix_arr_changes_increases", "arr_changes",
                    ["date", "account_id", "before", "after", "expansion_type"],
                    sqlite_where=INCREASE, postgresql_where=INCREASE)


def downgrade() -> None:
    op.drop_index("ix_arr_changes_increases", table_name="arr_changes")
