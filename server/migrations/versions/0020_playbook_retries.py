"""playbooks: a failed digest is retried with backoff (attempts, next attempt, log, the text
sent); a file version names the version it follows (unique: recorded once)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("playbook_digests") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("next_attempt_at", TZ, nullable=True))
        batch.add_column(sa.Column("updated_at", TZ, nullable=True))
        batch.add_column(sa.Column("log", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))
        batch.create_index(batch.f("ix_playbook_digests_next_attempt_at"), ["next_attempt_at"])
    with op.batch_alter_table("playbook_versions") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_playbook_versions_parent_id"), ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("playbook_versions") as batch:
        batch.drop_constraint(batch.f("uq_playbook_versions_parent_id"), type_="unique")
        batch.drop_column("parent_id")
    with op.batch_alter_table("playbook_digests") as batch:
        batch.drop_index(batch.f("ix_playbook_digests_next_attempt_at"))
        for col in ("detail", "log", "updated_at", "next_attempt_at", "attempts"):
            batch.drop_column(col)
