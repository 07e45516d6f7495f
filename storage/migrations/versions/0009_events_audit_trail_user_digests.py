"""events: one row per happening across sources, its triage and audit trail; users' own digests

Existing changes are left without an event here; the grouping of them into events is done
by the migration that follows (it needs the grouping rules).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identity', sa.String(length=500), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('summary', sa.String(), nullable=False),
    sa.Column('url', storage.types.WebUrl(), nullable=True),
    sa.Column('old_date', sa.Date(), nullable=True),
    sa.Column('new_date', sa.Date(), nullable=True),
    sa.Column('first_detected_at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_detected_at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('change_count', sa.Integer(), nullable=False),
    sa.Column('source_count', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('assignee', sa.String(length=200), nullable=True),
    sa.Column('action_due', sa.Date(), nullable=True),
    sa.Column('grouping', sa.JSON(), nullable=False),
    sa.Column('split_from', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['split_from'], ['events.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_identity'), ['identity'], unique=False)
        batch_op.create_index('ix_events_last_detected', ['last_detected_at'], unique=False)
        batch_op.create_index('ix_events_state_assignee', ['state', 'assignee'], unique=False)

    op.create_table('user_subscriptions',
    sa.Column('user', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('severities', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user')
    )
    op.create_table('event_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event_log', schema=None) as batch_op:
        batch_op.create_index('ix_event_log_event_at', ['event_id', 'at'], unique=False)

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_changes_event_id'), ['event_id'], unique=False)
        batch_op.create_foreign_key('fk_changes_event_id', 'events', ['event_id'], ['id'])

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deadlines_event_id'), ['event_id'], unique=False)
        batch_op.create_foreign_key('fk_deadlines_event_id', 'events', ['event_id'], ['id'])

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deliveries_event_id'), ['event_id'], unique=False)
        batch_op.create_foreign_key('fk_deliveries_event_id', 'events', ['event_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_deliveries_event_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deliveries_event_id'))
        batch_op.drop_column('event_id')

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_constraint('fk_deadlines_event_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deadlines_event_id'))
        batch_op.drop_column('event_id')

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_changes_event_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_changes_event_id'))
        batch_op.drop_column('event_id')

    with op.batch_alter_table('event_log', schema=None) as batch_op:
        batch_op.drop_index('ix_event_log_event_at')

    op.drop_table('event_log')
    op.drop_table('user_subscriptions')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_state_assignee')
        batch_op.drop_index('ix_events_last_detected')
        batch_op.drop_index(batch_op.f('ix_events_identity'))

    op.drop_table('events')
