"""messages (sentiment scored at ingest, text per the message policy); contact role and
product user id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("author", sa.String(length=320), nullable=True),
        sa.Column("thread_id", sa.String(length=200), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_messages_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_account_at", "messages", ["account_id", "at"], unique=False)
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("role", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("user_id", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("user_id")
        batch.drop_column("role")
    op.drop_index("ix_messages_account_at", table_name="messages")
    op.drop_table("messages")
