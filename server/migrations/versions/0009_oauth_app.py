"""a CRM's OAuth app pasted in its card, sealed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("connector_configs", sa.Column("app_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connector_configs") as batch:
        batch.drop_column("app_sealed")
