"""The five messaging channels end to end: the real Rasa and action servers, with the real
credentials.yml, every channel's variables set and its API pointed at a fake provider on
loopback (tests/fake_providers.py), which records what the assistant sends.

Run: .venv/bin/pytest -q -m e2e tests/test_channels_e2e.py
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy
from e2e_support import Servers, language_of
from fake_providers import (
    CLIENTS,
    Client,
    FakeProviders,
    MessengerClient,
    Sent,
    TelegramClient,
    TwilioClient,
    Webhook,
    WhatsAppClient,
)

pytestmark = pytest.mark.e2e

DANGER = "me kanë marrë pasaportën dhe s'më lënë të dal"
GREETING = "Përshëndetje"
QUESTION = "Si mund të kthehem vullnetarisht nga Gjermania në Shqipëri?"
EMERGENCY_WINDOW = 300
NOTHING_WAIT = 3.0  # seconds to wait for a reply that must not come


class ChannelServers(Servers):
    """Rasa and the action server with the messaging channels' variables set."""

    channel_env: dict[str, str]

    def allocate_ports(self) -> None:
        super().allocate_ports()
        self.env.update(self.channel_env)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, fake: FakeProviders) -> Iterator[ChannelServers]:
    workdir = tmp_path_factory.mktemp("channels-e2e")
    running = ChannelServers.with_tracker_store(workdir)
    running.channel_env = {k: v for client in CLIENTS for k, v in client(fake.url).env().items()}
    try:
        running.start()
    except Exception as error:
        running.stop()
        pytest.fail(f"The assistant did not start: {error}", pytrace=False)
    yield running
    running.stop()


@pytest.fixture(params=[c.name for c in CLIENTS])
def client(request: pytest.FixtureRequest, fake: FakeProviders) -> Client:
    return next(c for c in CLIENTS if c.name == request.param)(fake.url)


def new_sender(client: Client) -> str:
    digits = str(random.randint(10**11, 10**12 - 1))
    if client.name == "twilio":
        return f"+3556{digits[:8]}"
    if client.name == "viber":
        return f"{digits}Vb+Xq=="
    return digits


def new_id() -> str:
    return str(random.randint(10**8, 10**9 - 1))


def post(servers: Servers, client: Client, hook: Webhook) -> requests.Response:
    return requests.post(f"{servers.url}/webhooks/{client.name}/webhook", data=hook.body,
                         headers=hook.headers, timeout=30)


def replies(fake: FakeProviders, client: Client, sender: str, at_least: int = 1, *,
            servers: Servers | None = None, turns: int = 0, timeout: float = 90.0) -> list[Sent]:
    """What the assistant delivered to `sender` (the provider accepted it), in order. With
    `servers`, first waits until Rasa has stored `turns` finished turns of the conversation (it
    stores a turn after its replies were sent), so a slow turn is not taken for a finished one."""
    deadline = time.monotonic() + timeout
    while servers and turns and time.monotonic() < deadline and finished_turns(servers, client, sender) < turns:
        time.sleep(0.2)
    records = fake.wait(client.to(sender), at_least=at_least, timeout=max(deadline - time.monotonic(), 1.0))
    return [s for r in records if not r.refused and (s := client.sent(r)) is not None]


def finished_turns(servers: Servers, client: Client, sender: str) -> int:
    """User messages of the conversation followed, later, by Rasa listening again."""
    done, pending = 0, False
    for kind, data in servers.stored_events(sender, client.name):
        if kind == "user":
            pending = True
        elif kind == "action" and pending and json.loads(data).get("name") == "action_listen":
            done, pending = done + 1, False
    return done


def user_texts(servers: Servers, client: Client, sender: str) -> list[str]:
    return [json.loads(data).get("text") for kind, data in servers.stored_events(sender, client.name)
            if kind == "user"]


def seen_rows(servers: Servers) -> int:
    engine = sqlalchemy.create_engine(servers.env["HELPLINE_DB_URL"], poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text("select count(*) from channel_seen")).scalar_one()
    finally:
        engine.dispose()


def joined(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


def test_an_albanian_message_gets_an_albanian_answer(servers: Servers, fake: FakeProviders, client: Client) -> None:
    sender = new_sender(client)
    answer = post(servers, client, client.text(sender, QUESTION, new_id()))
    assert answer.status_code == 200, answer.text
    sent = replies(fake, client, sender, servers=servers, turns=1)
    assert sent, f"nothing was delivered to the {client.name} fake"
    assert language_of(joined(sent)) == "sq", joined(sent)
    assert "](tel:" not in joined(sent)  # the widget's tap-to-call marks are not shown as Markdown
    assert user_texts(servers, client, sender) == [QUESTION]


def test_a_danger_message_gets_the_emergency_numbers_first(servers: Servers, fake: FakeProviders,
                                                           client: Client) -> None:
    sender = new_sender(client)
    assert post(servers, client, client.text(sender, DANGER, new_id())).status_code == 200
    sent = replies(fake, client, sender, servers=servers, turns=1)
    head = sent[0].text[:EMERGENCY_WINDOW]
    assert "112" in head or "116 006" in head, sent[0].text
    assert "112" in joined(sent) and "116 006" in joined(sent)


def test_a_button_tap_arrives_as_its_payload(servers: Servers, fake: FakeProviders, client: Client) -> None:
    sender = new_sender(client)
    post(servers, client, client.text(sender, GREETING, new_id()))
    greeting = replies(fake, client, sender, servers=servers, turns=1)
    if client.name == "twilio":  # numbered options; "2" chooses the second
        assert "\n1. " in greeting[-1].text and "\n2. " in greeting[-1].text, greeting[-1].text
        post(servers, client, client.text(sender, "2", new_id()))
    else:
        with_buttons = [s for s in greeting if s.payloads]
        assert with_buttons, f"the greeting had no buttons: {greeting}"
        offered = with_buttons[-1]
        post(servers, client, client.tap(sender, offered.payloads[1], offered.titles[1], new_id()))
    after = replies(fake, client, sender, at_least=len(greeting) + 1, servers=servers, turns=2)
    assert len(after) > len(greeting)
    tapped = user_texts(servers, client, sender)[-1]
    assert tapped.startswith("/choose_topic{"), tapped  # the second topic, as a payload the guard accepts
    if client.name == "telegram":
        answered = fake.to(lambda r: r.path.endswith("/answerCallbackQuery"))
        assert any(r.body["callback_query_id"].startswith("4382") for r in answered)


def test_the_same_webhook_twice_gives_one_reply(servers: Servers, fake: FakeProviders, client: Client) -> None:
    sender = new_sender(client)
    hook = client.text(sender, QUESTION, new_id())
    assert post(servers, client, hook).status_code == 200
    assert post(servers, client, hook).status_code == 200
    sent = replies(fake, client, sender, servers=servers, turns=1)
    fake.wait(client.to(sender), quiet=NOTHING_WAIT)  # time for a second turn to show, were there one
    texts = [s.text for s in sent]
    assert len(texts) == len(set(texts)), texts
    assert user_texts(servers, client, sender) == [QUESTION]


@pytest.mark.parametrize("attack", ["unsigned", "forged"])
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_kept(
        servers: Servers, fake: FakeProviders, client: Client, attack: str) -> None:
    sender = new_sender(client)
    genuine = client.text(sender, QUESTION, new_id())
    before = seen_rows(servers)
    answer = post(servers, client, getattr(client, attack)(genuine))
    assert answer.status_code == (401 if attack == "unsigned" else 403)
    assert QUESTION not in answer.text
    assert fake.wait(client.to(sender), timeout=NOTHING_WAIT) == []
    assert servers.stored_events(sender, client.name) == []
    assert seen_rows(servers) == before


def test_a_malformed_body_is_refused_and_nothing_is_kept(servers: Servers, fake: FakeProviders,
                                                         client: Client) -> None:
    before = seen_rows(servers)
    answer = post(servers, client, client.malformed())
    assert answer.status_code == 400, answer.text
    assert seen_rows(servers) == before


def test_a_rate_limited_send_is_retried_and_delivered_once(servers: Servers, fake: FakeProviders,
                                                           client: Client) -> None:
    sender = new_sender(client)
    fake.plan(client.name, "rate", client.send_path)
    assert post(servers, client, client.text(sender, DANGER, new_id())).status_code == 200
    records = fake.wait(client.to(sender), at_least=2)
    assert records[0].refused and not any(r.refused for r in records[1:])
    assert client.sent(records[1]).text == client.sent(records[0]).text  # the same message, again
    texts = [client.sent(r).text for r in records[1:]]
    assert len(texts) == len(set(texts)), texts


def test_a_picture_or_voice_message_gets_the_numbers_and_a_word_on_text(
        servers: Servers, fake: FakeProviders, client: Client) -> None:
    sender = new_sender(client)
    assert post(servers, client, client.non_text(sender, new_id())).status_code == 200
    sent = replies(fake, client, sender)
    assert len(sent) == 1
    assert "vetëm mesazhe me shkrim" in sent[0].text
    assert "112" in sent[0].text and "116 006" in sent[0].text
    assert servers.stored_events(sender, client.name) == []  # nothing for Rasa to keep


def test_a_non_text_answer_follows_the_conversations_language(servers: Servers, fake: FakeProviders) -> None:
    """The Telegram app says Albanian, but the person writes in English: the answer to a voice
    message is in English."""
    telegram = TelegramClient(fake.url)
    sender = new_sender(telegram)
    post(servers, telegram, telegram.text(sender, "How can I return home voluntarily from Germany?", new_id()))
    first = replies(fake, telegram, sender, servers=servers, turns=1)
    post(servers, telegram, telegram.non_text(sender, new_id()))
    after = replies(fake, telegram, sender, at_least=len(first) + 1)
    assert "only read text messages" in after[-1].text, after[-1].text
    assert "112" in after[-1].text


def test_every_message_of_a_batched_delivery_is_answered(servers: Servers, fake: FakeProviders) -> None:
    whatsapp, messenger = WhatsAppClient(fake.url), MessengerClient(fake.url)
    first, second = new_sender(whatsapp), new_sender(whatsapp)
    post(servers, whatsapp, whatsapp.delivery(whatsapp.message(first, new_id(), "text", {"body": QUESTION}),
                                              whatsapp.message(second, new_id(), "text", {"body": DANGER})))
    for sender in (first, second):
        assert replies(fake, whatsapp, sender, servers=servers, turns=1)
    one, two = new_sender(messenger), new_sender(messenger)
    post(servers, messenger, messenger.delivery(messenger.event(one, {"mid": f"m_{new_id()}", "text": QUESTION}),
                                                messenger.event(two, {"mid": f"m_{new_id()}", "text": DANGER})))
    for sender in (one, two):
        assert replies(fake, messenger, sender, servers=servers, turns=1)
    assert user_texts(servers, messenger, two) == [DANGER]


def test_whatsapp_answers_nothing_outside_the_24_hour_window(servers: Servers, fake: FakeProviders) -> None:
    whatsapp = WhatsAppClient(fake.url)
    sender = new_sender(whatsapp)
    late = whatsapp.message(sender, new_id(), "text", {"body": QUESTION}, at=time.time() - 25 * 3600)
    assert post(servers, whatsapp, whatsapp.delivery(late)).status_code == 200
    assert fake.wait(whatsapp.to(sender), timeout=NOTHING_WAIT * 3) == []
    log = Path(servers.rasa.log).read_text(encoding="utf-8", errors="replace") if servers.rasa else ""
    assert "24-hour window" in log


@pytest.mark.parametrize("name", ["whatsapp", "messenger"])
def test_the_meta_subscription_handshake(servers: Servers, name: str) -> None:
    token = {"whatsapp": "verify-me", "messenger": "verify-me-too"}[name]
    url = f"{servers.url}/webhooks/{name}/webhook"
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": token,
                                   "hub.challenge": "1158201444"}, timeout=10)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                      "hub.challenge": "1158201444"}, timeout=10)
    assert wrong.status_code == 403 and "1158201444" not in wrong.text


def test_an_sms_reply_is_short_and_a_number_not_offered_is_text(servers: Servers, fake: FakeProviders) -> None:
    twilio = TwilioClient(fake.url)
    sender = new_sender(twilio)
    post(servers, twilio, twilio.text(sender, "7", new_id()))
    sent = replies(fake, twilio, sender, servers=servers, turns=1)
    assert all(len(s.text) <= 480 for s in sent)
    assert user_texts(servers, twilio, sender) == ["7"]  # no options were offered: "7" stays text


def test_the_servers_logged_no_error_or_traceback(servers: Servers) -> None:
    """Runs last: whatever the tests above sent, nothing crashed (refusals are warnings)."""
    problems = [f"[{p.name}] {line}" for p in servers.processes for line in p.log_since(0).splitlines()
                if "Traceback" in line or " ERROR " in line]
    assert not problems, "\n".join(problems[:30])
