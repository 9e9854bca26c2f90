"""Each entry's place in its file, so that `helpline kb export` writes the files back in order.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("sources", "facts", "milestones", "organisations")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("position", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("position")
