"""The widget's config.json: the first screen comes from the knowledge store, and the chat still
starts when the store cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.emergency_reply import numbers_for
from bot.knowledge.model import Snapshot
from bot.knowledge.store import KnowledgeStore
from bot.web.server import Settings, create_app


async def test_config_gives_the_numbers_and_topics_of_the_store(knowledge_store: KnowledgeStore, snapshot: Snapshot,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_DB_URL", knowledge_store.url)
    async with TestClient(TestServer(create_app(Settings()))) as client:
        content = await (await client.get("/widget/config.json")).json()
    numbers = numbers_for(snapshot, None)
    assert content["help"] == {"emergency": {"text": numbers.emergency.phone, "tel": "112"},
                               "helpline": {"text": numbers.trafficking_line.phone, "tel": "116006"}}
    assert [t["sq"] for t in content["topics"]] == [t.title.sq for t in snapshot.button_topics]
    assert content["topics"][0]["payload"] == f'/choose_topic{{"topic":"{snapshot.button_topics[0].key}"}}'


async def test_config_without_the_store_still_starts_the_chat(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setenv("HELPLINE_DB_URL", f"sqlite:///{tmp_path / 'missing' / 'nothing.db'}")
    async with TestClient(TestServer(create_app(Settings()))) as client:
        response = await client.get("/widget/config.json")
        assert response.status == 200
        assert await response.json() == {"rasaUrl": Settings.rasa_public_url, "exitUrl": Settings.exit_url}
