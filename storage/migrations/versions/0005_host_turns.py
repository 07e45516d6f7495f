"""host turns: per-host request spacing shared by scale-out workers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('host_turns',
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('next_start', storage.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('host')
    )


def downgrade() -> None:
    op.drop_table('host_turns')
