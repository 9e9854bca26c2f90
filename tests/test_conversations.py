"""Retention and deletion of stored conversations, on the assistant's real tracker store
(bot/tracker_store.py, Rasa's SQL table), on SQLite and on PostgreSQL (the `database_url`
fixture gives each test an empty database on both)."""

from __future__ import annotations

import time
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversations import DAY, delete_conversation, purge_older_than
from bot.tracker_store import HelplineTrackerStore


def _store(url: str) -> tuple[HelplineTrackerStore, str]:
    # Rasa's tracker store accepts a full database URL as its host
    return HelplineTrackerStore(Domain.empty(), host=url), url


async def _save(store: HelplineTrackerStore, sender: str, age_days: float) -> None:
    at = time.time() - age_days * DAY
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen", timestamp=at),
        UserUttered("pershendetje", {"name": "greet", "confidence": 1.0}, timestamp=at + 1),
    ])
    await store.save(tracker)


async def test_purge_deletes_only_conversations_older_than_the_limit(database_url: str) -> None:
    store, url = _store(database_url)
    await _save(store, "old-one", age_days=45)
    await _save(store, "recent-one", age_days=2)
    assert purge_older_than(30, url) == 1
    assert (await store.retrieve("old-one")) is None
    recent = await store.retrieve("recent-one")
    assert recent is not None and recent.latest_message.text == "pershendetje"


async def test_delete_removes_one_senders_events(database_url: str) -> None:
    store, url = _store(database_url)
    await _save(store, "ana", age_days=0)
    await _save(store, "ben", age_days=0)
    assert delete_conversation("ana", url) == 2
    assert (await store.retrieve("ana")) is None
    assert (await store.retrieve("ben")) is not None


def test_an_empty_or_missing_store_is_not_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert purge_older_than(30, url) == 0
    assert delete_conversation("nobody", url) == 0


async def test_the_command_line_purges(database_url: str) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    store, url = _store(database_url)
    await _save(store, "old-one", age_days=40)
    result = CliRunner().invoke(app, ["conversations", "purge", "--older-than", "30", "--url", url])
    assert result.exit_code == 0 and "deleted 1 conversation" in result.output
    assert (await store.retrieve("old-one")) is None
