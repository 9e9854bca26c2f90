"""The widget's "delete my conversation" reaches the server and removes the stored events."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import hash_sender
from bot.tracker_store import HelplineTrackerStore
from bot.web.server import Settings, create_app

SESSION = "0123456789abcdef0123456789abcdef"


async def test_forget_deletes_the_sessions_events_only(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    endpoints = tmp_path / "endpoints.yml"  # the server deletes from the tracker store Rasa is given
    endpoints.write_text(f"tracker_store:\n  type: bot.tracker_store.HelplineTrackerStore\n  url: {url}\n",
                         encoding="utf-8")
    monkeypatch.setenv("HELPLINE_ENDPOINTS", str(endpoints))
    store = HelplineTrackerStore(Domain.empty(), host=url)
    for sender in (hash_sender(SESSION), hash_sender("someone-else")):
        await store.save(DialogueStateTracker.from_events(sender, [UserUttered("pershendetje")]))
    async with TestClient(TestServer(create_app(Settings()))) as client:
        response = await client.post("/widget/forget", data=f'{{"session_id": "{SESSION}"}}',
                                     headers={"Content-Type": "text/plain"})
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        for bad in ("", "null", '{"session_id": "../../etc"}', '{"session_id": 5}', "[1]"):
            assert (await client.post("/widget/forget", data=bad)).status == 400
    assert await store.retrieve(hash_sender(SESSION)) is None
    assert await store.retrieve(hash_sender("someone-else")) is not None
