"""pairing codes for the browser extension

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pairing_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_pairing_codes_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_pairing_codes")),
    )
    op.create_index(op.f("ix_pairing_codes_user_id"), "pairing_codes", ["user_id"], unique=False)
    op.create_index(op.f("ix_pairing_codes_expires_at"), "pairing_codes", ["expires_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pairing_codes_expires_at"), table_name="pairing_codes")
    op.drop_index(op.f("ix_pairing_codes_user_id"), table_name="pairing_codes")
    op.drop_table("pairing_codes")
