"""The knowledge store's tables: the one place that says what is stored.

Every answerable row (fact, milestone, organisation) carries its Albanian and English text,
the key of its source and the date a person last reviewed it, so answers can cite both.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base, declared_attr

Base = declarative_base()


class _Ordered:
    """Where an entry stands in its file, so that `helpline kb export` writes the files back as
    they were; bookkeeping only: never part of an answer, and a reordering is not a change."""

    position = Column(Integer, nullable=False, default=0, server_default="0")


class Source(_Ordered, Base):
    """Where facts come from (a document, a news release, a regulation, our own guidance)."""

    __tablename__ = "sources"
    key = Column(String(80), primary_key=True)
    title_sq = Column(Text, nullable=False)
    title_en = Column(Text, nullable=False)
    url = Column(String(500))
    published = Column(String(10))  # "YYYY", "YYYY-MM" or "YYYY-MM-DD", as precise as known


class Topic(Base):
    """A subject people ask about, with the next step to suggest after any answer on it."""

    __tablename__ = "topics"
    key = Column(String(40), primary_key=True)
    title_sq = Column(Text, nullable=False)
    title_en = Column(Text, nullable=False)
    next_step_sq = Column(Text, nullable=False)
    next_step_en = Column(Text, nullable=False)


class _Sourced(_Ordered):
    """Columns shared by everything the assistant can say as a fact."""

    keywords_sq = Column(Text, nullable=False, default="")  # words people use to ask, "|"-joined
    keywords_en = Column(Text, nullable=False, default="")
    reviewed = Column(Date, nullable=False)

    @declared_attr
    def source_key(cls) -> Column:
        return Column(String(80), ForeignKey("sources.key"), nullable=False)


class Fact(_Sourced, Base):
    """One short, self-contained statement on a topic."""

    __tablename__ = "facts"
    key = Column(String(80), primary_key=True)
    topic_key = Column(String(40), ForeignKey("topics.key"), nullable=False, index=True)
    summary = Column(Boolean, nullable=False, default=False)  # the topic's general answer
    text_sq = Column(Text, nullable=False)
    text_en = Column(Text, nullable=False)


class Milestone(_Sourced, Base):
    """A dated event in IOM Albania's history."""

    __tablename__ = "milestones"
    key = Column(String(80), primary_key=True)
    date = Column(String(10), nullable=False)  # "YYYY" or "YYYY-MM"
    topic_key = Column(String(40), ForeignKey("topics.key"), nullable=False, index=True)
    text_sq = Column(Text, nullable=False)
    text_en = Column(Text, nullable=False)


class Organisation(_Sourced, Base):
    """A service people can contact; fields the sources do not give stay empty."""

    __tablename__ = "organisations"
    key = Column(String(80), primary_key=True)
    name_sq = Column(Text, nullable=False)
    name_en = Column(Text, nullable=False)
    phone = Column(String(40))
    hours_sq = Column(Text)
    hours_en = Column(Text)
    url = Column(String(500))
    helps_with_sq = Column(Text, nullable=False)
    helps_with_en = Column(Text, nullable=False)
    topics = Column(Text, nullable=False, default="")  # "|"-joined topic keys
    city = Column(String(80))  # where its office is; empty for a national service
    languages = Column(Text)  # "|"-joined language codes it serves in, when the sources say


class StoreInfo(Base):
    """A single row whose revision changes whenever an import changes content (cache key)."""

    __tablename__ = "store_info"
    id = Column(Integer, primary_key=True)
    revision = Column(Integer, nullable=False, default=0)
