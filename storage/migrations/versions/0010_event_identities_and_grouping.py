"""events: the identities changes are grouped by, and existing changes grouped into events;
the Slack channel id of a sent delivery (chat.update of an event's first message needs it)

Every change stored before this revision is put into its event by the rules of
storage.grouping (the same as for new changes), oldest first, with a "created" or "joined"
row in event_log; deadlines point at the event of their item's latest change.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_identities",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
        ),
        sa.PrimaryKeyConstraint("event_id", "identity"),
    )
    with op.batch_alter_table("event_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_identities_identity"), ["identity"], unique=False
        )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_channel', sa.String(length=100), nullable=True))
    _group_existing_changes()


def _group_existing_changes() -> None:
    # The rules live in storage (one implementation for new and existing changes).
    from sqlmodel import Session

    from storage.events import backfill

    session = Session(bind=op.get_bind())
    backfill(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('remote_channel')
    op.execute(sa.text("UPDATE changes SET event_id = NULL"))
    op.execute(sa.text("UPDATE deadlines SET event_id = NULL"))
    op.execute(sa.text("UPDATE deliveries SET event_id = NULL"))
    op.execute(sa.text("DELETE FROM event_log"))
    with op.batch_alter_table("event_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_identities_identity"))
    op.drop_table("event_identities")
    op.execute(sa.text("DELETE FROM events"))
