"""parked records: connector records waiting for their account; runs keep the parked count

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parked_records",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=200), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "record_type", "record_id",
                                name=op.f("pk_parked_records")),
    )
    with op.batch_alter_table("parked_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parked_records_parent_id"), ["parent_id"],
                              unique=False)
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parked", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("parked")
    with op.batch_alter_table("parked_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parked_records_parent_id"))
    op.drop_table("parked_records")
