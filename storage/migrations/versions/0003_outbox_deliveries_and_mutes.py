"""outbox deliveries and mutes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mutes',
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('item_key', sa.String(), nullable=False),
    sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('created_by', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('source_key', 'item_key')
    )
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('dedupe_key', sa.String(length=300), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('item_key', sa.String(), nullable=True),
    sa.Column('detail', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('next_attempt_at', storage.types.UtcDateTime(), nullable=True),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.Column('sent_at', storage.types.UtcDateTime(), nullable=True),
    sa.Column('remote_id', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['changes.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_change', ['change_id'], unique=False)
        batch_op.create_index('ix_deliveries_due', ['status', 'mode', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_deliveries_identity', ['subscription', 'dedupe_key'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_identity')
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_index('ix_deliveries_change')

    op.drop_table('deliveries')
    op.drop_table('mutes')
