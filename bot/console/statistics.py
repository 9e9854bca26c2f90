"""Supervisor statistics, from counts only: no message text leaves the tracker store.

The conversations are read from the tracker store Rasa uses (bot.conversations.tracker_url()),
one query over the events of the period that asks for the sender hash, the event type, the
time, the intent and the action or slot name, and the value of two slots only (`language` and
`last_card`, a language code and a card key); a user event's `data`, which holds the text, is
never selected. Handoffs come from the Rasa process (HandoffClient.summary), outcomes of calls
from the console's own table. Charts are SVG drawn here, so the page needs no script for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, and_, case, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import Case

from bot.console import strings
from bot.console.tables import OUTCOMES
from bot.knowledge.model import Snapshot

MAX_DAYS = 366
FALLBACK_INTENT = "nlu_fallback"
EMERGENCY_INTENT = "report_emergency"  # what bot.nlu.components.EmergencyDetector sets on danger
COUNTED_SLOTS = ("language", "last_card")

_metadata = MetaData()
EVENTS = Table("events", _metadata,  # Rasa's SQLTrackerStore table, the columns read here
               Column("id", Integer, primary_key=True),
               Column("sender_id", String(255)),
               Column("type_name", String(255)),
               Column("timestamp", Float),
               Column("intent_name", String(255)),
               Column("action_name", String(255)),
               Column("data", Text))


class PeriodError(ValueError):
    """A period that cannot be counted; `key` and `params` say why in the operator's language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(strings.text("en", key, **params))
        self.key, self.params = key, params

    def text(self, language: str) -> str:
        return strings.text(language, self.key, **self.params)


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `start` to `end` inclusive."""

    start: dt.date
    end: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as UTC datetimes."""
        utc = dt.timezone.utc
        return (dt.datetime.combine(self.start, dt.time(), utc),
                dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), utc))

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def parse_period(start: str | None, end: str | None, today: dt.date | None = None) -> Period:
    """The period a supervisor asked for (YYYY-MM-DD); the last 30 days by default.
    PeriodError (a ValueError) for a date that is not one, or a period backwards or too long."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    try:
        last = dt.date.fromisoformat(end) if end else today
        first = dt.date.fromisoformat(start) if start else last - dt.timedelta(days=29)
    except ValueError:
        raise PeriodError("period.format") from None
    if first > last:
        raise PeriodError("period.backwards")
    if (last - first).days >= MAX_DAYS:
        raise PeriodError("period.too_long", days=MAX_DAYS)
    return Period(first, last)


@dataclass
class Figures:
    """Counts over one period."""

    period: Period
    per_day: dict[dt.date, int] = field(default_factory=dict)  # conversations with a message that day
    conversations: int = 0
    messages: int = 0
    fallbacks: int = 0
    danger_messages: int = 0
    danger_conversations: int = 0
    languages: Counter[str] = field(default_factory=Counter)  # conversations by their last language
    topics: Counter[str] = field(default_factory=Counter)  # conversations answered from each topic
    cards: Counter[str] = field(default_factory=Counter)  # conversations answered with each card
    handoffs: dict[str, int | float] = field(default_factory=dict)
    handoff_error: str | None = None
    tracker_error: str | None = None
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.messages if self.messages else 0.0


def conversation_figures(engine: Engine, period: Period, snapshot: Snapshot | None) -> Figures:
    """Counts of the tracker store's events in the period (see the module's docstring)."""
    start, end = (moment.timestamp() for moment in period.bounds)
    slot_value: Case[Any] = case((and_(EVENTS.c.type_name == "slot", EVENTS.c.action_name.in_(COUNTED_SLOTS)),
                       EVENTS.c.data), else_=None)
    query = (select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.intent_name,
                    EVENTS.c.action_name, slot_value)
             .where(EVENTS.c.timestamp >= start, EVENTS.c.timestamp < end,
                    EVENTS.c.type_name.in_(("user", "slot")))
             .order_by(EVENTS.c.id))
    figures = Figures(period, per_day=dict.fromkeys(period.days, 0))
    daily: set[tuple[dt.date, str]] = set()
    senders: set[str] = set()
    danger: set[str] = set()
    language: dict[str, str] = {}
    answered: set[tuple[str, str]] = set()
    with engine.connect() as connection:
        for sender, kind, timestamp, intent, name, data in connection.execute(query):
            if kind == "user":
                senders.add(sender)
                daily.add((dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).date(), sender))
                figures.messages += 1
                figures.fallbacks += intent == FALLBACK_INTENT
                if intent == EMERGENCY_INTENT:
                    figures.danger_messages += 1
                    danger.add(sender)
                continue
            value = json.loads(data).get("value") if data else None
            if isinstance(value, str) and name == "language":
                language[sender] = value
            elif isinstance(value, str):
                answered.add((sender, value))
    for day, _sender in daily:
        figures.per_day[day] += 1
    figures.conversations = len(senders)
    figures.danger_conversations = len(danger)
    figures.languages = Counter(language.values())
    figures.cards = Counter(card for _sender, card in answered)
    by_key = snapshot.by_key if snapshot else {}
    figures.topics = Counter(by_key[card].topic if card in by_key else "(card removed)"
                             for _sender, card in answered)
    return figures


def outcome_figures(engine: Engine, period: Period) -> dict[str, Counter[str]]:
    """The structured outcomes operators recorded: counts by topic, language, referred to."""
    start, end = (moment.timestamp() for moment in period.bounds)
    counts: dict[str, Counter[str]] = {"topic": Counter(), "language": Counter(), "referred_to": Counter()}
    with engine.connect() as connection:
        for topic, language, referred in connection.execute(
                select(OUTCOMES.c.topic, OUTCOMES.c.language, OUTCOMES.c.referred_to)
                .where(OUTCOMES.c.at >= start, OUTCOMES.c.at < end)):
            for name, value in (("topic", topic), ("language", language), ("referred_to", referred)):
                if value:
                    counts[name][value] += 1
    return counts


def record_outcome(engine: Engine, operator: str, topic: str | None, language: str | None,
                   referred_to: str | None, now: float | None = None) -> None:
    """Stores one call's structured outcome (never notes of what was said)."""
    with engine.begin() as connection:
        connection.execute(OUTCOMES.insert().values(at=time.time() if now is None else now, operator=operator,
                                                    topic=topic, language=language, referred_to=referred_to))


def tracker_engine(url: str) -> Engine:
    return create_engine(url, future=True, pool_pre_ping=True)


# -- charts and export ------------------------------------------------------------------------------


def bar_chart(title: str, bars: Sequence[tuple[str, float]], width: int = 560, bar_height: int = 22,
              empty: str = "no data") -> str:
    """A horizontal bar chart as an SVG element (labels escaped; no script, no style attribute)."""
    label_width, value_width = 190, 60
    top = max((value for _label, value in bars), default=0) or 1
    height = bar_height * max(len(bars), 1) + 8
    room = width - label_width - value_width
    rows = []
    for i, (label, value) in enumerate(bars):
        y = i * bar_height + 4
        length = room * value / top
        shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
        rows.append(
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.68:.1f}" text-anchor="end" '
            f'font-size="13" fill="#1b1b1b">{escape(label[:28])}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{bar_height - 6}" fill="#1f5fa8"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + bar_height * 0.68:.1f}" font-size="13" '
            f'fill="#1b1b1b">{shown}</text>')
    if not bars:
        rows.append(f'<text x="8" y="{bar_height * 0.7:.1f}" font-size="13" fill="#1b1b1b">{escape(empty)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">'
            f"<title>{escape(title)}</title>{''.join(rows)}</svg>")


def figures_csv(figures: Figures) -> str:
    """Every figure as `section,key,value` rows (a spreadsheet reads it as it is)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "value"])
    writer.writerow(["period", "start", figures.period.start.isoformat()])
    writer.writerow(["period", "end", figures.period.end.isoformat()])
    for day, count in sorted(figures.per_day.items()):
        writer.writerow(["conversations_per_day", day.isoformat(), count])
    for key, value in (("conversations", figures.conversations), ("messages", figures.messages),
                       ("fallbacks", figures.fallbacks), ("fallback_rate", round(figures.fallback_rate, 4)),
                       ("danger_messages", figures.danger_messages),
                       ("danger_conversations", figures.danger_conversations)):
        writer.writerow(["totals", key, value])
    for section, counter in (("languages", figures.languages), ("topics", figures.topics),
                             ("cards", figures.cards)):
        for key, value in counter.most_common():
            writer.writerow([section, key, value])
    for key, value in figures.handoffs.items():
        writer.writerow(["handoffs", key, value])
    for name, counter in figures.outcomes.items():
        for key, value in counter.most_common():
            writer.writerow([f"outcome_{name}", key, value])
    return out.getvalue()
