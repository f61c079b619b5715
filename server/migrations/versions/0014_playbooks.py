"""playbooks: runs, firings (one per episode), actions (unique per playbook, account,
episode start and action index), digests, file versions, encrypted secrets

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _acct_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                   name=op.f(f"fk_{table}_account_id_accounts"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
    )
    op.create_index(op.f("ix_playbook_runs_started_at"), "playbook_runs", ["started_at"])
    op.create_table(
        "playbook_firings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("playbook", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("episode_start", sa.Date(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _acct_fk("playbook_firings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_firings")),
        sa.UniqueConstraint("playbook", "account_id", "episode_start",
                            name="uq_playbook_firings_episode"),
    )
    op.create_index(op.f("ix_playbook_firings_account_id"), "playbook_firings", ["account_id"])
    op.create_index(op.f("ix_playbook_firings_created_at"), "playbook_firings", ["created_at"])
    op.create_table(
        "playbook_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("firing_id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("episode_start", sa.Date(), nullable=False),
        sa.Column("action_index", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("log", sa.JSON(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["firing_id"], ["playbook_firings.id"],
                                name=op.f("fk_playbook_actions_firing_id_playbook_firings"),
                                ondelete="CASCADE"),
        _acct_fk("playbook_actions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_actions")),
        sa.UniqueConstraint("playbook", "account_id", "episode_start", "action_index",
                            name="uq_playbook_actions_episode"),
    )
    for col in ("firing_id", "account_id", "status", "next_attempt_at"):
        op.create_index(op.f(f"ix_playbook_actions_{col}"), "playbook_actions", [col])
    op.create_table(
        "playbook_digests",
        sa.Column("csm", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("csm", "day", "channel", name=op.f("pk_playbook_digests")),
    )
    op.create_table(
        "playbook_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_versions")),
    )
    op.create_index(op.f("ix_playbook_versions_created_at"), "playbook_versions",
                    ["created_at"])
    op.create_table(
        "playbook_secrets",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_playbook_secrets")),
    )


def downgrade() -> None:
    op.drop_table("playbook_secrets")
    op.drop_index(op.f("ix_playbook_versions_created_at"), table_name="playbook_versions")
    op.drop_table("playbook_versions")
    op.drop_table("playbook_digests")
    for col in ("firing_id", "account_id", "status", "next_attempt_at"):
        op.drop_index(op.f(f"ix_playbook_actions_{col}"), table_name="playbook_actions")
    op.drop_table("playbook_actions")
    op.drop_index(op.f("ix_playbook_firings_created_at"), table_name="playbook_firings")
    op.drop_index(op.f("ix_playbook_firings_account_id"), table_name="playbook_firings")
    op.drop_table("playbook_firings")
    op.drop_index(op.f("ix_playbook_runs_started_at"), table_name="playbook_runs")
    op.drop_table("playbook_runs")
