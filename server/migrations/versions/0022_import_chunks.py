"""import_chunks: the body of a large API import, stored in the database in 1 MiB rows, so
a job worker on any machine can load it (no shared directory)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 15:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_chunks",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], ondelete="CASCADE",
                                name=op.f("fk_import_chunks_import_id_imports")),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_import_chunks")),
    )


def downgrade() -> None:
    op.drop_table("import_chunks")
