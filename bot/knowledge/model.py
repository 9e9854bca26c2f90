"""What the knowledge is made of: topics, answer cards, contacts and their sources.

Plain immutable values, read from the store (bot.knowledge.store) and used by everything that
answers (bot.answers, bot.emergency_reply, the search). This module imports nothing else of the
project but the language type, so every other knowledge module can depend on it one way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from bot.text import Lang

# Which side of a subject a card answers (docs/knowledge.md explains each).
ASPECTS = ("overview", "eligibility", "process", "documents", "cost", "duration", "family",
           "language", "work_rights", "contacts", "risks", "rights")
# Where the person asking is.
WHERE = ("albania", "abroad", "any")
# What a contact is, besides a service on the cards that name it.
CONTACT_TAGS = ("emergency", "trafficking_line", "child_line", "embassy", "return", "handoff")


@dataclass(frozen=True)
class Bilingual:
    """A text in both languages."""

    sq: str
    en: str

    def get(self, language: Lang) -> str:
        return self.sq if language == "sq" else self.en


@dataclass(frozen=True)
class Source:
    """A public page the knowledge rests on."""

    key: str
    publisher: str
    title: str
    url: str
    language: str
    accessed: dt.date
    published: str | None = None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD", as the page says


@dataclass(frozen=True)
class Citation:
    """A source and the passage of it that a card or a contact rests on."""

    source: Source
    passage: str


@dataclass(frozen=True)
class Contact:
    """A service people can be referred to."""

    key: str
    name: Bilingual
    helps_with: Bilingual
    country: str  # ISO 3166-1 alpha-2 where the service is (AL: Albania)
    citations: tuple[Citation, ...]
    reviewed: dt.date
    review_by: dt.date
    phone: str | None = None
    url: str | None = None
    city: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    key: str
    title: Bilingual
    order: int | None = None  # place among the topic buttons; None: no button


@dataclass(frozen=True)
class Card:
    """One answer to one question the helpline hears."""

    key: str
    topic: str
    subject: str
    aspect: str
    title: Bilingual
    answer: Bilingual
    next_step: Bilingual
    examples: dict[str, tuple[str, ...]]  # language -> questions as people type them
    contacts: tuple[Contact, ...]
    citations: tuple[Citation, ...]
    reviewed: dt.date
    review_by: dt.date
    countries: tuple[str, ...] = ()  # foreign countries it is specific to; () = any
    where: str = "any"
    review_note: str | None = None

    def applies_to(self, country: str | None) -> bool:
        """Whether the card is right for a person concerned with `country` (None: unknown)."""
        return not self.countries or country in self.countries


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything answerable at one store revision; never mutated, so shared freely."""

    revision: int
    cards: tuple[Card, ...]
    topics: dict[str, Topic]
    contacts: dict[str, Contact]
    sources: dict[str, Source] = field(default_factory=dict)

    @cached_property
    def by_key(self) -> dict[str, Card]:
        return {card.key: card for card in self.cards}

    def card(self, key: str | None) -> Card | None:
        return self.by_key.get(key or "")

    def cards_of(self, topic: str) -> list[Card]:
        """A topic's cards, in the order of their file."""
        return [card for card in self.cards if card.topic == topic]

    def tagged(self, tag: str, country: str | None = None) -> list[Contact]:
        """Contacts with a tag, of one country if given, in file order."""
        return [c for c in self.contacts.values()
                if tag in c.tags and (country is None or c.country == country)]

    @cached_property
    def button_topics(self) -> list[Topic]:
        """The topics that get a button, in their order."""
        return sorted((t for t in self.topics.values() if t.order is not None),
                      key=lambda t: (t.order, t.key))
