"""Dataset owners and grants (L7).

Datasets already in the lake get their record when the gateway first meets them (a listing, a
read, a launch or a publication): owned by their latest run's publisher, readable by every user
as they were before. The lake is not read here: this runs wherever the database is (`lakebook
user list` on an operator's machine), which need not reach the lake.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column(
            "owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_datasets_owner_id", "datasets", ["owner_id"])
    op.create_table(
        "dataset_grants",
        sa.Column(
            "dataset",
            sa.String(63),
            sa.ForeignKey("datasets.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("grantee", sa.String(64), primary_key=True),
        sa.Column("access", sa.String(8), nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dataset_grants_grantee", "dataset_grants", ["grantee"])


def downgrade() -> None:
    op.drop_table("dataset_grants")
    op.drop_table("datasets")
