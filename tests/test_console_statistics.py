"""Statistics from counts: real Rasa events written as the tracker store writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from sqlalchemy import create_engine

from bot.console.statistics import (
    EVENTS,
    bar_chart,
    conversation_figures,
    figures_csv,
    outcome_figures,
    parse_period,
    record_outcome,
)
from bot.knowledge.model import Snapshot
from bot.tracker_store import event_row

DAY1 = dt.datetime(2026, 11, 30, 9, tzinfo=dt.timezone.utc).timestamp()
DAY2 = DAY1 + 86_400
SECRET = "my passport number is in this text"


def _user(text: str, intent: str, at: float) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=at)


def test_counts_per_day_language_topic_danger_and_fallback(tmp_path: Path, snapshot: Snapshot) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    EVENTS.create(engine)
    card = snapshot.cards[0]
    conversations = {
        "a": [SessionStarted(timestamp=DAY1), _user("pershendetje", "greet", DAY1 + 1),
              SlotSet("language", "sq", timestamp=DAY1 + 2), _user(SECRET, "ask_question", DAY1 + 3),
              SlotSet("last_card", card.key, timestamp=DAY1 + 4),
              SessionStarted(timestamp=DAY2), SlotSet("language", "sq", timestamp=DAY2),  # carried over
              SlotSet("last_card", card.key, timestamp=DAY2), _user("zzzz", "nlu_fallback", DAY2 + 1)],
        "b": [_user("they took my passport", "report_emergency", DAY2 + 5),
              SlotSet("language", "en", timestamp=DAY2 + 6), ActionExecuted("action_emergency", timestamp=DAY2 + 7)],
        "old": [_user("long ago", "greet", DAY1 - 40 * 86_400)],
    }
    with engine.begin() as connection:
        for sender, events in conversations.items():
            connection.execute(EVENTS.insert(), [event_row(sender, e) for e in events])
    period = parse_period("2026-11-30", "2026-12-01")
    figures = conversation_figures(engine, period, snapshot)
    assert figures.per_day == {dt.date(2026, 11, 30): 1, dt.date(2026, 12, 1): 2}
    assert (figures.conversations, figures.messages, figures.fallbacks) == (2, 4, 1)
    assert figures.fallback_rate == 0.25
    assert (figures.danger_messages, figures.danger_conversations) == (1, 1)
    assert figures.languages == {"sq": 1, "en": 1}
    assert figures.cards == {card.key: 1} and figures.topics == {card.topic: 1}  # once per conversation
    exported = figures_csv(figures)
    assert "totals,conversations,2" in exported and "languages,sq,1" in exported
    assert SECRET not in exported and "pershendetje" not in exported


def test_periods_are_checked_with_a_clear_sentence() -> None:
    today = dt.date(2026, 12, 2)
    assert parse_period(None, None, today) == parse_period("2026-11-03", "2026-12-02", today)
    for start, end, message in (("2026-02-30", None, "YYYY-MM-DD"), ("2026-12-02", "2026-12-01", "starts after"),
                                ("2020-01-01", "2026-01-01", "at most")):
        with pytest.raises(ValueError, match=message):
            parse_period(start, end, today)


def test_outcomes_are_counted_without_notes(tmp_path: Path) -> None:
    from bot.console.tables import engine_for

    engine = engine_for(f"sqlite:///{tmp_path / 'console.db'}")
    record_outcome(engine, "ana", "voluntary_return", "sq", "IOM Tirana", now=DAY1)
    record_outcome(engine, "ana", None, "en", None, now=DAY1 + 60)
    record_outcome(engine, "ana", "remittances", "sq", None, now=DAY1 - 10 * 86_400)  # outside
    counts = outcome_figures(engine, parse_period("2026-11-30", "2026-11-30"))
    assert counts["topic"] == {"voluntary_return": 1} and counts["language"] == {"sq": 1, "en": 1}
    assert counts["referred_to"] == {"IOM Tirana": 1}


def test_charts_escape_their_labels_and_carry_no_script_or_style() -> None:
    svg = bar_chart("Topics <b>", [("<script>alert(1)</script>", 3), ("ok", 1.5)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg and "<svg" in svg and 'aria-label="Topics &lt;b&gt;"' in svg
    assert "no data" in bar_chart("Empty", [])
