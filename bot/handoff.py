"""Live handoffs to a person: their table, their states, who is present, when people answer.

A handoff is a row of `handoffs` in the project's database (HELPLINE_DB_URL, as
bot/channels/state.py), keyed by a random id that says nothing about the user. Its states:

    waiting ──take──▶ held ──release──▶ released   (the assistant answers again)
       │                 └────close───▶ closed
       └──release/close─────────────────┘          (deleted: closed, and Gone for the operator)

`take` is one conditional UPDATE (`... WHERE state = 'waiting'`), so of two operators taking the
same conversation at once exactly one wins, on SQLite and PostgreSQL alike. The row holds the
conversation's tracker id (the keyed hash the guard stores it under) and, only while it is open,
the real address needed to reach the user (a socket.io session, a chat id), encrypted with a key
derived from the sender key; it is removed when the handoff ends or the conversation is
deleted. No message text is kept here: the conversation stays in the tracker store.

Operators are "present" while the console's heartbeats arrive (`PRESENCE_TTL`); with nobody
present, or outside HELPLINE_OPERATOR_HOURS, nobody is queued: the user is told the hours.
Every method is one short transaction; the Rasa process and the action server call them from a
thread.
"""

from __future__ import annotations

import base64
import math
import re
import secrets
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from datetime import time as clock
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, Row

from bot import answers, settings
from bot.database import engine_for
from bot.emergency_reply import safety_note
from bot.handoff_client import HANDOFF_ID, Gone, HandoffError, HeldByOther, NotFound, QueueItem
from bot.knowledge.model import Snapshot
from bot.privacy import purpose_key
from bot.text import Lang

PRESENCE_TTL = 120.0  # seconds: an operator whose console sent no heartbeat since is away
WAIT_SAMPLE = 20  # answered handoffs the expected wait is estimated from
WAIT_WINDOW = 7 * 24 * 3600.0  # ... within this many seconds
OPEN = ("waiting", "held")
OPERATOR_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")

_metadata = MetaData()
HANDOFFS = Table(
    "handoffs", _metadata,
    Column("id", String(32), primary_key=True),
    Column("conversation", String(64), nullable=False, index=True),  # the tracker's (hashed) id
    Column("state", String(10), nullable=False, index=True),
    Column("language", String(2), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("topic", String(80)),
    Column("danger", Boolean, nullable=False, default=False),
    Column("requested_at", Float, nullable=False, index=True),
    Column("taken_at", Float),
    Column("held_by", String(64)),
    Column("ended_at", Float),
    Column("deleted", Boolean, nullable=False, default=False),  # the user deleted the conversation
    Column("address", Text),  # encrypted; only while open
    Column("last_user_at", Float),  # the user's last message, for the channels' 24-hour windows
    Column("reminded", Boolean, nullable=False, default=False),  # told "an operator will answer here"
    Column("delivered_until", Float, nullable=False, default=0.0),  # REST: operator replies sent up to
    Column("replied_until", Float, nullable=False, default=0.0),  # REST: operator replies written up to
)
PRESENCE = Table(
    "operator_presence", _metadata,
    Column("operator", String(64), primary_key=True),
    Column("seen_at", Float, nullable=False),
    Column("online", Boolean, nullable=False),
)


# ---------------------------------------------------------------------------------------------
# Operator hours

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "sq": ("e hënë", "e martë", "e mërkurë", "e enjte", "e premte", "e shtunë", "e diel"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_SPAN = re.compile(r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$")


@dataclass(frozen=True)
class Span:
    days: tuple[int, ...]  # 0 = Monday
    start: clock
    end: clock | None  # None: until midnight ("24:00")


@dataclass(frozen=True)
class Hours:
    """When operators answer, in one time zone."""

    spans: tuple[Span, ...]
    zone: ZoneInfo

    def open_at(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        now = local.time()
        return any(local.weekday() in s.days and s.start <= now and (s.end is None or now < s.end)
                   for s in self.spans)

    def describe(self, language: Lang) -> str:
        """ "e hënë – e premte, 08:00–20:00 (ora e Tiranës)" / "Monday to Friday, 08:00–20:00 (Tirana time)"."""
        names = DAY_NAMES[language]
        parts = []
        for span in self.spans:
            first, last = names[span.days[0]], names[span.days[-1]]
            days = first if len(span.days) == 1 else (f"{first} – {last}" if language == "sq" else f"{first} to {last}")
            end = "24:00" if span.end is None else span.end.strftime("%H:%M")
            parts.append(f"{days}, {span.start.strftime('%H:%M')}–{end}")
        zone = str(self.zone.key)
        if zone == "Europe/Tirane":
            zone = "ora e Tiranës" if language == "sq" else "Tirana time"
        return ("; ".join(parts)) + f" ({zone})"


def _clock(text: str, what: str) -> clock | None:
    hours, minutes = int(text[:2]), int(text[3:])
    if (hours, minutes) == (24, 0):
        return None
    if hours > 23 or minutes > 59:
        raise ValueError(f"HELPLINE_OPERATOR_HOURS: {what} {text!r} is not a time of day")
    return clock(hours, minutes)


def parse_hours(value: str) -> Hours:
    """ "Mon-Fri 08:00-20:00, Sat 09:00-13:00 Europe/Tirane" → Hours; a ValueError names the
    variable and what is wrong, so a typo stops the start instead of silently closing the line."""
    text = " ".join(value.split())
    spans_text, _, zone_name = text.rpartition(" ")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"HELPLINE_OPERATOR_HOURS={value!r}: expected spans and a time zone at the end, "
                         "e.g. 'Mon-Fri 08:00-20:00 Europe/Tirane'") from None
    spans = []
    for part in (p.strip().lower() for p in spans_text.split(",")):
        match = _SPAN.match(part)
        if not match or match["first"] not in DAYS or (match["last"] or match["first"]) not in DAYS:
            raise ValueError(f"HELPLINE_OPERATOR_HOURS: {part!r} is not like 'Mon-Fri 08:00-20:00'")
        first, last = DAYS.index(match["first"]), DAYS.index(match["last"] or match["first"])
        start, end = _clock(match["start"], "start"), _clock(match["end"], "end")
        if start is None or (end is not None and end <= start) or last < first:
            raise ValueError(f"HELPLINE_OPERATOR_HOURS: {part!r} ends before it starts")
        spans.append(Span(tuple(range(first, last + 1)), start, end))
    return Hours(tuple(spans), zone)


def wait_phrase(minutes: int | None, language: Lang) -> str:
    """The expected wait as the user reads it."""
    if minutes is None:
        return "disa minuta" if language == "sq" else "a few minutes"
    if language == "sq":
        return "rreth 1 minutë" if minutes == 1 else f"rreth {minutes} minuta"
    return "about 1 minute" if minutes == 1 else f"about {minutes} minutes"


# ---------------------------------------------------------------------------------------------
# The store


@dataclass(frozen=True)
class Handoff:
    """A row of `handoffs`, with the address decrypted."""

    id: str
    conversation: str
    state: str
    language: Lang
    channel: str
    topic: str | None
    danger: bool
    requested_at: float
    taken_at: float | None
    held_by: str | None
    deleted: bool
    address: str | None
    last_user_at: float | None
    reminded: bool
    delivered_until: float
    replied_until: float

    @property
    def open(self) -> bool:
        return self.state in OPEN

    def item(self, last_user_text: str | None = None, reply_limit: int | None = None) -> QueueItem:
        return QueueItem(self.id, self.state, self.language, self.channel, self.topic, self.danger,
                         utc(self.requested_at), self.held_by, last_user_text, reply_limit)


@dataclass(frozen=True)
class Request:
    """What the assistant tells a user who asks for a person."""

    handoff: Handoff | None  # None: nobody available, nothing queued
    wait_minutes: int | None
    hours: Hours


def check_operator(operator: Any) -> str:
    if not isinstance(operator, str) or not OPERATOR_NAME.match(operator.strip() or "\x00"):
        raise HandoffError("The operator's name must be 1-64 printable characters.")
    return operator.strip()


class HandoffStore:
    """One per process; every call is one short transaction (call it from a thread)."""

    def __init__(self, url: str | None = None, hours: str | None = None) -> None:
        self.url = url or settings.database_url()
        self.engine: Engine = engine_for(_metadata, self.url)
        self._hours = hours
        self._cipher = Fernet(base64.urlsafe_b64encode(purpose_key("handoff-address")))

    @cached_property
    def hours(self) -> Hours:
        """Parsed when first needed: deleting a conversation must not depend on this setting."""
        return parse_hours(self._hours if self._hours is not None else settings.operator_hours())

    # -- rows -----------------------------------------------------------------------------------

    def _handoff(self, row: Row) -> Handoff:
        data = dict(row._mapping)
        address = data.pop("address")
        if address:
            try:
                address = self._cipher.decrypt(address.encode()).decode()
            except InvalidToken:  # the sender key changed: the address cannot be used any more
                address = None
        data.pop("ended_at")
        return Handoff(address=address, **data)

    def get(self, handoff_id: str) -> Handoff:
        """The handoff, or NotFound (also for an id that cannot be one)."""
        if not isinstance(handoff_id, str) or not HANDOFF_ID.match(handoff_id):
            raise NotFound("There is no such conversation in the queue.")
        with self.engine.begin() as connection:
            row = connection.execute(select(HANDOFFS).where(HANDOFFS.c.id == handoff_id)).first()
        if row is None:
            raise NotFound("There is no such conversation in the queue.")
        return self._handoff(row)

    def latest_for(self, conversation: str) -> Handoff | None:
        """The conversation's open handoff, or else its last one with REST replies to deliver
        (an operator may write and release before the user writes again)."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(HANDOFFS).where(HANDOFFS.c.conversation == conversation, HANDOFFS.c.deleted.is_(False),
                                       or_(HANDOFFS.c.state.in_(OPEN),
                                           HANDOFFS.c.replied_until > HANDOFFS.c.delivered_until))
                .order_by(HANDOFFS.c.requested_at.desc()).limit(1)).first()
        return self._handoff(row) if row is not None else None

    def is_open(self, conversation: str) -> bool:
        """Whether the conversation waits for or is held by an operator (session start keeps it paused)."""
        with self.engine.begin() as connection:
            return connection.execute(select(func.count()).select_from(HANDOFFS).where(
                HANDOFFS.c.conversation == conversation, HANDOFFS.c.state.in_(OPEN))).scalar_one() > 0

    def queue(self) -> list[Handoff]:
        """Waiting and held: danger first, then the oldest."""
        with self.engine.begin() as connection:
            rows = connection.execute(select(HANDOFFS).where(HANDOFFS.c.state.in_(OPEN)).order_by(
                HANDOFFS.c.danger.desc(), HANDOFFS.c.requested_at)).all()
        return [self._handoff(r) for r in rows]

    # -- availability ---------------------------------------------------------------------------

    def heartbeat(self, operator: str, online: bool, now: float | None = None) -> None:
        operator = check_operator(operator)
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            changed = connection.execute(update(PRESENCE).where(PRESENCE.c.operator == operator)
                                         .values(seen_at=now, online=online)).rowcount
            if not changed:
                connection.execute(insert(PRESENCE).values(operator=operator, seen_at=now, online=online))

    def available(self, now: float | None = None) -> bool:
        """Within the operator hours, with an operator's console seen in the last PRESENCE_TTL."""
        now = time.time() if now is None else now
        if not self.hours.open_at(datetime.fromtimestamp(now, timezone.utc)):
            return False
        with self.engine.begin() as connection:
            return connection.execute(select(func.count()).select_from(PRESENCE).where(
                PRESENCE.c.online.is_(True), PRESENCE.c.seen_at >= now - PRESENCE_TTL)).scalar_one() > 0

    def wait_minutes(self, now: float | None = None) -> int | None:
        """The median wait of recently answered handoffs, times the people waiting (at least one
        turn), in whole minutes; None before any handoff was answered."""
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            waits = connection.execute(
                select(HANDOFFS.c.taken_at - HANDOFFS.c.requested_at)
                .where(HANDOFFS.c.taken_at.is_not(None), HANDOFFS.c.requested_at >= now - WAIT_WINDOW)
                .order_by(HANDOFFS.c.taken_at.desc()).limit(WAIT_SAMPLE)).scalars().all()
            waiting = connection.execute(select(func.count()).select_from(HANDOFFS).where(
                HANDOFFS.c.state == "waiting")).scalar_one()
        if not waits:
            return None
        return max(1, math.ceil(statistics.median(waits) * max(1, waiting) / 60))

    # -- state changes --------------------------------------------------------------------------

    def request(self, conversation: str, language: Lang, channel: str, topic: str | None, danger: bool,
                now: float | None = None) -> Request:
        """Queues the conversation when someone can answer (one open handoff per conversation);
        otherwise queues nothing, and the user is told the hours."""
        now = time.time() if now is None else now
        if not self.available(now):
            return Request(None, None, self.hours)
        wait = self.wait_minutes(now)
        with self.engine.begin() as connection:
            row = connection.execute(select(HANDOFFS).where(
                HANDOFFS.c.conversation == conversation, HANDOFFS.c.state.in_(OPEN))).first()
            if row is None:
                handoff_id = secrets.token_urlsafe(18)
                connection.execute(insert(HANDOFFS).values(
                    id=handoff_id, conversation=conversation, state="waiting", language=language,
                    channel=channel[:32], topic=topic, danger=danger, requested_at=now, deleted=False,
                    reminded=False, delivered_until=0.0, replied_until=0.0, last_user_at=now))
                row = connection.execute(select(HANDOFFS).where(HANDOFFS.c.id == handoff_id)).one()
        return Request(self._handoff(row), wait, self.hours)

    def take(self, handoff_id: str, operator: str, now: float | None = None) -> Handoff:
        """Atomic: the UPDATE succeeds for one operator only; the other gets HeldByOther."""
        operator = check_operator(operator)
        now = time.time() if now is None else now
        self.get(handoff_id)
        with self.engine.begin() as connection:
            connection.execute(update(HANDOFFS).where(HANDOFFS.c.id == handoff_id, HANDOFFS.c.state == "waiting")
                               .values(state="held", held_by=operator, taken_at=now))
        handoff = self.get(handoff_id)
        self._check_holder(handoff, operator)
        return handoff

    def _check_holder(self, handoff: Handoff, operator: str) -> None:
        if not handoff.open:
            raise Gone("The user deleted this conversation." if handoff.deleted
                       else f"This conversation is no longer in the queue ({handoff.state}).")
        if handoff.state == "held" and handoff.held_by != operator:
            raise HeldByOther(f"{handoff.held_by} is already answering this conversation.",
                              holder=handoff.held_by or "")

    def holding(self, handoff_id: str, operator: str) -> Handoff:
        """The handoff, if `operator` holds it (to write in it)."""
        operator = check_operator(operator)
        handoff = self.get(handoff_id)
        self._check_holder(handoff, operator)
        if handoff.state != "held":
            raise HandoffError("Take the conversation before writing in it.")
        return handoff

    def end(self, handoff_id: str, operator: str, state: str, now: float | None = None) -> Handoff:
        """Release or close: by its holder, or by anyone while it waits. Conditional, like take."""
        operator = check_operator(operator)
        now = time.time() if now is None else now
        handoff = self.get(handoff_id)
        self._check_holder(handoff, operator)
        with self.engine.begin() as connection:
            done = connection.execute(update(HANDOFFS).where(
                HANDOFFS.c.id == handoff_id, HANDOFFS.c.state == handoff.state,
                or_(HANDOFFS.c.held_by.is_(None), HANDOFFS.c.held_by == operator),
            ).values(state=state, ended_at=now, address=None)).rowcount
        if not done:  # someone else changed it in between: say what happened
            self._check_holder(self.get(handoff_id), operator)
            raise HandoffError("The conversation changed meanwhile; please look at the queue again.")
        return self.get(handoff_id)

    def forget(self, conversations: list[str], now: float | None = None) -> int:
        """The user deleted the conversation: its handoffs are closed and their addresses dropped."""
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            return connection.execute(update(HANDOFFS).where(HANDOFFS.c.conversation.in_(conversations)).values(
                state="closed", deleted=True, address=None,
                ended_at=func.coalesce(HANDOFFS.c.ended_at, now))).rowcount

    def seen(self, handoff_id: str, channel: str, address: str, now: float | None = None) -> None:
        """The user wrote in an open handoff: where to reach them, and when they last wrote."""
        now = time.time() if now is None else now
        token = self._cipher.encrypt(address.encode()).decode()
        with self.engine.begin() as connection:
            connection.execute(update(HANDOFFS).where(HANDOFFS.c.id == handoff_id, HANDOFFS.c.state.in_(OPEN))
                               .values(channel=channel[:32], address=token, last_user_at=now))

    def flag(self, handoff_id: str, *, danger: bool = False, reminded: bool = False) -> None:
        """Marks danger (the queue shows it first) or that the user was told to wait."""
        values = {k: True for k, v in (("danger", danger), ("reminded", reminded)) if v}
        with self.engine.begin() as connection:
            connection.execute(update(HANDOFFS).where(HANDOFFS.c.id == handoff_id).values(**values))

    def replied(self, handoff_id: str, at: float) -> None:
        """An operator's reply waits for the user's next REST request (written at `at`)."""
        with self.engine.begin() as connection:
            connection.execute(update(HANDOFFS).where(HANDOFFS.c.id == handoff_id).values(replied_until=at))

    def mark_delivered(self, handoff_id: str, previous: float, until: float) -> bool:
        """REST replies up to `until` are delivered: compare-and-set, so two requests of the same
        user at once cannot both deliver them."""
        with self.engine.begin() as connection:
            return connection.execute(update(HANDOFFS).where(
                HANDOFFS.c.id == handoff_id, HANDOFFS.c.delivered_until == previous,
            ).values(delivered_until=until)).rowcount == 1

    # -- statistics -----------------------------------------------------------------------------

    def summary(self, start: datetime, end: datetime) -> dict[str, int | float]:
        """Counts only, for handoffs requested in [start, end)."""
        if end <= start:
            raise HandoffError("The end of the period must come after its start.")
        with self.engine.begin() as connection:
            rows = connection.execute(select(HANDOFFS.c.requested_at, HANDOFFS.c.taken_at).where(and_(
                HANDOFFS.c.requested_at >= start.timestamp(), HANDOFFS.c.requested_at < end.timestamp()))).all()
        waits = [taken - requested for requested, taken in rows if taken is not None]
        return {"handoffs": len(rows), "answered": len(waits), "never_answered": len(rows) - len(waits),
                "mean_wait_seconds": round(statistics.fmean(waits), 1) if waits else 0.0,
                "median_wait_seconds": round(statistics.median(waits), 1) if waits else 0.0}



def utc(seconds: float) -> datetime:
    """A stored timestamp (seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, timezone.utc)


@dataclass(frozen=True)
class Asking:
    """A conversation asking for a person, as the action server sees it."""

    conversation: str  # the tracker's (hashed) id
    channel: str
    last_card: str | None
    danger: bool


def ask_for_person(store: HandoffStore, snapshot: Snapshot, asking: Asking, language: Lang) -> answers.Reply:
    """Queues the conversation and pauses it, telling the user the expected wait and the
    emergency numbers meanwhile; with nobody available, the hours and where a person answers."""
    card = snapshot.card(asking.last_card)
    request = store.request(asking.conversation, language, asking.channel, card.topic if card else None,
                            asking.danger)
    if request.handoff is None:
        reply = answers.handoff(snapshot, language)
        reply.values = {"hours": request.hours.describe(language)}
        return reply
    return answers.Reply(response="utter_handoff_started", pause=True, values={
        "wait": wait_phrase(request.wait_minutes, language), "numbers": safety_note(snapshot, language)})
