"""Services directory: the city of an organisation's office and the languages it serves in.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("city", sa.String(80), nullable=True))
    op.add_column("organisations", sa.Column("languages", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:  # SQLite drops columns by copying
        batch.drop_column("languages")
        batch.drop_column("city")
