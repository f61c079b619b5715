"""extension features: aliases (email or domain -> account) and their audit log, on-open
account refreshes, email templates

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aliases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_aliases_account_id_accounts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aliases")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_aliases_kind")),
    )
    op.create_index(op.f("ix_aliases_account_id"), "aliases", ["account_id"], unique=False)
    op.create_table(
        "alias_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("before_account_id", sa.String(length=200), nullable=True),
        sa.Column("after_account_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alias_changes")),
    )
    op.create_index(op.f("ix_alias_changes_at"), "alias_changes", ["at"], unique=False)
    op.create_table(
        "account_refreshes",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_account_refreshes_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "system", name=op.f("pk_account_refreshes")),
    )

    op.create_table(
        "email_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_email_templates_name")),
    )


def downgrade() -> None:
    op.drop_table("email_templates")
    op.drop_table("account_refreshes")
    op.drop_index(op.f("ix_alias_changes_at"), table_name="alias_changes")
    op.drop_table("alias_changes")
    op.drop_index(op.f("ix_aliases_account_id"), table_name="aliases")
    op.drop_table("aliases")
