"""The knowledge store's tables: the one place that says what is stored.

An answer card carries its texts in both languages, its example questions, the contacts it
refers to and the passages of the sources it rests on, with the date a person last reviewed
it and the date it must be reviewed again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declarative_base, declarative_mixin, declared_attr

Base = declarative_base()
# Any of the mapped classes below, for code that handles each table alike (import, export): the
# columns it reads differ from table to table, so the type checker sees them as Any.
Model = type[Any]


@declarative_mixin
class _Placed:
    """Where an entry stands: its file and its place in it, so that `helpline kb export` writes
    the files back as they were. Bookkeeping only: never part of an answer, and moving an entry
    is not a change."""

    file = Column(String(120), nullable=False, default="", server_default="")
    position = Column(Integer, nullable=False, default=0, server_default="0")


@declarative_mixin
class _Reviewed:
    # NOT NULL columns say so to the type checker (SQLAlchemy 1.4's plugin makes every Column optional)
    reviewed: Mapped[dt.date] = Column(Date, nullable=False)
    review_by: Mapped[dt.date] = Column(Date, nullable=False)


class Source(_Placed, Base):
    """A public page the knowledge rests on."""

    __tablename__ = "sources"
    key = Column(String(80), primary_key=True)
    publisher = Column(Text, nullable=False)
    title = Column(Text, nullable=False)
    url = Column(String(500), nullable=False)
    language = Column(String(3), nullable=False)
    published = Column(String(10))  # "YYYY", "YYYY-MM" or "YYYY-MM-DD", as precise as known
    accessed: Mapped[dt.date] = Column(Date, nullable=False)


class Topic(_Placed, Base):
    """A subject people ask about; the topics with an order get a button."""

    __tablename__ = "topics"
    key = Column(String(40), primary_key=True)
    title_sq = Column(Text, nullable=False)
    title_en = Column(Text, nullable=False)
    button_order = Column(Integer)


class Contact(_Placed, _Reviewed, Base):
    """A service people can be referred to; fields the sources do not give stay empty."""

    __tablename__ = "contacts"
    key = Column(String(80), primary_key=True)
    name_sq = Column(Text, nullable=False)
    name_en = Column(Text, nullable=False)
    phone = Column(String(40))
    url = Column(String(500))
    country = Column(String(2), nullable=False)
    city = Column(String(80))
    helps_with_sq = Column(Text, nullable=False)
    helps_with_en = Column(Text, nullable=False)
    tags = Column(Text, nullable=False, default="")  # "|"-joined


class Card(_Placed, _Reviewed, Base):
    """One answer to one question the helpline hears."""

    __tablename__ = "cards"
    key = Column(String(80), primary_key=True)
    topic_key = Column(String(40), ForeignKey("topics.key"), nullable=False, index=True)
    subject = Column(String(80), nullable=False)
    aspect = Column(String(20), nullable=False)
    countries = Column(Text, nullable=False, default="")  # "|"-joined ISO codes; empty: any
    where = Column(String(10), nullable=False, default="any")
    title_sq = Column(Text, nullable=False)
    title_en = Column(Text, nullable=False)
    answer_sq = Column(Text, nullable=False)
    answer_en = Column(Text, nullable=False)
    next_step_sq = Column(Text, nullable=False)
    next_step_en = Column(Text, nullable=False)
    review_note = Column(Text)


@declarative_mixin
class _Child:
    """A row that belongs to a card or a contact, in its place among its siblings."""

    position = Column(Integer, primary_key=True)


class CardExample(_Child, Base):
    __tablename__ = "card_examples"
    card_key = Column(String(80), ForeignKey("cards.key", ondelete="CASCADE"), primary_key=True)
    language = Column(String(2), primary_key=True)
    text = Column(Text, nullable=False)


@declarative_mixin
class _Passage(_Child):
    passage = Column(Text, nullable=False)

    @declared_attr
    def source_key(cls) -> Column[String]:
        return Column(String(80), ForeignKey("sources.key"), nullable=False)


class CardSource(_Passage, Base):
    __tablename__ = "card_sources"
    card_key = Column(String(80), ForeignKey("cards.key", ondelete="CASCADE"), primary_key=True)


class ContactSource(_Passage, Base):
    __tablename__ = "contact_sources"
    contact_key = Column(String(80), ForeignKey("contacts.key", ondelete="CASCADE"), primary_key=True)


class CardContact(_Child, Base):
    __tablename__ = "card_contacts"
    card_key = Column(String(80), ForeignKey("cards.key", ondelete="CASCADE"), primary_key=True)
    contact_key = Column(String(80), ForeignKey("contacts.key"), nullable=False)


class StoreInfo(Base):
    """A single row whose revision changes whenever an import changes content (cache key)."""

    __tablename__ = "store_info"
    id = Column(Integer, primary_key=True)
    revision: Mapped[int] = Column(Integer, nullable=False, default=0)
