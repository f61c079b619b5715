"""account_metrics: the account's owner as written and its ticket/reply hours count per kind,
so the team figures group the rows without joining accounts and count the hours without
scanning ticket_hours; filled from accounts and ticket_hours for the rows already there

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 19:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

COUNTS = (("response_count", "response"), ("resolution_count", "resolution"),
          ("reply_count", "reply"))


def upgrade() -> None:
    with op.batch_alter_table("account_metrics") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=320), nullable=True))
        for column, _ in COUNTS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
    counts = ", ".join(
        f"{column} = (SELECT count(*) FROM ticket_hours t WHERE t.account_id = "
        f"account_metrics.account_id AND t.kind = '{kind}')" for column, kind in COUNTS)
    op.execute("UPDATE account_metrics SET owner = (SELECT accounts.owner FROM accounts "
               f"WHERE accounts.id = account_metrics.account_id), {counts}")


def downgrade() -> None:
    with op.batch_alter_table("account_metrics") as batch:
        for column, _ in reversed(COUNTS):
            batch.drop_column(column)
        batch.drop_column("owner")
