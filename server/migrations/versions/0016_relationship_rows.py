"""the account-metrics rows carry sentiment, the relationship score, engaged contacts, the
email reply hours and the North Star

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = (
    ("sentiment", sa.Float(), True),
    ("sentiment_change_90d", sa.Float(), True),
    ("sentiment_messages", sa.Integer(), False),
    ("relationship_score", sa.Float(), True),
    ("engaged_contacts", sa.Integer(), False),
    ("reply_hours", sa.JSON(), False),
    ("replies_unanswered", sa.Integer(), False),
    ("north_star_value", sa.Integer(), True),
    ("north_star_change", sa.Integer(), True),
)
DEFAULTS = {"sentiment_messages": "0", "engaged_contacts": "0", "reply_hours": "[]",
            "replies_unanswered": "0"}


def upgrade() -> None:
    with op.batch_alter_table("account_metrics") as batch:
        for name, kind, nullable in COLUMNS:
            default = DEFAULTS.get(name)
            batch.add_column(sa.Column(name, kind, nullable=True,
                                       server_default=sa.text(f"'{default}'")
                                       if default is not None else None))
    with op.batch_alter_table("account_metrics") as batch:
        for name, kind, nullable in COLUMNS:
            if not nullable:
                batch.alter_column(name, existing_type=kind, nullable=False,
                                   server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("account_metrics") as batch:
        for name, _, _ in COLUMNS:
            batch.drop_column(name)
