"""Answer cards replace facts, milestones and organisations.

The content tables are replaced, not converted: the knowledge files are the content's source
(`helpline kb import` fills the new tables), and the old rows have no passages, examples or
review-by dates to carry over. `store_info` stays, so its revision keeps moving forward and
no running process mistakes the new content for a snapshot it already holds.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD = ("organisations", "milestones", "facts", "topics", "sources")


def _placed() -> list[sa.Column]:
    return [sa.Column("file", sa.String(120), nullable=False, server_default=""),
            sa.Column("position", sa.Integer(), nullable=False, server_default="0")]


def _reviewed() -> list[sa.Column]:
    return [sa.Column("reviewed", sa.Date(), nullable=False),
            sa.Column("review_by", sa.Date(), nullable=False)]


def _owned(owner: str, table: str) -> list[sa.Column]:
    """The key of the card or contact a child row belongs to, and its place among its siblings."""
    return [sa.Column(f"{owner}_key", sa.String(80), sa.ForeignKey(f"{table}.key", ondelete="CASCADE"),
                      primary_key=True),
            sa.Column("position", sa.Integer(), primary_key=True)]


def _passage() -> list[sa.Column]:
    return [sa.Column("source_key", sa.String(80), sa.ForeignKey("sources.key"), nullable=False),
            sa.Column("passage", sa.Text(), nullable=False)]


def upgrade() -> None:
    for table in _OLD:
        op.drop_table(table)
    op.create_table(
        "sources",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("published", sa.String(10)),
        sa.Column("accessed", sa.Date(), nullable=False),
        *_placed(),
    )
    op.create_table(
        "topics",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("title_sq", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("button_order", sa.Integer()),
        *_placed(),
    )
    op.create_table(
        "contacts",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("name_sq", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("url", sa.String(500)),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("city", sa.String(80)),
        sa.Column("helps_with_sq", sa.Text(), nullable=False),
        sa.Column("helps_with_en", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False, server_default=""),
        *_reviewed(),
        *_placed(),
    )
    op.create_table(
        "cards",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("topic_key", sa.String(40), sa.ForeignKey("topics.key"), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("aspect", sa.String(20), nullable=False),
        sa.Column("countries", sa.Text(), nullable=False, server_default=""),
        sa.Column("where", sa.String(10), nullable=False, server_default="any"),
        sa.Column("title_sq", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("answer_sq", sa.Text(), nullable=False),
        sa.Column("answer_en", sa.Text(), nullable=False),
        sa.Column("next_step_sq", sa.Text(), nullable=False),
        sa.Column("next_step_en", sa.Text(), nullable=False),
        sa.Column("review_note", sa.Text()),
        *_reviewed(),
        *_placed(),
    )
    op.create_index("ix_cards_topic_key", "cards", ["topic_key"])
    op.create_table("card_examples", *_owned("card", "cards"),
                    sa.Column("language", sa.String(2), primary_key=True),
                    sa.Column("text", sa.Text(), nullable=False))
    op.create_table("card_sources", *_owned("card", "cards"), *_passage())
    op.create_table("contact_sources", *_owned("contact", "contacts"), *_passage())
    op.create_table("card_contacts", *_owned("card", "cards"),
                    sa.Column("contact_key", sa.String(80), sa.ForeignKey("contacts.key"), nullable=False))


def downgrade() -> None:
    raise NotImplementedError("the fact tables cannot be rebuilt from cards: restore a backup "
                              "and import the old knowledge files instead")
