"""What the messaging channels must remember between requests, kept in the project's database.

Two small tables, so that every Rasa process (and every replica, with PostgreSQL) sees the same:
- `channel_seen`: the provider message ids already accepted, as keyed hashes (a WhatsApp id
  carries the phone number), so a retried webhook is answered once, even after a restart;
- `channel_choices`: button payloads behind short keys, where a channel cannot carry the payload
  itself (Telegram's 64-byte `callback_data`, SMS options answered with "2").

Rows expire; `claim()` and `remember()` purge expired rows as they go. The database is
HELPLINE_DB_URL (bot.knowledge.store), the one the knowledge store uses.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Column, Float, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.database import engine_for
from bot.knowledge.store import database_url
from bot.privacy import keyed_hash

SEEN_TTL = 7 * 24 * 3600.0  # WhatsApp retries for days; Viber for an hour; Meta until it gives up
CHOICE_TTL = 2 * 24 * 3600.0  # a button older than this answers as if never offered
PURGE_EVERY = 60.0  # seconds between deletions of expired ids

_metadata = MetaData()
SEEN = Table("channel_seen", _metadata,
             Column("key", String(64), primary_key=True),
             Column("seen_at", Float, nullable=False, index=True))
CHOICES = Table("channel_choices", _metadata,
                Column("key", String(64), primary_key=True),
                Column("payload", Text, nullable=False),
                Column("created_at", Float, nullable=False, index=True))


def _key(*parts: str) -> str:
    """A keyed hash of the parts: the tables never hold a provider id or a sender id."""
    return keyed_hash("\x1f".join(parts))


class ChannelState:
    """One per process; every call is one short transaction (run it in a thread)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or database_url()
        self.engine: Engine = engine_for(_metadata, self.url)
        self._purged = 0.0

    def claim(self, channel: str, message_id: str, now: float | None = None) -> bool:
        """True the first time a message id is seen within SEEN_TTL; False for a repeat."""
        now = time.time() if now is None else now
        key = _key("seen", channel, message_id)
        if now - self._purged > PURGE_EVERY:  # expired ids go once a minute, not on every message
            self._purged = now
            with self.engine.begin() as connection:
                connection.execute(delete(SEEN).where(SEEN.c.seen_at < now - SEEN_TTL))
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(SEEN).values(key=key, seen_at=now))
        except IntegrityError:
            return False
        return True

    def remember(self, scope: str, names: Sequence[str], payloads: Sequence[str],
                 now: float | None = None) -> None:
        """Stores each payload under (scope, name), replacing what was there."""
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            connection.execute(delete(CHOICES).where(CHOICES.c.created_at < now - CHOICE_TTL))
            for name, payload in zip(names, payloads, strict=True):
                key = _key("choice", scope, name)
                connection.execute(delete(CHOICES).where(CHOICES.c.key == key))
                connection.execute(insert(CHOICES).values(key=key, payload=payload, created_at=now))

    def recall(self, scope: str, name: str, now: float | None = None) -> str | None:
        """The payload stored under (scope, name), unless it expired."""
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            return connection.execute(select(CHOICES.c.payload).where(
                CHOICES.c.key == _key("choice", scope, name),
                CHOICES.c.created_at >= now - CHOICE_TTL)).scalar_one_or_none()
