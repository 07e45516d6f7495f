"""send leases: fenced, per-subscription claims of instant deliveries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('send_leases',
    sa.Column('subscription', sa.String(length=100), nullable=False),
    sa.Column('token', sa.String(length=36), nullable=False),
    sa.Column('expires_at', storage.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('subscription')
    )
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('lease_token', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('lease_token')
    op.drop_table('send_leases')
