"""The knowledge store as it was before migrations: sources, topics, facts, milestones,
organisations and the revision row.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _sourced() -> list[sa.Column]:
    """The columns every answerable row has (schema._Sourced at the time)."""
    return [sa.Column("keywords_sq", sa.Text(), nullable=False),
            sa.Column("keywords_en", sa.Text(), nullable=False),
            sa.Column("reviewed", sa.Date(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("title_sq", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("url", sa.String(500)),
        sa.Column("published", sa.String(10)),
    )
    op.create_table(
        "store_info",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_table(
        "topics",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("title_sq", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("next_step_sq", sa.Text(), nullable=False),
        sa.Column("next_step_en", sa.Text(), nullable=False),
    )
    for table in ("facts", "milestones"):
        op.create_table(
            table,
            *_sourced(),
            sa.Column("key", sa.String(80), primary_key=True),
            *([sa.Column("date", sa.String(10), nullable=False)] if table == "milestones" else []),
            sa.Column("topic_key", sa.String(40), sa.ForeignKey("topics.key"), nullable=False),
            *([sa.Column("summary", sa.Boolean(), nullable=False)] if table == "facts" else []),
            sa.Column("text_sq", sa.Text(), nullable=False),
            sa.Column("text_en", sa.Text(), nullable=False),
            sa.Column("source_key", sa.String(80), sa.ForeignKey("sources.key"), nullable=False),
        )
        op.create_index(f"ix_{table}_topic_key", table, ["topic_key"])
    op.create_table(
        "organisations",
        *_sourced(),
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("name_sq", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("hours_sq", sa.Text()),
        sa.Column("hours_en", sa.Text()),
        sa.Column("url", sa.String(500)),
        sa.Column("helps_with_sq", sa.Text(), nullable=False),
        sa.Column("helps_with_en", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("source_key", sa.String(80), sa.ForeignKey("sources.key"), nullable=False),
    )


def downgrade() -> None:
    for table in ("organisations", "milestones", "facts", "topics", "store_info", "sources"):
        op.drop_table(table)
