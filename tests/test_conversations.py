"""Retention and deletion of stored conversations, on the assistant's real tracker store
(bot/tracker_store.py, Rasa's SQL table), on SQLite and on PostgreSQL (the `database_url`
fixture gives each test an empty database on both)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy.engine import make_url

from bot.conversations import CHANNELS, DAY, delete_conversation, purge_older_than
from bot.privacy import hash_sender, keyed_hash
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


async def test_delete_reaches_every_channel_or_only_the_one_named(database_url: str) -> None:
    store, url = _store(database_url)
    for stored_as in (hash_sender("355691234567", "whatsapp"), hash_sender("355691234567", "twilio"),
                      keyed_hash("355691234567"), hash_sender("ben", "whatsapp")):  # the last: before channels
        await _save(store, stored_as, age_days=0)
    assert delete_conversation("355691234567", url, ["twilio"]) == 2
    assert await store.retrieve(hash_sender("355691234567", "whatsapp")) is not None
    assert delete_conversation("355691234567", url) == 4  # WhatsApp's and the one stored before channels
    assert await store.retrieve(keyed_hash("355691234567")) is None
    assert await store.retrieve(hash_sender("ben", "whatsapp")) is not None


def test_the_channels_deleted_are_the_channels_configured() -> None:
    import importlib

    import yaml

    from bot import settings

    credentials = yaml.safe_load((settings.ROOT / "credentials.yml").read_text(encoding="utf-8"))
    names = set()
    for path in credentials:
        module, _, cls = path.rpartition(".")
        names.add(getattr(importlib.import_module(module), cls).name())
    assert set(CHANNELS) == names - {"operator"}  # the console's routes store no conversation


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


def _endpoints_recipe(url: str, directory: Path) -> Path:
    """endpoints.yml for the database of `url`, written as its comment tells an operator to
    (PostgreSQL: dialect, url = the host, port, db, username, password from ${VAR}, query)."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite":
        lines = ["  dialect: sqlite", f"  db: {directory / 'recipe.db'}"]
    else:
        lines = ["  dialect: postgresql", f"  url: {parsed.host}", f"  port: {parsed.port or 5432}",
                 f"  db: {parsed.database}", f"  username: {parsed.username}", "  password: ${TEST_DB_PASSWORD}",
                 "  query:", *(f"    {key}: {json.dumps(value)}" for key, value in parsed.query.items())]
    path = directory / "endpoints.yml"
    path.write_text("tracker_store:\n  type: bot.tracker_store.HelplineTrackerStore\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


async def test_delete_and_purge_act_on_the_tracker_store_of_the_endpoints_file(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_DB_PASSWORD", make_url(database_url).password or "")
    monkeypatch.setenv("HELPLINE_ENDPOINTS", str(_endpoints_recipe(database_url, tmp_path)))
    # the store as Rasa builds it from that file (the recipe must not make Rasa fail)
    config = read_endpoint_config(os.environ["HELPLINE_ENDPOINTS"], "tracker_store")
    store = TrackerStore.create(config, Domain.empty())
    assert isinstance(store, HelplineTrackerStore)
    await _save(store, "ana", age_days=1)
    await _save(store, "old-one", age_days=90)
    assert delete_conversation("ana") == 2  # no URL given: the endpoints file's store
    assert purge_older_than(30) == 1
    assert await store.retrieve("ana") is None and await store.retrieve("old-one") is None


def test_without_a_sql_tracker_store_deleting_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n", encoding="utf-8")
    monkeypatch.setenv("HELPLINE_ENDPOINTS", str(endpoints))
    with pytest.raises(LookupError, match="no SQL tracker store"):
        delete_conversation("ana")


async def test_deleted_text_leaves_the_sqlite_file_and_its_log_and_purge_gives_the_space_back(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store, _ = _store(url)  # WAL mode, as Rasa runs it
    secret = "sekreti-im-" + "x" * 2000
    for n in range(40):
        tracker = DialogueStateTracker.from_events(f"old-{n}", [
            UserUttered(f"{secret} {n}", {"name": "greet", "confidence": 1.0}, timestamp=time.time() - 90 * DAY)])
        await store.save(tracker)
    await _save(store, "ana-secret", age_days=0)
    files = [tmp_path / "tracker.db", tmp_path / "tracker.db-wal"]
    size_before = sum(path.stat().st_size for path in files if path.exists())
    assert purge_older_than(30, url) == 40
    assert delete_conversation("ana-secret", url) == 2
    for path in files:
        data = path.read_bytes() if path.exists() else b""
        assert b"sekreti-im" not in data, path.name
    assert sum(path.stat().st_size for path in files if path.exists()) < size_before / 2
    assert await store.retrieve("old-1") is None
