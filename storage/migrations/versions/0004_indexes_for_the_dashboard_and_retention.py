"""indexes for the dashboard and retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_changes_category'))
        batch_op.create_index('ix_changes_category_noise', ['category', 'marked_noise_at'], unique=False)
        batch_op.create_index('ix_changes_source_category_noise', ['source_key', 'category', 'marked_noise_at'], unique=False)
        batch_op.create_index('ix_changes_check', ['check_id'], unique=False)

    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.create_index('ix_checks_started', ['started_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_index('ix_checks_started')

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_check')
        batch_op.drop_index('ix_changes_source_category_noise')
        batch_op.drop_index('ix_changes_category_noise')
        batch_op.create_index(batch_op.f('ix_changes_category'), ['category'], unique=False)

