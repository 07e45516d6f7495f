"""service heartbeats: `lexwatch status` tells a running service from a stopped one

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('heartbeats',
    sa.Column('process', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('checks', sa.Boolean(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('beat_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('stopped_at', storage.types.UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('process')
    )


def downgrade() -> None:
    op.drop_table('heartbeats')
