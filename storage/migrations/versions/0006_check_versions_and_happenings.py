"""check versions and happenings: one stored check per source state, one row per change

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

``sources.version`` is bumped by every stored check; a check is stored only while it is
still the version the check started from (storage.queries.record_check). ``changes.happening``
names what happened once, under a unique index, so the database refuses a second copy.
Changes stored before this revision have no happening (NULL: never equal to another).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0',
                                      nullable=False))

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('happening', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_changes_happening', ['happening'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_happening')
        batch_op.drop_column('happening')

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('version')
