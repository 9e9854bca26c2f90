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


async def test_a_session_over_http_is_the_one_the_socket_would_confirm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_REDIS_URL", "")  # this process's own limit windows
    page = "http://127.0.0.1:8080"  # the demo page's origin: this server's own
    async with TestClient(TestServer(create_app(Settings()))) as client:
        async def ask(data: str, origin: str = page) -> tuple[int, object]:
            response = await client.post("/widget/session", data=data,
                                         headers={"Content-Type": "text/plain", "Origin": origin})
            return response.status, (await response.json() if response.status == 200 else await response.text())

        status, new = await ask("{}")
        assert status == 200 and isinstance(new, dict) and sessions.valid(new["session_id"], new["token"])
        assert await ask(json.dumps(new)) == (200, new), "a valid token resumes its session"
        expired = sessions.issue(now=0)
        for stale in (expired, sessions.Session(new["session_id"], sessions.issue().token),
                      sessions.Session(new["session_id"], new["token"][:-4] + "abcd")):
            status, given = await ask(json.dumps({"session_id": stale.session_id, "token": stale.token}))
            assert status == 200 and isinstance(given, dict), given
            assert given["session_id"] not in (stale.session_id, new["session_id"]), "an old session was resumed"
            assert sessions.valid(given["session_id"], given["token"])
        for bad in ("", "null", "[1]", '{"session_id": "abc"}', '{"token": 5}'):
            status, text = await ask(bad)
            assert status == 400 and "expected" in str(text), bad
        status, text = await ask("{}", origin="https://elsewhere.example")
        assert status == 403 and "origin" in str(text)
        forget = await client.post("/widget/forget", data=json.dumps(new),
                                   headers={"Origin": "https://elsewhere.example"})
        assert forget.status == 403, "another site's page deleted a conversation"


async def test_session_calls_count_against_the_address_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_REDIS_URL", "")
    monkeypatch.setenv("HELPLINE_LIMIT_ADDRESS", "3")
    async with TestClient(TestServer(create_app(Settings()))) as client:
        statuses = [(await client.post("/widget/session", data="{}")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
