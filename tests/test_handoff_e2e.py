"""Live handoff end to end: the real Rasa and action servers (tracker store in SQLite), users on
REST, socket.io and Telegram (its API a fake on loopback, tests/fake_providers.py), and the
operator console's own client, bot/handoff_client.py, over HTTP.

Run: .venv/bin/pytest -q -m e2e tests/test_handoff_e2e.py
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
import requests
import sqlalchemy
from e2e_support import VENV_BIN, Conversation, Servers, SocketChat
from fake_providers import FakeProviders, TelegramClient

from bot.handoff_client import (
    Gone,
    HandoffClient,
    HandoffError,
    HeldByOther,
    NotFound,
    QueueItem,
    TooLong,
    Unauthorized,
)
from bot.privacy import hash_sender

pytestmark = pytest.mark.e2e

TOKEN = f"console-{uuid.uuid4().hex}"
ALWAYS = "Mon-Sun 00:00-24:00 UTC"
OPERATORS = ("ana", "ben")
ASK_SQ = "dua te flas me nje punonjes, jo me robot"
ASK_EN = "I want to talk to a real person"
STARTED = {"sq": "Një operator do t'ju shkruajë këtu", "en": "An operator will write to you here"}
QUESTION_EN = "how long can I stay in the schengen area without a visa?"
QUIET = 3.0  # seconds to wait for a message that must not come
T = TypeVar("T")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, fake: FakeProviders) -> Iterator[Servers]:
    running = Servers.with_tracker_store(tmp_path_factory.mktemp("handoff-e2e"))
    running.extra_env = {"HELPLINE_CONSOLE_TOKEN": TOKEN, "HELPLINE_OPERATOR_HOURS": ALWAYS,
                         **TelegramClient(fake.url).env()}
    try:
        running.start()
    except Exception as error:
        running.stop()
        pytest.fail(f"The assistant did not start: {error}", pytrace=False)
    yield running
    running.stop()


def console(servers: Servers, call: Callable[[HandoffClient], Awaitable[T]], token: str = TOKEN) -> T:
    """Runs one call of the console's client against the servers, as the console would."""
    async def run() -> T:
        client = HandoffClient(servers.url, token, timeout=30)
        try:
            return await call(client)
        finally:
            await client.aclose()
    return asyncio.run(run())


@pytest.fixture(autouse=True)
def on_duty(servers: Servers) -> None:
    """Both operators signed in (a test that signs them out signs them in again)."""
    for name in OPERATORS:
        console(servers, lambda c, n=name: c.presence(n, True))


def queue(servers: Servers) -> list[QueueItem]:
    return console(servers, lambda c: c.queue())


def new_item(servers: Servers, before: list[QueueItem]) -> QueueItem:
    known = {i.handoff_id for i in before}
    [item] = [i for i in queue(servers) if i.handoff_id not in known]
    return item


def ask_on_rest(servers: Servers, message: str = ASK_SQ, language: str = "sq") -> tuple[Conversation, QueueItem]:
    chat = Conversation(servers, "handoff")
    before = queue(servers)
    turn = chat.expect(message, contains=(STARTED[language], "116 006"), language=language)
    chat.check("[116 006](tel:116006)" in turn.text, turn, "expected the numbers from the store")
    return chat, new_item(servers, before)


# ------------------------------------------------------------------------------ the routes


def test_the_operator_routes_want_the_console_token(servers: Servers) -> None:
    url = f"{servers.url}/webhooks/operator/queue"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer guess"}, timeout=10).status_code == 403
    assert requests.get(url, headers={"Authorization": TOKEN}, timeout=10).status_code == 401  # not "Bearer"
    assert requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).status_code == 200
    with pytest.raises(Unauthorized, match="token was refused"):
        console(servers, lambda c: c.queue(), token="forged")


def test_an_unknown_handoff_is_not_found(servers: Servers) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = requests.post(f"{servers.url}/webhooks/operator/handoffs/AAAAAAAAAAAAAAAA/take",
                           json={"operator": "ana"}, headers=headers, timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (404, "not_found")
    for call in (lambda c: c.take("AAAAAAAAAAAAAAAAAAAAAAAA", "ana"), lambda c: c.history("nope"),
                 lambda c: c.send("../../etc/passwd", "ana", "hi")):
        with pytest.raises(NotFound, match="no such conversation"):
            console(servers, call)


def test_bad_requests_get_a_clear_answer(servers: Servers) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = requests.post(f"{servers.url}/webhooks/operator/presence", data=b"[1, 2]", headers=headers, timeout=10)
    assert answer.status_code == 400 and "JSON object" in answer.json()["message"]
    answer = requests.get(f"{servers.url}/webhooks/operator/summary?start=yesterday", headers=headers, timeout=10)
    assert answer.status_code == 400 and "ISO 8601" in answer.json()["message"]
    with pytest.raises(HandoffError, match="1-64 printable"):
        console(servers, lambda c: c.presence("", True))


# ------------------------------------------------------------------------------ REST


def test_a_rest_user_is_queued_answered_by_an_operator_and_released(servers: Servers) -> None:
    chat, item = ask_on_rest(servers)
    assert (item.state, item.language, item.channel, item.danger) == ("waiting", "sq", "rest", False)
    assert item.held_by is None and item.reply_limit == 2000
    assert item.last_user_text == ASK_SQ
    # while waiting: one note that an operator will answer, then silence (never the failure apology)
    chat.expect("a jeni aty?", contains=("Një operator do t'ju përgjigjet këtu",))
    assert chat.say("alo").body == []
    assert console(servers, lambda c: c.take(item.handoff_id, "ana")).held_by == "ana"
    reply = "Përshëndetje, jam Ana nga linja e ndihmës. Si mund t'ju ndihmoj?"
    console(servers, lambda c: c.send(item.handoff_id, "ana", reply))
    # REST answers requests: the reply comes with the user's next one, once, and nothing else
    assert chat.say("po, kam nevoje per ndihme").texts == [reply]
    assert chat.say("faleminderit").body == []
    turns = console(servers, lambda c: c.history(item.handoff_id))
    assert [(t.who, t.text) for t in turns if t.who != "assistant"] == [
        ("user", ASK_SQ), ("user", "a jeni aty?"), ("user", "alo"), ("operator", reply),
        ("user", "po, kam nevoje per ndihme"), ("user", "faleminderit")]
    assert any(t.who == "assistant" and STARTED["sq"] in t.text for t in turns)
    goodbye = "Tani ju kthej te asistenti. Mirupafshim!"
    console(servers, lambda c: c.send(item.handoff_id, "ana", goodbye))
    console(servers, lambda c: c.release(item.handoff_id, "ana"))
    # released: the assistant answers again, and the last reply still reaches the user, once
    turn = chat.expect("sa dite mund te qendroj ne itali pa vize?", contains=("90",), language="sq")
    assert turn.texts.count(goodbye) == 1
    assert goodbye not in chat.say("faleminderit shume").texts
    with pytest.raises(Gone, match="no longer in the queue"):
        console(servers, lambda c: c.send(item.handoff_id, "ana", "a jeni ende aty?"))
    assert item.handoff_id not in {i.handoff_id for i in queue(servers)}


def test_of_two_operators_taking_at_once_exactly_one_wins(servers: Servers) -> None:
    _, item = ask_on_rest(servers, ASK_EN, "en")

    async def both(client: HandoffClient) -> list[Any]:
        return await asyncio.gather(*(client.take(item.handoff_id, name) for name in OPERATORS),
                                    return_exceptions=True)

    outcomes = console(servers, both)
    won = [o for o in outcomes if isinstance(o, QueueItem)]
    lost = [o for o in outcomes if isinstance(o, HeldByOther)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].message == f"{won[0].held_by} is already answering this conversation."
    loser = next(n for n in OPERATORS if n != won[0].held_by)
    with pytest.raises(HeldByOther):
        console(servers, lambda c: c.send(item.handoff_id, loser, "I'm here too"))
    console(servers, lambda c: c.close(item.handoff_id, won[0].held_by or ""))


def test_danger_while_waiting_gets_the_emergency_answer_and_goes_first(servers: Servers) -> None:
    chat, item = ask_on_rest(servers)
    turn = chat.say("me kanë marrë pasaportën dhe s'më lënë të dal")
    chat.check(turn.first_text.startswith("🚨") and "112" in turn.text, turn, "expected the emergency answer")
    first = queue(servers)[0]
    assert (first.handoff_id, first.danger) == (item.handoff_id, True)
    console(servers, lambda c: c.close(item.handoff_id, "ben"))
    chat.expect(QUESTION_EN, contains=("90",))  # closing resumes the assistant too


def test_after_the_emergency_answer_a_person_is_offered_and_yes_starts_the_handoff(servers: Servers) -> None:
    chat = Conversation(servers, "handoff-danger")
    turn = chat.say("they took my passport and they lock me in the house")
    chat.check(turn.first_text.startswith("🚨"), turn, "expected the emergency answer first")
    chat.check("Would you like to talk to a person?" in turn.texts[-1], turn, "expected the offer of a person last")
    chat.check([b["payload"] for b in turn.buttons][-2:] == ["/request_human", "/deny"], turn, "expected Yes / No")
    before = queue(servers)
    chat.expect("yes", contains=(STARTED["en"],), language="en")
    item = new_item(servers, before)
    assert (item.danger, item.language) == (True, "en")
    assert queue(servers)[0].handoff_id == item.handoff_id  # danger first
    console(servers, lambda c: c.close(item.handoff_id, "ana"))


def _age_conversation(servers: Servers, sender: str, seconds: float) -> None:
    """Moves every stored event of the conversation `seconds` into the past (its session then
    expires on the next message, as after that much silence)."""
    engine = sqlalchemy.create_engine(servers.tracker_url or "", poolclass=sqlalchemy.pool.NullPool)
    with engine.begin() as connection:
        rows = connection.execute(sqlalchemy.text("select id, data from events where sender_id = :s"),
                                  {"s": hash_sender(sender, "rest")}).all()
        for row_id, data in rows:
            event = json.loads(data)
            event["timestamp"] -= seconds
            connection.execute(sqlalchemy.text("update events set data = :d, timestamp = :t where id = :i"),
                               {"d": json.dumps(event), "t": event["timestamp"], "i": row_id})
    engine.dispose()


def test_a_held_conversation_stays_paused_when_its_session_expires(servers: Servers) -> None:
    chat, item = ask_on_rest(servers, ASK_EN, "en")
    console(servers, lambda c: c.take(item.handoff_id, "ben"))
    _age_conversation(servers, chat.sender, 2 * 3600)  # Rasa's session_expiration_time is 60 min
    assert chat.say(QUESTION_EN).body == []  # a new session, still paused: the assistant is silent
    kinds = [kind for kind, _ in servers.stored_events(chat.sender)]
    restarted = max(i for i, kind in enumerate(kinds) if kind == "session_started")
    assert "pause" in kinds[restarted:], kinds[restarted:]
    console(servers, lambda c: c.release(item.handoff_id, "ben"))
    chat.expect(QUESTION_EN, contains=("90",))


def test_with_nobody_present_the_user_is_told_the_hours_and_nothing_is_queued(servers: Servers) -> None:
    for name in OPERATORS:
        console(servers, lambda c, n=name: c.presence(n, False))
    before = queue(servers)
    chat = Conversation(servers, "handoff-alone")
    chat.expect(ASK_EN, contains=("Operators answer in the chat: Monday to Sunday, 00:00–24:00 (UTC)", "116 006"),
                absent=(STARTED["en"],), language="en")
    chat.expect(QUESTION_EN, contains=("90",))  # not paused
    assert queue(servers) == before


def test_a_reply_longer_than_the_channel_allows_is_refused_before_anything_is_sent(servers: Servers) -> None:
    chat, item = ask_on_rest(servers, ASK_EN, "en")
    console(servers, lambda c: c.take(item.handoff_id, "ana"))
    with pytest.raises(TooLong) as refused:
        console(servers, lambda c: c.send(item.handoff_id, "ana", "x" * 2001))
    assert refused.value.limit == 2000 and "2001 characters" in refused.value.message
    with pytest.raises(HandoffError, match="empty"):
        console(servers, lambda c: c.send(item.handoff_id, "ana", "  \u200b "))
    assert not [t for t in console(servers, lambda c: c.history(item.handoff_id)) if t.who == "operator"]
    assert chat.say("hello?").body == []
    console(servers, lambda c: c.close(item.handoff_id, "ana"))


def test_an_operator_writing_after_the_user_deleted_the_conversation_is_told_it_is_gone(servers: Servers) -> None:
    chat, item = ask_on_rest(servers)
    console(servers, lambda c: c.take(item.handoff_id, "ana"))
    deleted = subprocess.run([str(VENV_BIN / "helpline"), "conversations", "delete", chat.sender,
                              "--url", servers.tracker_url or ""], env=servers.env, capture_output=True,
                             text=True, timeout=120, check=False)
    assert deleted.returncode == 0, deleted.stderr
    with pytest.raises(Gone, match="deleted"):
        console(servers, lambda c: c.send(item.handoff_id, "ana", "a jeni aty?"))
    with pytest.raises(Gone, match="deleted"):
        console(servers, lambda c: c.history(item.handoff_id))
    assert item.handoff_id not in {i.handoff_id for i in queue(servers)}


# ------------------------------------------------------------------------------ socket.io


def test_a_socketio_user_gets_the_operators_reply_on_the_socket(servers: Servers) -> None:
    reply = "Hello, this is Ben from the helpline. How can I help you?"

    async def run(operator: HandoffClient) -> None:
        user = SocketChat(servers.url)
        await user.open()
        try:
            before = {i.handoff_id for i in await operator.queue()}
            await user.say(ASK_EN)
            assert any(STARTED["en"] in t for t in await user.texts(1)), user.received
            await asyncio.sleep(1.0)  # the whole offer (it may be split at blank lines)
            [item] = [i for i in await operator.queue() if i.handoff_id not in before]
            assert (item.channel, item.language, item.state) == ("socketio", "en", "waiting")
            await operator.take(item.handoff_id, "ben")
            user.received.clear()
            await operator.send(item.handoff_id, "ben", reply)
            assert await user.texts(1, timeout=10) == [reply]
            await user.say("thank you, I need help")
            await asyncio.sleep(QUIET)
            assert await user.texts(1) == [reply]  # held: the assistant stays silent
            history = await operator.history(item.handoff_id)
            assert [t.text for t in history if t.who == "operator"] == [reply]
            await operator.close(item.handoff_id, "ben")
            user.received.clear()
            await user.say(QUESTION_EN)
            assert any("90" in t for t in await user.texts(1)), user.received
        finally:
            await user.close()

    console(servers, run)


# ------------------------------------------------------------------------------ Telegram


def test_a_telegram_user_gets_the_operators_reply_through_the_telegram_api(servers: Servers,
                                                                          fake: FakeProviders) -> None:
    telegram = TelegramClient(fake.url)
    chat_id = str(random.randint(10**9, 10**10 - 1))
    before = queue(servers)
    hook = telegram.text(chat_id, ASK_EN, str(random.randint(10**8, 10**9 - 1)))
    assert requests.post(f"{servers.url}/webhooks/telegram/webhook", data=hook.body, headers=hook.headers,
                         timeout=30).status_code == 200
    offer = [telegram.sent(r) for r in fake.wait(telegram.to(chat_id))]
    assert any(s and STARTED["en"] in s.text for s in offer), offer
    item = new_item(servers, before)
    assert (item.channel, item.language, item.reply_limit) == ("telegram", "en", 4096)
    console(servers, lambda c: c.take(item.handoff_id, "ana"))
    with pytest.raises(TooLong) as refused:
        console(servers, lambda c: c.send(item.handoff_id, "ana", "x" * 4097))
    assert refused.value.limit == 4096
    reply = "Hello, I am Ana from the helpline. Are you safe right now?"
    console(servers, lambda c: c.send(item.handoff_id, "ana", reply))
    sent = [s for r in fake.wait(telegram.to(chat_id), at_least=len(offer) + 1) if (s := telegram.sent(r))]
    assert [s.text for s in sent[len(offer):]] == [reply]  # once, to that chat, as text
    console(servers, lambda c: c.close(item.handoff_id, "ana"))


def test_the_summary_counts_the_handoffs(servers: Servers) -> None:
    now = datetime.now(timezone.utc)
    summary = console(servers, lambda c: c.summary(now - timedelta(hours=1), now + timedelta(hours=1)))
    assert summary["handoffs"] >= 7 and summary["answered"] >= 6
    assert summary["handoffs"] == summary["answered"] + summary["never_answered"]
    assert set(summary) == {"handoffs", "answered", "never_answered", "mean_wait_seconds", "median_wait_seconds"}


def test_the_servers_logged_no_traceback(servers: Servers) -> None:
    logs = "\n".join(p.log_since(0) for p in servers.processes)
    assert "Traceback" not in logs, logs[-5000:]
