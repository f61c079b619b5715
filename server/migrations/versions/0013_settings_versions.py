"""settings as code: the history of applied workspace settings files

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("restored", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_versions")),
    )
    with op.batch_alter_table("settings_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settings_versions_digest"), ["digest"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("settings_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settings_versions_digest"))
    op.drop_table("settings_versions")
