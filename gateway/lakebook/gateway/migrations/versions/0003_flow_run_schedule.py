"""The schedule a run came from, so reports can be listed by schedule."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs") as table:
        table.add_column(sa.Column("schedule", sa.String(64), nullable=True))
        table.create_index("ix_flow_runs_schedule", ["schedule"])


def downgrade() -> None:
    with op.batch_alter_table("flow_runs") as table:
        table.drop_index("ix_flow_runs_schedule")
        table.drop_column("schedule")
