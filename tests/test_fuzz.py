"""Hostile input over REST and socketio against the real servers: no 5xx, the server stays up,
and nothing is stored for input that is rejected.

Inputs are generated from a fixed seed, so a failure is reproducible.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import uuid
from collections.abc import Iterator

import pytest
import requests
import socketio
from e2e_support import Conversation, Servers, SocketChat

from bot.channels.guard import MAX_CHARS
from bot.privacy import hash_sender

pytestmark = pytest.mark.e2e

SEED = 20261127
HOSTILE_TEXTS = [
    "", " ", "\t\n", "\x00", "\x00\x01\x02\x1b[2J", "\ud800".encode("utf-8", "surrogatepass").decode(
        "utf-8", "replace"), "\ufeff\u200b\u202e", "😀" * 300, "🙏🇦🇱",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
    "'; DROP TABLE events; --", "1 OR 1=1", "\" OR \"\"=\"", "%s%s%s%n", "{{7*7}}", "${jndi:ldap://x}",
    "../../etc/passwd", "/restart", "/session_start", "/action_restart", "/nlu_fallback",
    '/switch_language{"language":"xx"}', '/greet{"language":"<b>x</b>"}',
    '/ask_followup{"last_fact":"rem_action_plan","last_topic":"x"}', '/inform{"requested_slot":"x"}',
    "/" * 50, "{" * 100, "]" * 100, "Γεια σας мне нужна помощь مرحبا 你好 jam ne Athine",
    "ë" * 50, "A" * MAX_CHARS, "a b " * 1500, "\r\n" * 500,
]
MALFORMED_BODIES = [b"", b"null", b"[]", b"42", b'"text"', b"{", b'{"sender":', b"\xff\xfe\x00",
                    b'{"sender": null, "message": "hi"}', b'{"sender": ["x"], "message": "hi"}',
                    b'{"sender": "", "message": "hi"}', b'{"sender": "a b c", "message": "hi"}',
                    b'{"sender": "ok", "message": 5}', b'{"sender": "ok", "message": null}',
                    b'{"sender": "ok", "message": ["hi"]}', b'{"sender": "ok"}']


def _mutations(rng: random.Random, count: int) -> list[str]:
    """Random mixtures of the hostile texts, control characters and scripts."""
    alphabet = [chr(c) for c in (*range(0, 32), *range(0x370, 0x3ff), *range(0x400, 0x4ff),
                                 *range(0x600, 0x6ff), *range(0x1f600, 0x1f64f))] + list("ëçÇË<>&\"'{}/\\")
    texts = []
    for _ in range(count):
        base = rng.choice(HOSTILE_TEXTS)
        noise = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        cut = rng.randint(0, len(base))
        texts.append(base[:cut] + noise + base[cut:])
    return texts


ALLOWED_ORIGIN = "http://widget.example"


class _ServersForOnePage(Servers):
    """The servers with Rasa's --cors for one web page, as scripts/run.sh starts them."""

    def rasa_options(self) -> list[str]:
        return ["--cors", ALLOWED_ORIGIN]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = _ServersForOnePage.with_tracker_store(tmp_path_factory.mktemp("fuzz"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _stored_events(servers: Servers, sender: str | None = None) -> int:
    path = servers.workdir / "tracker.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        if sender is None:
            return db.execute("select count(*) from events").fetchone()[0]
        return db.execute("select count(*) from events where sender_id = ?",
                          (hash_sender(sender, "rest"),)).fetchone()[0]


def test_hostile_rest_input_never_gets_a_5xx_and_rejected_input_is_not_stored(
        servers: Servers) -> None:
    rng = random.Random(SEED)
    texts = HOSTILE_TEXTS + _mutations(rng, 420)
    failures: list[str] = []
    for text in texts:
        sender = f"fuzz-{uuid.uuid4().hex[:12]}"
        response = requests.post(servers.webhook, json={"sender": sender, "message": text}, timeout=60)
        if response.status_code >= 500 or not isinstance(response.json(), list):
            failures.append(f"{response.status_code} for {text[:60]!r}")
        elif len(text) > MAX_CHARS and _stored_events(servers, sender):
            failures.append(f"an over-long message was stored: {text[:60]!r}")
    before = _stored_events(servers)
    for body in MALFORMED_BODIES * 4:
        response = requests.post(servers.webhook, data=body, timeout=30,
                                 headers={"Content-Type": "application/json"})
        if response.status_code != 400:
            failures.append(f"{response.status_code} for body {body[:40]!r}")
    assert _stored_events(servers) == before, "a rejected request left events in the store"
    assert not failures, "\n".join(failures[:30])
    assert len(texts) + 4 * len(MALFORMED_BODIES) >= 500
    # still up and still right
    Conversation(servers, "after-fuzz").expect(
        "how long can I stay in the schengen area without a visa?", contains=("90",))


async def fuzz_socketio(url: str, transports: tuple[str, ...]) -> tuple[list[str], str]:
    """Hostile socket.io events, then a question in a fresh session: (the answers to that
    question, the transport the client ended on). Also run through the cluster's proxy."""
    texts = HOSTILE_TEXTS + _mutations(random.Random(SEED + 1), 60)
    chat = SocketChat(url, transports)
    session = (await chat.open())["session_id"]
    for i, text in enumerate(texts):
        payload: object = {"message": text, "session_id": session} if i % 7 else text
        await chat.client.emit("user_uttered", payload)
        await asyncio.sleep(0.05)
    chat.received.clear()
    await chat.open()  # a new session: the fuzzed one may be rate-limited
    await chat.say("sa dite mund te qendroj pa vize ne itali?")
    for _ in range(100):
        if any("90" in json.dumps(a) for a in chat.received):
            break
        await asyncio.sleep(0.2)
    transport = chat.client.transport()
    await chat.close()
    return [json.dumps(a) for a in chat.received], transport


def test_hostile_socketio_input_keeps_the_server_up(servers: Servers) -> None:
    answers, _ = asyncio.run(fuzz_socketio(servers.url, ("polling",)))
    assert any("90" in a for a in answers), f"no answer after the fuzzing: {answers[-3:]}"
    assert requests.get(f"{servers.url}/", timeout=10).status_code == 200


def test_a_huge_body_is_refused_before_it_is_read_and_nothing_is_stored(servers: Servers) -> None:
    before = _stored_events(servers)
    body = json.dumps({"sender": "big-body", "message": "hi", "metadata": {"x": "a" * 200_000}})
    response = requests.post(servers.webhook, data=body, timeout=30, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert _stored_events(servers) == before


def test_metadata_is_not_stored_except_short_allowed_values(servers: Servers) -> None:
    nested = '{"x":' * 1000 + '"bottom"' + "}" * 1000  # deeper than Python's json would write
    body = ('{"sender": "meta-1", "message": "Përshëndetje", "metadata": {"phone": "+355 69 123 4567", '
            f'"email": "ana@example.com", "language": "sq", "deep": {nested}}}}}')
    response = requests.post(servers.webhook, data=body.encode(), timeout=60,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json(), response.text[:200]
    path = servers.workdir / "tracker.db"
    with sqlite3.connect(path) as db:
        stored = " ".join(row[0] for row in db.execute(
            "select data from events where sender_id = ?", (hash_sender("meta-1", "rest"),)))
    assert stored and "ana@example.com" not in stored and "123 4567" not in stored and '"x"' not in stored


def test_the_root_route_answers_without_the_version(servers: Servers) -> None:
    response = requests.get(f"{servers.url}/", timeout=10)
    assert response.status_code == 200 and "Rasa" not in response.text and "3.6" not in response.text


def test_socketio_checks_the_origin_and_answers_malformed_events(servers: Servers) -> None:
    async def connects(origin: str | None) -> bool:
        client = socketio.AsyncClient(reconnection=False)
        try:
            await client.connect(servers.url, socketio_path="/socket.io", transports=["polling"],
                                 headers={"Origin": origin} if origin else {})
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True

    async def errors_and_answers() -> tuple[list[str], list[str]]:
        chat = SocketChat(servers.url)
        await chat.client.connect(servers.url, socketio_path="/socket.io", transports=["polling"])
        other = uuid.uuid4().hex
        for bad in ("text", 5, None, {"session_id": 5}, {"session_id": "../x"}):
            await chat.client.emit("session_request", bad)
        mine = (await chat.open())["session_id"]
        for bad in ("text", 5, {"message": 5, "session_id": mine}, {"message": "hi", "session_id": other}):
            await chat.client.emit("user_uttered", bad)  # the last: a session this socket did not join
        await chat.say("Përshëndetje")
        await chat.texts(1)
        await chat.close()
        return [json.dumps(e) for e in chat.errors], [json.dumps(a) for a in chat.received]

    assert asyncio.run(connects(None)) and asyncio.run(connects(ALLOWED_ORIGIN))
    assert not asyncio.run(connects("https://evil.example"))
    before = _stored_events(servers)
    errors, answers = asyncio.run(errors_and_answers())
    assert len(errors) == 9 and all("expected" in e for e in errors), errors
    assert answers, "the well-formed message after them got no answer"
    assert _stored_events(servers) - before <= 12  # the one good turn only (its events), nothing else
