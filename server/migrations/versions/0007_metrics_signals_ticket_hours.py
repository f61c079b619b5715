"""account_signals and ticket_hours: indexed children of the account-metrics rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_signals",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_account_signals_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "code", name=op.f("pk_account_signals")),
    )
    op.create_index("ix_account_signals_code_owner", "account_signals", ["code", "owner"])
    op.create_table(
        "ticket_hours",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_ticket_hours_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "kind", "seq", name=op.f("pk_ticket_hours")),
    )
    op.create_index("ix_ticket_hours_kind_hours", "ticket_hours", ["kind", "hours"])
    op.create_index("ix_ticket_hours_kind_owner_hours", "ticket_hours", ["kind", "owner", "hours"])
    # rows computed before these tables existed are refreshed by the next read or daily job
    op.execute("DELETE FROM account_metrics")


def downgrade() -> None:
    op.drop_table("ticket_hours")
    op.drop_table("account_signals")
