"""account metrics rows: current figures, daily history, ARR timeline (health_snapshots -> account_days)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:44:15.451221
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metrics_jobs',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_metrics_jobs'))
    )
    op.create_table('account_days',
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sa.String(length=10), nullable=False),
    sa.Column('components', sa.JSON(), nullable=True),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('signal_runs', sa.JSON(), nullable=True),
    sa.Column('phase', sa.String(length=20), nullable=True),
    sa.Column('arr', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('active_users_30d', sa.Integer(), nullable=True),
    sa.Column('usage_trend', sa.Float(), nullable=True),
    sa.Column('days_to_renewal', sa.Integer(), nullable=True),
    sa.Column('settings_version', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_days_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'day', name=op.f('pk_account_days'))
    )
    with op.batch_alter_table('account_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_days_day'), ['day'], unique=False)

    op.create_table('account_metrics',
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('settings_version', sa.String(length=16), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name_key', sa.String(length=500), nullable=False),
    sa.Column('owner_key', sa.String(length=320), nullable=True),
    sa.Column('segment', sa.String(length=100), nullable=True),
    sa.Column('arr', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('mrr', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('had_arr', sa.Boolean(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('start_arr', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('end_arr', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('expansion', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('contraction', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('churn', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('new_arr', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('upsell', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('cross_sell', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('nrr_contribution', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('renewal_date', sa.Date(), nullable=True),
    sa.Column('days_to_renewal', sa.Integer(), nullable=True),
    sa.Column('renewal_key', sa.Date(), nullable=False),
    sa.Column('onboarding_start', sa.Date(), nullable=True),
    sa.Column('health_score', sa.Float(), nullable=True),
    sa.Column('health_key', sa.Float(), nullable=False),
    sa.Column('band', sa.String(length=10), nullable=False),
    sa.Column('health_components', sa.JSON(), nullable=False),
    sa.Column('health_30d_ago', sa.Float(), nullable=True),
    sa.Column('health_change_30d', sa.Float(), nullable=True),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('signal_count', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('active_users_30d', sa.Integer(), nullable=True),
    sa.Column('active_users_prior_30d', sa.Integer(), nullable=True),
    sa.Column('usage_trend', sa.Float(), nullable=True),
    sa.Column('seat_utilization', sa.Float(), nullable=True),
    sa.Column('adoption_breadth', sa.Float(), nullable=True),
    sa.Column('days_since_last_activity', sa.Integer(), nullable=True),
    sa.Column('time_to_first_value_days', sa.Integer(), nullable=True),
    sa.Column('open_tickets', sa.JSON(), nullable=False),
    sa.Column('open_tickets_total', sa.Integer(), nullable=False),
    sa.Column('first_response_hours', sa.JSON(), nullable=False),
    sa.Column('resolution_hours', sa.JSON(), nullable=False),
    sa.Column('days_since_last_touchpoint', sa.Integer(), nullable=True),
    sa.Column('touchpoints_90d', sa.Integer(), nullable=False),
    sa.Column('nps', sa.Float(), nullable=True),
    sa.Column('nps_promoters', sa.Integer(), nullable=False),
    sa.Column('nps_passives', sa.Integer(), nullable=False),
    sa.Column('nps_detractors', sa.Integer(), nullable=False),
    sa.Column('ces_mean', sa.Float(), nullable=True),
    sa.Column('ces_responses', sa.Integer(), nullable=False),
    sa.Column('onboarding_mean', sa.Float(), nullable=True),
    sa.Column('onboarding_responses', sa.Integer(), nullable=False),
    sa.Column('advocacy_365d', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_metrics_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_metrics'))
    )
    with op.batch_alter_table('account_metrics', schema=None) as batch_op:
        batch_op.create_index('ix_account_metrics_arr_id', ['arr', 'account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_metrics_as_of'), ['as_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_metrics_band'), ['band'], unique=False)
        batch_op.create_index('ix_account_metrics_health_key_id', ['health_key', 'account_id'], unique=False)
        batch_op.create_index('ix_account_metrics_name_key_id', ['name_key', 'account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_metrics_owner_key'), ['owner_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_metrics_phase'), ['phase'], unique=False)
        batch_op.create_index('ix_account_metrics_renewal_key_id', ['renewal_key', 'account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_metrics_segment'), ['segment'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_metrics_settings_version'), ['settings_version'], unique=False)
        batch_op.create_index('ix_account_metrics_signal_count_id', ['signal_count', 'account_id'], unique=False)

    op.create_table('arr_changes',
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('deal_id', sa.String(length=200), nullable=False),
    sa.Column('before', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('after', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('expansion_type', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_arr_changes_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'seq', name=op.f('pk_arr_changes'))
    )
    with op.batch_alter_table('arr_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arr_changes_date'), ['date'], unique=False)

    op.create_table('metrics_dirty',
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_metrics_dirty_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_metrics_dirty'))
    )
    op.create_table('metrics_stale',
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('from_day', sa.Date(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_metrics_stale_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_metrics_stale'))
    )
    op.execute("INSERT INTO account_days (account_id, day, score, band, signals) "
               "SELECT account_id, day, score, band, signals FROM health_snapshots")
    op.drop_table('health_snapshots')


def downgrade() -> None:
    op.create_table('health_snapshots',
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sa.String(length=10), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_health_snapshots_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'day', name=op.f('pk_health_snapshots'))
    )
    op.execute("INSERT INTO health_snapshots (account_id, day, score, band, signals) "
               "SELECT account_id, day, score, band, signals FROM account_days")
    for table in ('metrics_stale', 'metrics_dirty', 'arr_changes', 'account_metrics',
                  'account_days', 'metrics_jobs'):
        op.drop_table(table)
