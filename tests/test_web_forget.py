"""The widget's "delete my conversation" reaches the server and removes the stored events, only
for the holder of the session's token (bot/sessions.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import sessions
from bot.privacy import hash_sender
from bot.tracker_store import HelplineTrackerStore
from bot.web.server import Settings, create_app


async def test_forget_deletes_the_sessions_events_only_with_its_token(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    endpoints = tmp_path / "endpoints.yml"  # the server deletes from the tracker store Rasa is given
    endpoints.write_text(f"tracker_store:\n  type: bot.tracker_store.HelplineTrackerStore\n  url: {url}\n",
                         encoding="utf-8")
    monkeypatch.setenv("HELPLINE_ENDPOINTS", str(endpoints))
    session, other = sessions.issue(), sessions.issue()
    store = HelplineTrackerStore(Domain.empty(), host=url)
    mine = hash_sender(session.session_id, "socketio")
    same_id_on_rest = hash_sender(session.session_id, "rest")  # someone else's, under the same id
    for sender in (mine, same_id_on_rest, hash_sender(other.session_id, "socketio")):
        await store.save(DialogueStateTracker.from_events(sender, [UserUttered("pershendetje")]))

    def body(session_id: str, token: object) -> str:
        return json.dumps({"session_id": session_id, "token": token})

    async with TestClient(TestServer(create_app(Settings()))) as client:
        async def post(data: str) -> int:
            return (await client.post("/widget/forget", data=data, headers={"Content-Type": "text/plain"})).status

        for bad in ("", "null", "[1]", '{"session_id": 5}', json.dumps({"session_id": session.session_id})):
            assert await post(bad) == 400, bad
        refused = [body(session.session_id, other.token), body(session.session_id, "1.abc"),
                   body(session.session_id, sessions.issue(now=0).token)]  # another's, forged, expired
        for bad in refused:
            assert await post(bad) == 403, bad
        assert await store.retrieve(mine) is not None, "a refused request deleted something"
        response = await client.post("/widget/forget", data=body(session.session_id, session.token))
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert await store.retrieve(mine) is None
    assert await store.retrieve(same_id_on_rest) is not None
    assert await store.retrieve(hash_sender(other.session_id, "socketio")) is not None
