"""health deadlines noise related

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('item_key', sa.String(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(), nullable=False),
    sa.Column('url', sa.String(), nullable=True),
    sa.Column('due', storage.types.UtcDateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('first_seen', storage.types.UtcDateTime(), nullable=False),
    sa.Column('last_seen', storage.types.UtcDateTime(), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['source_key'], ['sources.key'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_due', ['due'], unique=False)
        batch_op.create_index('ix_deadlines_identity', ['source_key', 'item_key', 'kind', 'label'], unique=True)

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_key', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('related_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('marked_noise_at', storage.types.UtcDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_changes_event_key'), ['event_key'], unique=False)
        batch_op.create_foreign_key('fk_changes_related_to', 'changes', ['related_to'], ['id'])

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_change_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_success_at', storage.types.UtcDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('first_success_at')
        batch_op.drop_column('expected_change_seconds')

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_changes_related_to', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_changes_event_key'))
        batch_op.drop_column('marked_noise_at')
        batch_op.drop_column('related_to')
        batch_op.drop_column('event_key')

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_identity')
        batch_op.drop_index('ix_deadlines_due')

    op.drop_table('deadlines')
