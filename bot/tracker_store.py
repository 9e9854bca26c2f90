"""Where conversations are kept: Rasa's SQL tracker store, made cheap per turn and bounded.

Rasa reads a conversation's current session and writes its new events on every message. Its
`SQLTrackerStore` does that with ORM queries (building their cache keys costs more than the
queries), a fresh SQLite connection each time, and it blocks the event loop while the database
works. Worse, a session only ends after an hour of silence, so a long conversation is re-read,
replayed and posted to the action server whole on every turn: in bench/benchmark.py plain
Rasa's 10-user p95 is nine times higher when each sender already has 200 turns.

`HelplineTrackerStore` keeps Rasa's table, so `bot/conversations.py`, Rasa's own store and its
HTTP API keep working on the same data, and changes how it is used:
- the latest session is read with a precompiled statement that finds it by the id of its
  `session_started` event, covered by two indexes created at start;
- a save appends the events added since the tracker was read, so two processes answering the
  same conversation at once (replicas without a lock store) each keep their own events;
- SQLite keeps its connections open and runs in WAL mode, so a write is one append;
- the database work runs in worker threads, not on the event loop other users wait on (one
  thread for SQLite, which has one writer at a time anyway: no waiting for its lock);
- a session longer than `max_session_events` is continued in a new session at the end of a turn,
  with the slots carried over (as Rasa's own session start does), so a turn costs the same
  after 200 turns as after two; a conversation paused for a live handoff stays paused in it.
  Nothing is deleted: every earlier event stays in the table.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Reversible
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)
# On a tracker this store read or saved: how many of its events are stored. What is new is what
# came after, counted when it was read, not from the rows at write time: another process may
# have appended to the same conversation in between, and its events are not this tracker's.
_STORED = "_helpline_stored_events"
DEFAULT_MAX_SESSION_EVENTS = 40  # about 5 turns of this assistant
DATABASE_THREADS = 4  # PostgreSQL: queries of different conversations at the same time
T = TypeVar("T")

EVENTS = SQLTrackerStore.SQLEvent.__table__
SENDER: sa.sql.elements.BindParameter[Any] = sa.bindparam("sender")
_SESSION_START = (sa.select(sa.func.coalesce(sa.func.max(EVENTS.c.id), 0))
                  .where(EVENTS.c.sender_id == SENDER,
                         EVENTS.c.type_name == SessionStarted.type_name)
                  .scalar_subquery())
_IN_LATEST_SESSION = sa.and_(EVENTS.c.sender_id == SENDER, EVENTS.c.id >= _SESSION_START)
LATEST_SESSION = sa.select(EVENTS.c.data).where(_IN_LATEST_SESSION).order_by(EVENTS.c.id)
INDEXES = (sa.Index("ix_events_sender_type_id", EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.id),
           sa.Index("ix_events_sender_id_id", EVENTS.c.sender_id, EVENTS.c.id))


def _sqlite_engine(url: sa.engine.URL) -> sa.engine.Engine:
    """A pooled SQLite engine in WAL mode (the default NullPool reconnects on every query)."""
    engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=2,
                              connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _configure(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA synchronous=NORMAL")  # a commit survives a crash of the process
        cursor.close()

    return engine


def session_length(events: Reversible[Event]) -> int:
    """How many events the tracker's latest session has (all of them without a session start)."""
    count = 0
    for event in reversed(events):
        if isinstance(event, SessionStarted):
            break
        count += 1
    return count


def carried_over_slots(tracker: DialogueStateTracker) -> list[SlotSet]:
    """The slots a new session starts with: each slot's latest SlotSet, as Rasa carries them."""
    latest: dict[str, SlotSet] = {}
    for event in tracker.applied_events():
        if isinstance(event, SlotSet):
            latest.pop(event.key, None)
            latest[event.key] = SlotSet(event.key, event.value, metadata=event.metadata)
    return list(latest.values())


def continue_in_new_session(tracker: DialogueStateTracker, max_events: int,
                            carry_over_slots: bool = True) -> bool:
    """Starts a new session in `tracker` when the current one has grown past `max_events`.

    Only at the end of a turn (the assistant listening), so no turn is split. Returns whether a
    new session was started.
    """
    last = tracker.events[-1] if tracker.events else None
    if max_events <= 0 or not (isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME):
        return False
    if session_length(tracker.events) <= max_events:
        return False
    # made in this order, so the timestamps are too: Rasa's own store finds a session's events
    # by their timestamp being at least that of its `session_started`
    started = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    slots = carried_over_slots(tracker) if carry_over_slots else []
    paused = [ConversationPaused()] if tracker.is_paused() else []  # a session start un-pauses
    for event in (*started, *slots, *paused, ActionExecuted(ACTION_LISTEN_NAME)):
        tracker.update(event)
    return True


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """One row of the `events` table, as Rasa's SQLTrackerStore writes it."""
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"), "data": json.dumps(data)}


class HelplineTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with fast reads and writes and bounded sessions (see above).

    endpoints.yml:  tracker_store: {type: bot.tracker_store.HelplineTrackerStore, dialect: ...,
    db: ..., max_session_events: 40}; every other setting is SQLTrackerStore's.
    """

    engine: sa.engine.Engine  # made by SQLTrackerStore, replaced below for an SQLite file

    def __init__(self, domain: Domain | None = None, *,
                 max_session_events: int = DEFAULT_MAX_SESSION_EVENTS, **kwargs: Any) -> None:
        super().__init__(domain, **kwargs)
        self.max_session_events = int(max_session_events)
        sqlite = self.engine.dialect.name == "sqlite"
        if sqlite and self.engine.url.database not in (None, "", ":memory:"):
            self.engine.dispose()
            self.engine = _sqlite_engine(self.engine.url)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._executor = ThreadPoolExecutor(max_workers=1 if sqlite else DATABASE_THREADS,
                                            thread_name_prefix="tracker-store")
        for index in INDEXES:
            try:
                index.create(self.engine, checkfirst=True)
            except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
                # another Rasa process starting at the same time created it first
                logger.info("index %s not created here: %s", index.name, error)
        if sqlite and self.engine.url.database not in (None, "", ":memory:"):
            # conversations are for the assistant's eyes only (a -wal or -shm file made later
            # gets the database file's permissions from SQLite)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.engine.url.database + suffix):
                    os.chmod(self.engine.url.database + suffix, 0o600)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session of a conversation, or None for a new sender."""
        rows = await self._in_thread(self._latest_session, sender_id)
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(r) for r in rows],
                                                 self.domain.slots)
        setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Every session of a conversation (Rasa's HTTP API), saved back without doubling."""
        tracker = await super().retrieve_full_tracker(conversation_id)
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the events added since the tracker was read, continuing a long session anew."""
        await self.stream_events(tracker)
        carry = self.domain.session_config.carry_over_slots if self.domain else True
        continue_in_new_session(tracker, self.max_session_events, carry)
        events = list(tracker.events)
        new = events[getattr(tracker, _STORED, 0):]
        if new:
            await self._in_thread(self._append, tracker.sender_id, new)
        setattr(tracker, _STORED, len(events))

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _latest_session(self, sender_id: str) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(LATEST_SESSION, {"sender": sender_id}).scalars())

    def _append(self, sender_id: str, events: list[Event]) -> None:
        with self.engine.begin() as connection:
            connection.execute(EVENTS.insert(), [event_row(sender_id, event) for event in events])
