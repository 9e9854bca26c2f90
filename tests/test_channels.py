"""The messaging channels without Rasa: verification, parsing, splitting, rendering within each
channel's limits, retries, the reply window, configuration and the `helpline channels` commands.
Sends go over HTTP to the fake providers (tests/fake_providers.py); the state is a real SQLite file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_providers import (
    CLIENTS,
    Client,
    FakeProviders,
    MessengerClient,
    TelegramClient,
    TwilioClient,
    ViberClient,
    WhatsAppClient,
)
from multidict import CIMultiDict
from typer.testing import CliRunner

from bot.channels.base import (
    ChannelOutput,
    Incoming,
    Malformed,
    MessagingInput,
    Rejected,
    check_secret,
    shorten,
    split_text,
)
from bot.channels.commands import messaging_channels
from bot.channels.rest import HardenedRestInput
from bot.channels.socketio import HardenedSocketIOInput
from bot.channels.state import ChannelState
from bot.channels.telegram import CALLBACK_BYTES
from bot.channels.whatsapp import interactive
from bot.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = [f'/choose_card{{"card":"card_number_{i:02d}_with_a_rather_long_key"}}' for i in range(25)]
BUTTONS = [{"title": f"Karta numër {i} me një titull të gjatë për butonin", "payload": p}
           for i, p in enumerate(PAYLOADS)]


@dataclass
class StubRequest:
    """What the channels read of a Sanic request."""

    headers: CIMultiDict[str]
    url: str = "http://127.0.0.1:5005/webhooks/twilio/webhook"
    args: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def state(tmp_path: Path) -> ChannelState:
    return ChannelState(f"sqlite:///{tmp_path / 'channels.db'}")


def channel_for(client: Client, state: ChannelState) -> MessagingInput:
    cls = messaging_channels()[client.name]
    defaults = {name: default or "" for name, default in cls.settings.items()}
    return cls({**defaults, **client.env()}, state=state)


def parse(channel: MessagingInput, hook: Any) -> list[Incoming]:
    request = StubRequest(CIMultiDict(hook.headers))
    channel.verify(request, hook.body)
    return channel.parse(request, hook.body)


# ---------------------------------------------------------------------------------------------
# Pure helpers


def test_split_text_keeps_paragraphs_whole_and_in_order() -> None:
    paragraphs = ["🚨 Telefononi 112.", "Linja 116 006 është falas.", "x" * 50]
    assert split_text("\n\n".join(paragraphs), 60) == [f"{paragraphs[0]}\n\n{paragraphs[1]}", paragraphs[2]]
    assert split_text("\n\n".join(paragraphs), 1000) == ["\n\n".join(paragraphs)]
    assert split_text("  \n\n ", 10) == []


def test_split_text_cuts_a_long_paragraph_at_sentences_then_words_within_the_limit() -> None:
    paragraph = "Kjo është fjalia e parë. " * 30 + "fund"
    parts = split_text(paragraph, 100)
    assert all(len(p) <= 100 for p in parts)
    assert all(p.endswith(".") for p in parts[:-1])
    assert " ".join(parts).split() == paragraph.split()
    assert split_text("a" * 250, 100) == ["a" * 100, "a" * 100, "a" * 50]


def test_shorten_marks_a_cut_title() -> None:
    assert shorten("Kthimi vullnetar", 20) == "Kthimi vullnetar"
    assert shorten("Ndihmë kundër trafikimit", 20) == "Ndihmë kundër trafi…"
    assert len(shorten("x" * 30, 20)) == 20


def test_check_secret_says_401_without_and_403_with_a_wrong_secret() -> None:
    check_secret("abc", "abc", "token")
    with pytest.raises(Rejected) as missing:
        check_secret(None, "abc", "token")
    with pytest.raises(Rejected) as wrong:
        check_secret("abd", "abc", "token")
    assert (missing.value.status, wrong.value.status) == (401, 403)


def test_twilio_signature_matches_the_vector_of_twilios_own_library() -> None:
    from bot.channels.twilio import signature

    params = {"CallSid": ["CA1234567890ABCDE"], "Caller": ["+14158675309"], "Digits": ["1234"],
              "From": ["+14158675309"], "To": ["+18005551212"]}
    assert signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params) == \
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_whatsapp_uses_reply_buttons_only_when_three_short_titles_fit() -> None:
    from bot.channels.base import Button

    short = [Button("Po", "/affirm"), Button("Jo", "/deny"), Button("Shqip", '/switch_language{"language":"sq"}')]
    assert interactive("Zgjidhni", short)["type"] == "button"
    four = [*short, Button("English", '/switch_language{"language":"en"}')]
    long_title = [Button("Punë jashtë, ligjërisht e sigurt", "/a")]
    for buttons in (four, long_title):
        rendered = interactive("Zgjidhni", buttons)
        assert rendered["type"] == "list"
        assert len(rendered["action"]["button"]) <= 20
    too_long_for_a_row = [*four, Button("Tjetër", "/" + "x" * 200)]
    rows = interactive("Zgjidhni", too_long_for_a_row)["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [b.payload for b in four]  # a row id holds 200 characters


# ---------------------------------------------------------------------------------------------
# Verification and parsing, for every channel


@pytest.fixture(params=[c.name for c in CLIENTS])
def client(request: pytest.FixtureRequest, fake: FakeProviders) -> Client:
    return next(c for c in CLIENTS if c.name == request.param)(fake.url)


def test_a_signed_message_is_parsed_and_an_unsigned_or_forged_one_refused(client: Client,
                                                                           state: ChannelState) -> None:
    channel = channel_for(client, state)
    hook = client.text("355691234567", "Përshëndetje", "100200300")
    [incoming] = parse(channel, hook)
    assert (incoming.kind, incoming.text, incoming.sender) == ("text", "Përshëndetje", "355691234567")
    for attack, status in ((client.unsigned(hook), 401), (client.forged(hook), 403)):
        with pytest.raises(Rejected) as refused:
            channel.verify(StubRequest(CIMultiDict(attack.headers)), attack.body)
        assert refused.value.status == status


def test_a_tampered_body_fails_verification(client: Client, state: ChannelState) -> None:
    channel = channel_for(client, state)
    hook = client.text("355691234567", "Përshëndetje", "100200300")
    if client.name == "telegram":
        pytest.skip("Telegram signs nothing: the secret token is the whole check")
    tampered = hook.body.replace(b"355691234567", b"355691234568")
    assert tampered != hook.body
    with pytest.raises(Rejected):
        channel.verify(StubRequest(CIMultiDict(hook.headers)), tampered)


def test_non_text_and_taps_are_told_apart(client: Client, state: ChannelState) -> None:
    channel = channel_for(client, state)
    [other] = parse(channel, client.non_text("355691234567", "100200301"))
    assert other.kind == "other"
    if client.name != "twilio":
        [tap] = parse(channel, client.tap("355691234567", '/choose_topic{"topic":"remittances"}', "Para",
                                          "100200302"))
        assert tap.text == '/choose_topic{"topic":"remittances"}'


def test_a_signed_malformed_body_is_malformed(client: Client, state: ChannelState) -> None:
    channel = channel_for(client, state)
    others = [] if client.name == "twilio" else [client.signed(b"\xff\xfe not json"), client.signed(b"[1, 2]")]
    for body in (client.malformed(), *others):
        with pytest.raises(Malformed):
            parse(channel, body)


def test_receipts_echoes_and_statuses_are_ignored(state: ChannelState, fake: FakeProviders) -> None:
    messenger = MessengerClient(fake.url)
    echo = messenger.delivery({"sender": {"id": "PAGE_ID"}, "recipient": {"id": "1"}, "timestamp": 1,
                               "message": {"mid": "m_1", "text": "…", "is_echo": True}},
                              {"sender": {"id": "1"}, "recipient": {"id": "PAGE_ID"}, "timestamp": 1,
                               "delivery": {"mids": ["m_0"], "watermark": 1}})
    assert parse(channel_for(messenger, state), echo) == []
    viber = ViberClient(fake.url)
    assert parse(channel_for(viber, state), viber.signed(json.dumps(
        {"event": "delivered", "timestamp": 1, "message_token": 1, "user_id": "x"}).encode())) == []
    whatsapp = WhatsAppClient(fake.url)
    other_number = whatsapp.delivery(whatsapp.message("355691234567", "1", "text", {"body": "hi"}))
    other_number.body = other_number.body.replace(whatsapp.phone_number_id.encode(), b"999")
    assert parse(channel_for(whatsapp, state), whatsapp.signed(other_number.body)) == []


def test_a_message_id_is_claimed_once_and_kept_as_a_hash(state: ChannelState) -> None:
    assert state.claim("whatsapp", "wamid.HBgLMzU1NjkxMjM0NTY3")
    assert not state.claim("whatsapp", "wamid.HBgLMzU1NjkxMjM0NTY3")
    assert state.claim("viber", "wamid.HBgLMzU1NjkxMjM0NTY3")  # another channel's id space
    assert ChannelState(state.url).claim("whatsapp", "wamid.HBgLMzU1NjkxMjM0NTY3") is False  # another process
    with state.engine.connect() as connection:
        keys = [row[0] for row in connection.exec_driver_sql("select key from channel_seen")]
    assert not any("HBgL" in key for key in keys)


def test_two_processes_claiming_the_same_ids_at_once_accept_each_once(database_url: str) -> None:
    """Two stores (as two replicas) claim the same 100 ids at the same moment, one thread each:
    the primary key makes every claim atomic, so each id is accepted by exactly one of them."""
    stores = [ChannelState(database_url), ChannelState(database_url)]
    ids = [f"wamid.{i:04d}" for i in range(100)]
    together = threading.Barrier(2)
    won: list[list[bool]] = [[], []]

    def claim_all(index: int) -> None:
        for message_id in ids:
            together.wait(timeout=30)
            won[index].append(stores[index].claim("whatsapp", message_id))

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [a + b for a, b in zip(*won, strict=True)] == [1] * len(ids)
    assert 0 < sum(won[0]) < len(ids)  # both won some: the claims did race
    for store in stores:
        store.engine.dispose()


def test_an_expired_id_counts_as_new(state: ChannelState) -> None:
    from bot.channels.state import SEEN_TTL

    assert state.claim("telegram", "1", now=1000.0)
    assert state.claim("telegram", "1", now=1000.0 + SEEN_TTL + 1)


# ---------------------------------------------------------------------------------------------
# Sending, over HTTP to the fake providers


def output_for(client: Client, state: ChannelState, sent_at: float | None = None) -> ChannelOutput:
    channel = channel_for(client, state)
    return channel.output_class(channel, Incoming("1", "355691234567", "text", "x", sent_at=sent_at))


def sent_to(fake: FakeProviders, client: Client, sender: str) -> list[Any]:
    return [client.sent(r) for r in fake.to(client.to(sender))]


async def test_25_buttons_are_rendered_within_each_channels_limits(client: Client, state: ChannelState,
                                                                   fake: FakeProviders) -> None:
    sender = f"+35569{len(client.name):07d}1" if client.name == "twilio" else f"5{len(client.name)}25"
    output = output_for(client, state)
    await output.send_response(sender, {"text": "Cilën kartë kishit parasysh?", "buttons": BUTTONS})
    [sent] = sent_to(fake, client, sender)
    limits = {"whatsapp": (10, 24), "messenger": (13, 20), "telegram": (25, 64), "viber": (24, 40)}
    if client.name == "twilio":
        lines = [line for line in sent.text.splitlines() if line[:1].isdigit()]
        assert len(lines) == 9 and lines[1].startswith("2. ") and len(sent.text) <= 1600
        chosen = await output.channel.prepare(Incoming("2", sender, "text", "2"))
        assert chosen == PAYLOADS[1]
        return
    most, title = limits[client.name]
    assert 1 <= len(sent.payloads) <= most
    assert all(len(t) <= title for t in sent.titles)
    if client.name == "whatsapp":
        assert sent.raw["interactive"]["type"] == "list" and len(sent.text) <= 1024
    if client.name == "telegram":
        assert all(len(p.encode()) <= CALLBACK_BYTES for p in sent.payloads)
        resolved = [await output.channel.prepare(Incoming("9", sender, "button", p, context={"callback_id": "c"}))
                    for p in sent.payloads]
        assert resolved == PAYLOADS  # the long payloads came back through the kept keys
    else:
        assert sent.payloads == PAYLOADS[:most]


async def test_a_long_answer_is_split_at_paragraphs_within_the_limit(state: ChannelState,
                                                                     fake: FakeProviders) -> None:
    client = MessengerClient(fake.url)
    paragraphs = [f"Paragrafi {i}: " + "fjalë " * 60 for i in range(12)]
    await output_for(client, state).send_response("7001", {"text": "\n\n".join(paragraphs)})
    sent = sent_to(fake, client, "7001")
    assert len(sent) > 1 and all(len(s.text) <= 2000 for s in sent)
    assert "\n\n".join(s.text for s in sent).split("\n\n") == [p.strip() for p in paragraphs]


async def test_tap_to_call_marks_become_plain_numbers(state: ChannelState, fake: FakeProviders) -> None:
    client = ViberClient(fake.url)
    await output_for(client, state).send_response("vb-tel", {"text": "Telefononi [116 006](tel:116006)."})
    [sent] = sent_to(fake, client, "vb-tel")
    assert sent.text == "Telefononi 116 006."


@pytest.mark.parametrize("error, attempts", [("rate", 2), ("bad", 1)])
async def test_only_rate_limits_and_server_errors_are_retried(error: str, attempts: int, state: ChannelState,
                                                              fake: FakeProviders) -> None:
    client = TelegramClient(fake.url)
    sender = str(8000 + attempts)
    fake.plan("telegram", error, "/sendMessage")
    await output_for(client, state).send_response(sender, {"text": "Përgjigje"})
    records = fake.to(client.to(sender))
    assert len(records) == attempts
    assert records[0].refused and (attempts == 1 or not records[-1].refused)


async def test_a_failed_send_is_logged_without_the_text(state: ChannelState, fake: FakeProviders,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    client = TwilioClient(fake.url)
    fake.plan("twilio", "bad", "/Messages.json")
    await output_for(client, state).send_response("+355690000001", {"text": "Sekret i personit"})
    assert "not delivered" in caplog.text and "21211" in caplog.text
    assert "Sekret" not in caplog.text


async def test_nothing_is_sent_outside_the_24_hour_window(state: ChannelState, fake: FakeProviders,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    import time

    for client in (WhatsAppClient(fake.url), MessengerClient(fake.url)):
        await output_for(client, state, sent_at=time.time() - 25 * 3600).send_response("9901", {"text": "Vonë"})
        await output_for(client, state, sent_at=time.time() - 3600).send_response("9902", {"text": "Në kohë"})
        assert sent_to(fake, client, "9901") == [] and len(sent_to(fake, client, "9902")) == 1
    assert "24-hour window" in caplog.text


# ---------------------------------------------------------------------------------------------
# Configuration and commands


def test_every_channel_in_credentials_yml_is_guarded() -> None:
    import importlib

    configured = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    classes = []
    for path in configured:
        module, _, name = path.rpartition(".")
        classes.append(getattr(importlib.import_module(module), name))
    from bot.channels.operator import OperatorInput

    # the operator routes take no user message (the console's, behind its token: test_handoff_e2e.py)
    guarded = (MessagingInput, HardenedRestInput, HardenedSocketIOInput, OperatorInput)
    assert all(issubclass(cls, guarded) for cls in classes), classes
    assert {c.name() for c in classes} >= {"viber", "whatsapp", "messenger", "telegram", "twilio"}


def test_a_channel_without_its_secrets_is_not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.channels.rest import RestInput

    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    channel = messaging_channels()["telegram"].from_credentials(None)
    assert channel.missing == ["TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"]
    hook = channel.blueprint(lambda message: None)  # type: ignore[arg-type, return-value]
    assert [route.uri for route in hook._future_routes] == ["/"]
    assert not issubclass(type(channel), RestInput)


def test_channels_status_says_which_start_and_why_not(monkeypatch: pytest.MonkeyPatch) -> None:
    for client in CLIENTS:
        for name in client("x").env():
            monkeypatch.delenv(name, raising=False)
    for name, value in TelegramClient("http://x").env().items():
        monkeypatch.setenv(name, value)
    result = CliRunner(mix_stderr=False).invoke(app, ["channels", "status"])
    assert result.exit_code == 0
    assert "telegram: started at /webhooks/telegram/webhook" in result.stdout
    assert "viber: not started: VIBER_AUTH_TOKEN not set" in result.stdout


@pytest.mark.parametrize("client_class", [TelegramClient, ViberClient])
def test_set_webhook_registers_with_the_provider(client_class: type[Client], fake: FakeProviders,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_class(fake.url)
    for name, value in client.env().items():
        monkeypatch.setenv(name, value)
    url = f"https://helpline.example.org/webhooks/{client.name}/webhook"
    result = CliRunner(mix_stderr=False).invoke(app, ["channels", "set-webhook", client.name, url])
    assert result.exit_code == 0, result.stderr
    [call] = fake.to(lambda r: r.path.endswith(("/setWebhook", "/set_webhook")) and r.body.get("url") == url)
    if client.name == "telegram":
        assert call.body["secret_token"] == TelegramClient.secret
        assert call.path == f"/bot{TelegramClient.token}/setWebhook"
    else:
        assert call.headers["X-Viber-Auth-Token"] == ViberClient.token and "message" in call.body["event_types"]


def test_set_webhook_explains_the_channels_registered_elsewhere() -> None:
    result = CliRunner(mix_stderr=False).invoke(app, ["channels", "set-webhook", "whatsapp", "https://x.org/w"])
    assert result.exit_code == 2 and "Meta app dashboard" in result.stderr


def test_the_example_payloads_in_the_docs_are_parsed_as_the_docs_say(state: ChannelState,
                                                                      fake: FakeProviders) -> None:
    import re

    docs = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
    examples = dict(re.findall(r"<!-- payload:(\w+) -->\n```\w*\n(.*?)```", docs, re.S))
    assert set(examples) == {c.name for c in CLIENTS}
    for client_class in CLIENTS:
        client = client_class(fake.url)
        body = examples[client.name].strip().encode()
        if client.name != "twilio":
            json.loads(body)
        [incoming] = parse(channel_for(client, state), client.signed(body))
        assert (incoming.kind, incoming.text) == ("text", "Si mund të punoj ligjërisht në Gjermani?"), client.name


@dataclass
class StubWebhookRequest(StubRequest):
    body: bytes = b""


async def test_a_webhook_is_not_acknowledged_while_the_database_is_down(state: ChannelState,
                                                                        fake: FakeProviders) -> None:
    """503, so the provider delivers it again; once the database is back it is answered once."""
    import asyncio

    from rasa.core.channels.channel import UserMessage

    client = TelegramClient(fake.url)
    channel = channel_for(client, state)
    received: list[str] = []

    async def handle(message: UserMessage) -> None:
        received.append(message.text or "")
        await message.output_channel.send_text_message(message.sender_id, "Përgjigje")

    hook = client.text("4242", "Përshëndetje", "777001")
    request = StubWebhookRequest(CIMultiDict(hook.headers), body=hook.body)
    with state.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE channel_seen")
    assert (await channel.receive(request, handle)).status == 503  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert received == []
    ChannelState(state.url)  # the database is back (its table made again)
    for _ in range(2):
        assert (await channel.receive(request, handle)).status == 200  # type: ignore[arg-type]
    await asyncio.gather(*channel._tasks)
    assert received == ["Përshëndetje"]
    assert [s.text for s in sent_to(fake, client, "4242")] == ["Përgjigje"]


async def test_verification_comes_before_parsing_and_size_before_both(state: ChannelState,
                                                                      fake: FakeProviders) -> None:
    client = ViberClient(fake.url)
    channel = channel_for(client, state)

    async def handle(message: Any) -> None:
        raise AssertionError("nothing may be processed")

    garbage = b"\x00not json at all"
    unsigned = StubWebhookRequest(CIMultiDict({"Content-Type": "application/json"}), body=garbage)
    signed = client.signed(garbage)
    huge = client.signed(b"{" + b" " * 300_000 + b"}")
    statuses = [(await channel.receive(r, handle)).status for r in (  # type: ignore[arg-type]
        unsigned, StubWebhookRequest(CIMultiDict(signed.headers), body=signed.body),
        StubWebhookRequest(CIMultiDict(huge.headers), body=huge.body))]
    assert statuses == [401, 400, 413]


def _mutations(value: Any, rng: Any) -> Iterator[Any]:
    """The value with one nested field replaced by something of another type, many times over."""
    odd = [None, 7, -1.5, "", "x", [], {}, [1, "a"], {"id": None}, True]
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*path, index))

    walk(value, ())
    for path in paths:
        for replacement in rng.sample(odd, 4):
            copy = json.loads(json.dumps(value))
            if not path:
                yield replacement
                continue
            node = copy
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = replacement
            yield copy


@pytest.mark.parametrize("name", ["viber", "whatsapp", "messenger", "telegram"])
def test_a_signed_body_of_any_shape_is_parsed_or_refused_never_a_crash(name: str, state: ChannelState,
                                                                       fake: FakeProviders) -> None:
    import random

    client = next(c for c in CLIENTS if c.name == name)(fake.url)
    channel = channel_for(client, state)
    rng = random.Random(12)
    for hook in (client.text("355691234567", "Përshëndetje", "5"), client.non_text("355691234567", "6"),
                 client.tap("355691234567", "/greet", "Hi", "7")):
        for mutated in _mutations(json.loads(hook.body), rng):
            body = json.dumps(mutated).encode()
            try:
                found = parse(channel, client.signed(body))
            except Malformed:
                continue
            assert all(isinstance(m.text, str) and isinstance(m.sender, str) and m.message_id for m in found), body
