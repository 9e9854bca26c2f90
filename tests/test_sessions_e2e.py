"""Web chat sessions against the real servers (tests/e2e_support.py) with real socket.io clients
(python-socketio): the server issues each session and its token, knowing a session id is not
enough to receive its replies, and REST reaches a session's conversation only with its token.
A widget whose socket.io is blocked gets its session from the web server over HTTP, and can
then delete its conversation like any other."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
import requests
from e2e_support import Servers, SocketChat
from web_support import WebServers

from bot import sessions

pytestmark = pytest.mark.e2e

DANGER = "they took my passport and they lock me in the house"
QUESTION = "how long can I stay in the schengen area without a visa?"
QUIET = 4.0  # seconds a client listens for replies that must not come


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServers]:
    running = WebServers.with_tracker_store(tmp_path_factory.mktemp("sessions"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def user_texts(servers: Servers, session_id: str, channel: str) -> list[str]:
    return [json.loads(data).get("text") for kind, data in servers.stored_events(session_id, channel)
            if kind == "user"]


def test_knowing_a_session_id_without_its_token_receives_none_of_its_replies(servers: Servers) -> None:
    async def run() -> tuple[list[str], list[str], list[dict[str, str]], list[str]]:
        owner, intruder = SocketChat(servers.url), SocketChat(servers.url)
        mine = await owner.open()
        assert sessions.SESSION_ID.match(mine["session_id"]) and mine["token"]
        tries = [{"session_id": mine["session_id"]}, {"session_id": mine["session_id"], "token": ""},
                 {"session_id": mine["session_id"], "token": f"{int(time.time())}.{'0' * 64}"}]
        given = [await intruder.open(attempt) for attempt in tries]
        await intruder.say("hello", session_id=mine["session_id"])  # a session it was not given
        try:
            await owner.say(DANGER)
            await owner.texts(1)
            await owner.say(QUESTION)
            owner_texts = await owner.texts_with("90")  # the question's answer, after the emergency's bubbles
            await asyncio.sleep(QUIET)
            intruder_texts = [m.get("text") or "" for m in intruder.received]
            return owner_texts, intruder_texts, given, [json.dumps(e) for e in intruder.errors]
        finally:
            await owner.close()
            await intruder.close()

    owner_texts, intruder_texts, given, errors = asyncio.run(run())
    assert owner_texts and owner_texts[0].startswith("🚨") and "112" in owner_texts[0], owner_texts
    assert any("90" in t for t in owner_texts), owner_texts
    assert intruder_texts == [], f"the intruder received the owner's replies: {intruder_texts}"
    assert len({g["session_id"] for g in given}) == 3, "each attempt got a fresh session of its own"
    assert all(sessions.valid(g["session_id"], g["token"]) for g in given)
    assert len(errors) == 1 and "expected" in errors[0], errors  # the foreign user_uttered is refused


def test_a_valid_token_resumes_the_conversation_and_a_forged_or_expired_one_gets_a_new_session(
        servers: Servers) -> None:
    async def run() -> tuple[dict[str, str], list[dict[str, str]], list[str]]:
        first = SocketChat(servers.url)
        mine = await first.open()
        await first.say("Përshëndetje, a mund të më ndihmoni?")
        await first.texts(1)
        await first.close()  # a reload: a new socket, the same session
        again = SocketChat(servers.url)
        try:
            resumed = await again.open({"session_id": mine["session_id"], "token": mine["token"]})
            expired = sessions.issue(now=time.time() - 31 * 86_400)
            other = sessions.issue()
            refused = [await again.open(request) for request in (
                {"session_id": expired.session_id, "token": expired.token},
                {"session_id": mine["session_id"], "token": other.token},
                {"session_id": mine["session_id"], "token": mine["token"][:-4] + "abcd"})]
            back = await again.open({"session_id": mine["session_id"], "token": mine["token"]})
            assert back == resumed
            await again.say(QUESTION)
            return resumed, refused, await again.texts(1)
        finally:
            await again.close()

    resumed, refused, texts = asyncio.run(run())
    [session] = {resumed["session_id"]}
    assert all(r["session_id"] != session for r in refused), refused
    assert len({r["session_id"] for r in refused}) == 3
    assert any("90" in t for t in texts), texts
    stored = user_texts(servers, session, "socketio")
    assert stored[0].startswith("Përshëndetje") and stored[-1] == QUESTION, stored


def test_a_rest_sender_equal_to_a_session_id_is_a_separate_conversation(servers: Servers) -> None:
    async def open_session() -> dict[str, str]:
        chat = SocketChat(servers.url)
        try:
            confirmed = await chat.open()
            await chat.say("Përshëndetje")
            await chat.texts(1)
            return confirmed
        finally:
            await chat.close()

    mine = asyncio.run(open_session())
    session = mine["session_id"]
    stranger = requests.post(servers.webhook, json={"sender": session, "message": "hello, who is this?"},
                             timeout=60)
    assert stranger.status_code == 200 and stranger.json()
    assert user_texts(servers, session, "socketio") == ["Përshëndetje"], "REST wrote into the web session"
    assert user_texts(servers, session, "rest") == ["hello, who is this?"]
    forged = requests.post(servers.webhook, timeout=60, json={
        "sender": session, "message": "a forged token", "token": sessions.issue().token})
    assert forged.status_code == 403 and "token" in forged.text
    fallback = requests.post(servers.webhook, timeout=60, json={  # the widget's REST fallback
        "sender": session, "message": QUESTION, "token": mine["token"]})
    assert fallback.status_code == 200 and any("90" in m.get("text", "") for m in fallback.json())
    assert user_texts(servers, session, "socketio") == ["Përshëndetje", QUESTION]
    assert "a forged token" not in json.dumps(servers.stored_events(session, "rest"))
    stored = json.dumps(servers.stored_events(session, "socketio"))
    assert mine["token"] not in stored, "the token was stored with the message"


def test_a_rest_only_widget_gets_a_session_over_http_and_can_delete_its_conversation(
        servers: WebServers) -> None:
    page = servers.web_url  # the demo page's origin, which Rasa's --cors allows

    def session(body: dict[str, str], origin: str = page) -> requests.Response:
        return requests.post(f"{servers.web_url}/widget/session", data=json.dumps(body), timeout=30,
                             headers={"Content-Type": "text/plain", "Origin": origin})

    refused = session({}, origin="https://elsewhere.example")
    assert refused.status_code == 403, refused.text
    given = session({})
    assert given.status_code == 200, given.text
    mine = given.json()
    assert sessions.valid(mine["session_id"], mine["token"])
    assert session(mine).json() == mine, "a valid token resumes the session"
    expired = sessions.issue(now=time.time() - 31 * 86_400)
    for stale in ({"session_id": expired.session_id, "token": expired.token},
                  {"session_id": mine["session_id"], "token": sessions.issue().token},
                  {"session_id": mine["session_id"], "token": mine["token"][:-4] + "abcd"}):
        other = session(stale).json()
        assert other["session_id"] not in (stale["session_id"], mine["session_id"]), other
        assert sessions.valid(other["session_id"], other["token"])

    sent = requests.post(servers.webhook, timeout=60, json={
        "sender": mine["session_id"], "message": QUESTION, "token": mine["token"]})
    assert sent.status_code == 200 and any("90" in m.get("text", "") for m in sent.json()), sent.text
    assert user_texts(servers, mine["session_id"], "socketio") == [QUESTION], "not the session's conversation"

    forget = f"{servers.web_url}/widget/forget"
    elsewhere = requests.post(forget, data=json.dumps(mine), timeout=30,
                              headers={"Content-Type": "text/plain", "Origin": "https://elsewhere.example"})
    assert elsewhere.status_code == 403
    assert servers.stored_events(mine["session_id"], "socketio"), "a refused delete deleted"
    deleted = requests.post(forget, data=json.dumps(mine), timeout=30,
                            headers={"Content-Type": "text/plain", "Origin": page})
    assert deleted.status_code == 204, deleted.text
    assert servers.stored_events(mine["session_id"], "socketio") == []
