"""Rate limits per sender, per client address and overall, shared through a real Redis
(HELPLINE_TEST_REDIS_URL, started by scripts/test.sh), and the client address they count by.

Two `RateLimits` objects stand for two processes: each has its own connections and its own
in-process windows, so what one counts reaches the other only through Redis.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
import requests
from e2e_support import Servers, SocketChat
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot import settings
from bot.channels import address as address_module
from bot.channels.address import CLIENT_ADDRESS, client_address, parse_networks
from bot.channels.guard import TOO_FAST, bilingual_text, guard
from bot.channels.socketio import peer_address
from bot.limits import KEY_PREFIX, RateLimits, address_key

REDIS_URL_ENV = "HELPLINE_TEST_REDIS_URL"
DANGER = "they took my passport, help"


def shared_test_redis() -> str:
    """The test Redis, emptied; skips when there is none (scripts/test.sh starts one)."""
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        pytest.skip(f"{REDIS_URL_ENV} is not set, so there is no Redis server to test against "
                    "(scripts/test.sh starts one)")
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def redis_url() -> str:
    return shared_test_redis()


def limits(url: str, per_sender: int = 20, per_address: int = 0, overall: int = 0,
           window: float = 60) -> RateLimits:
    return RateLimits(per_sender, per_address, overall, window, url)


async def refusals(limits_: RateLimits, count: int, *, sender: str | None = None,
                   address: str | None = None) -> list[str | None]:
    """What the limits answer to `count` messages (a new sender id each, unless given)."""
    return [await limits_.refused(sender or uuid.uuid4().hex, address) for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# Shared through Redis


async def test_two_processes_share_the_per_sender_limit(redis_url: str) -> None:
    first, second = limits(redis_url), limits(redis_url)
    for _ in range(10):  # 20 messages of one sender, alternating between the two processes
        assert await first.refused("ana") is None
        assert await second.refused("ana") is None
    assert await first.refused("ana") == "sender"
    assert await second.refused("ana") == "sender"
    assert await second.refused("bledi") is None  # another sender is not affected


async def test_a_victims_danger_message_after_20_forged_messages_gets_the_emergency_answer(
        redis_url: str) -> None:
    """Someone sends 20 messages under the victim's id to one replica; the victim writes to
    another: the message is not processed, but the answer is the emergency one."""
    forger, victims_replica = limits(redis_url), limits(redis_url)
    processed: list[str] = []

    async def rasa(message: UserMessage) -> None:
        processed.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": "an answer"})

    async def send(limits_: RateLimits, text: str) -> list[str]:
        output = CollectingOutputChannel()
        await guard(rasa, limits_)(UserMessage(text, output, "victim-4d2a"))
        return [m["text"] for m in output.messages]

    for i in range(20):
        assert await send(forger, f"forged {i}") == ["an answer"]
    processed.clear()
    assert await send(victims_replica, DANGER) == [bilingual_text("utter_emergency")]
    ordinary = await send(victims_replica, "sa dite mund te qendroj ne itali?")
    assert ordinary[0].startswith(TOO_FAST) and "116 006" in ordinary[0]
    assert processed == []  # neither reached Rasa


async def test_rotating_sender_ids_from_one_address_hit_the_address_limit(redis_url: str) -> None:
    first, second = limits(redis_url, per_address=30), limits(redis_url, per_address=30)
    assert await refusals(first, 15, address="203.0.113.7") == [None] * 15
    assert await refusals(second, 15, address="203.0.113.7") == [None] * 15
    assert await refusals(first, 3, address="203.0.113.7") == ["address"] * 3
    assert await first.refused("someone", "203.0.113.8") is None  # the neighbour is not affected
    assert await first.refused("someone-else") is None  # a messaging channel passes no address


async def test_the_address_limit_through_the_guard_reads_the_channels_address(redis_url: str) -> None:
    """REST and socket.io set CLIENT_ADDRESS; a messaging channel's guard ignores it (the
    provider's servers send for everyone)."""
    shared = limits(redis_url, per_address=5)
    processed: list[str] = []

    async def rasa(message: UserMessage) -> None:
        processed.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": "an answer"})

    web, messaging = guard(rasa, shared), guard(rasa, shared, by_address=False)
    CLIENT_ADDRESS.set("198.51.100.20")
    for i in range(5):
        await web(UserMessage("hi", CollectingOutputChannel(), f"web-{i}"))
    refused = CollectingOutputChannel()
    await web(UserMessage("hi", refused, "web-5"))
    assert len(processed) == 5 and refused.messages[0]["text"].startswith(TOO_FAST)
    await messaging(UserMessage("hi", CollectingOutputChannel(), "telegram-1"))
    assert len(processed) == 6


async def test_the_overall_limit_counts_everyone_and_a_refusal_counts_against_nothing(
        redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    first, second = limits(redis_url, overall=40, window=1), limits(redis_url, overall=40, window=1)
    assert await refusals(first, 20, address="203.0.113.1") == [None] * 20
    assert await refusals(second, 20, address="203.0.113.2") == [None] * 20
    with caplog.at_level(logging.WARNING, logger="bot.limits"):
        assert await refusals(second, 5) == ["overall"] * 5
    assert [r.getMessage() for r in caplog.records if "overall limit" in r.getMessage()] == [
        "rate limits: the overall limit (40 messages in 1 s) is reached; messages are refused "
        "until the count falls"]  # once, not once per message
    await asyncio.sleep(1.1)  # the window has passed; the refused five did not extend it
    assert await refusals(first, 40) == [None] * 40


async def test_redis_holds_no_sender_id_or_address(redis_url: str) -> None:
    shared = limits(redis_url, per_address=10, overall=10)
    await shared.refused("+355691234567", "203.0.113.77")
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("*")]
    assert len(keys) == 3 and all(key.startswith(KEY_PREFIX) for key in keys)
    assert not any("355691234567" in key or "203.0.113" in key for key in keys)


async def test_the_default_settings_limit_each_scope(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    monkeypatch.setenv("HELPLINE_REDIS_URL", redis_url)
    configured = RateLimits.from_settings()
    assert (configured.per_sender, configured.per_address, configured.overall, configured.window) == \
        (20, 1200, 6000, 60.0)
    assert await refusals(configured, 1200, address="192.0.2.1") == [None] * 1200
    assert await configured.refused("one-more", "192.0.2.1") == "address"


# ---------------------------------------------------------------------------------------------
# Redis going away


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A Redis of the test's own (Debian's redis-server), which the test may stop and restart."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port = directory, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (scripts/env.sh start_test_redis installs it)"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    shared_test_redis()  # skips outside scripts/test.sh without a Redis (which also installs the binary)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_redis_stopped_mid_test_falls_back_to_the_process_limits_and_comes_back(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    first, second = limits(own_redis.url, per_sender=3), limits(own_redis.url, per_sender=3)
    first.retry_after = second.retry_after = 0.0  # ask Redis again on the next message
    assert await refusals(first, 3, sender="ana") == [None] * 3
    assert await second.refused("ana") == "sender"  # shared

    own_redis.stop()
    with caplog.at_level(logging.WARNING, logger="bot.limits"):
        # no crash, nobody refused for the outage, and each process limits on its own
        assert await refusals(first, 4, sender="ana") == [None, None, None, "sender"]
        assert await refusals(second, 4, sender="ana") == [None, None, None, "sender"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.limits"]
    assert warnings == [f"rate limits: Redis at 127.0.0.1:{own_redis.port} does not answer (ConnectionError); "
                        "each process keeps its own limits until it does"] * 2  # once each, not per message

    own_redis.start()  # empty again, on the same port
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.limits"):
        assert await refusals(first, 3, sender="bledi") == [None] * 3
        assert await second.refused("bledi") == "sender"  # shared again
    assert any("answers again" in r.getMessage() for r in caplog.records)


async def test_no_redis_at_all_limits_in_the_process() -> None:
    embedded = RateLimits(per_sender=2, per_address=0, overall=0, window=60)
    assert await refusals(embedded, 3, sender="ana") == [None, None, "sender"]


# ---------------------------------------------------------------------------------------------
# The client address


LOCAL_PROXY = parse_networks(["127.0.0.1", "10.0.0.0/8"])


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert client_address("198.51.100.4", ["203.0.113.9"], LOCAL_PROXY) == "198.51.100.4"
    assert client_address("198.51.100.4", ["203.0.113.9"], ()) == "198.51.100.4"


def test_behind_trusted_proxies_the_last_untrusted_hop_is_the_client() -> None:
    # the client wrote "1.2.3.4" itself; the proxy appended the address it saw
    assert client_address("127.0.0.1", ["1.2.3.4, 203.0.113.9"], LOCAL_PROXY) == "203.0.113.9"
    assert client_address("127.0.0.1", ["1.2.3.4", "203.0.113.9, 10.1.2.3"], LOCAL_PROXY) == "203.0.113.9"
    assert client_address("127.0.0.1", [], LOCAL_PROXY) == "127.0.0.1"  # the proxy's own request
    assert client_address("::ffff:127.0.0.1", ["203.0.113.9"], LOCAL_PROXY) == "203.0.113.9"


def test_a_socketio_client_is_the_sanic_requests_peer_not_engineios_fixed_remote_addr(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """engine.io's Sanic driver writes REMOTE_ADDR 127.0.0.1 for every client."""
    def environ(peer: str, forwarded: str | None = None) -> dict[str, Any]:
        request = SimpleNamespace(ip=peer)
        return {"REMOTE_ADDR": "127.0.0.1", "sanic.request": request,
                **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}

    monkeypatch.setattr(address_module, "trusted_networks", lambda: LOCAL_PROXY)
    assert peer_address(environ("198.51.100.4", "203.0.113.9")) == "198.51.100.4"
    assert peer_address(environ("127.0.0.1", "1.2.3.4,203.0.113.9")) == "203.0.113.9"


def test_an_ipv6_client_is_counted_by_its_64() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.9") == "203.0.113.9"


def test_trusted_proxies_are_listed_with_commas_or_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 fd00::1")
    assert settings.trusted_proxies() == ["127.0.0.1", "10.0.0.0/8", "fd00::1"]
    monkeypatch.delenv("HELPLINE_TRUSTED_PROXIES")
    assert settings.trusted_proxies() == []  # by default nobody's X-Forwarded-For is believed


def test_a_trusted_proxy_that_is_not_an_address_names_the_setting() -> None:
    with pytest.raises(ValueError, match="HELPLINE_TRUSTED_PROXIES: 'haproxy'"):
        parse_networks(["127.0.0.1", "haproxy"])


def test_a_redis_url_that_is_not_one_names_the_setting_and_a_password_is_not_logged() -> None:
    with pytest.raises(ValueError, match="HELPLINE_REDIS_URL: Redis URL must specify"):
        RateLimits(20, 0, 0, 60, "redis-host:6379")
    assert RateLimits(20, 0, 0, 60, "redis://:secret@redis.internal:6380/2").redis_where == "redis.internal:6380"


# ---------------------------------------------------------------------------------------------
# End to end: a real Rasa server on the test Redis


ADDRESS_LIMIT = 30  # the server's per-address limit, small enough to reach in a test
PROXY = "127.0.0.2"  # the server believes this peer's X-Forwarded-For (a local stand-in for HAProxy)
STRANGER = "127.0.0.3"  # a peer that is no proxy


class FromAddress(requests.adapters.HTTPAdapter):
    """Connects from a chosen loopback address (all of 127.0.0.0/8 is this machine)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Servers, str]]:
    """Rasa and the action server, with their limits in the test Redis (a database of their own)."""
    url = shared_test_redis().rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(url).flushdb()
    servers = Servers.with_tracker_store(tmp_path_factory.mktemp("limits-e2e"))
    servers.extra_env = {"HELPLINE_REDIS_URL": url, "HELPLINE_TRUSTED_PROXIES": PROXY,
                         "HELPLINE_LIMIT_ADDRESS": str(ADDRESS_LIMIT)}
    try:
        servers.start()
    except Exception as error:
        servers.stop()
        pytest.fail(f"The assistant did not start: {error}", pytrace=False)
    yield servers, url
    servers.stop()


def rest_reply(servers: Servers, sender: str, message: str, client: requests.Session | None = None,
               forwarded_for: str | None = None) -> str:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = (client or requests).post(servers.webhook, json={"sender": sender, "message": message},
                                         headers=headers, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return "\n".join(m.get("text") or "" for m in response.json())


def stored_user_messages(servers: Servers, sender: str) -> int:
    return sum(kind == "user" for kind, _ in servers.stored_events(sender))


@pytest.mark.e2e
def test_rest_and_socketio_share_the_per_sender_limit(limited: tuple[Servers, str]) -> None:
    # one widget session: 10 messages over the socket, 10 over the REST fallback with its token
    servers, url = limited
    chat = SocketChat(servers.url)

    def stored() -> int:
        return sum(kind == "user" for kind, _ in servers.stored_events(chat.session_id, "socketio"))

    def fallback(message: str) -> str:
        response = requests.post(servers.webhook, json={"sender": chat.session_id, "token": chat.token,
                                                        "message": message}, timeout=60)
        assert response.status_code == 200, response.text[:300]
        return "\n".join(m.get("text") or "" for m in response.json())

    async def over_the_socket() -> list[str]:
        await chat.open()
        try:
            for i in range(10):
                await chat.say(f"pershendetje {i}")
            for _ in range(300):  # until Rasa has stored all ten
                if stored() >= 10:
                    break
                await asyncio.sleep(0.2)
            await asyncio.to_thread(lambda: [fallback(f"hello {i}") for i in range(10)])
            chat.received.clear()
            for message in ("sa dite mund te qendroj ne itali?", DANGER):
                before = len(chat.received)
                await chat.say(message)
                for _ in range(100):
                    if len(chat.received) > before:
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.5)  # nothing more follows a refusal
            return [str(m.get("text") or "") for m in chat.received]
        finally:
            await chat.close()

    socket_answers = asyncio.run(over_the_socket())
    assert stored() == 20  # 10 on each channel, each processed, in the one conversation
    assert fallback("a third channel's worth?").startswith(TOO_FAST)
    assert len(socket_answers) == 2, socket_answers
    assert socket_answers[0].startswith(TOO_FAST)
    assert socket_answers[1] == bilingual_text("utter_emergency")  # refused, yet the numbers
    assert stored() == 20  # the refused ones were not processed
    session = chat.session_id
    keys = [key.decode() for key in redis.Redis.from_url(url).keys("*")]
    assert keys and not any(session in key or "127.0.0" in key for key in keys)


@pytest.mark.e2e
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(limited: tuple[Servers, str]) -> None:
    servers, _ = limited
    stranger, proxy = session_from(STRANGER), session_from(PROXY)
    # a client rotating sender ids and forged X-Forwarded-For headers is one address
    for i in range(ADDRESS_LIMIT):
        reply = rest_reply(servers, f"rot-{uuid.uuid4().hex[:8]}", "hi", stranger, f"203.0.113.{i}")
        assert not reply.startswith(TOO_FAST), f"message {i + 1} was refused: {reply}"
    assert rest_reply(servers, "rot-last", "hi", stranger, "203.0.113.200").startswith(TOO_FAST)
    # behind the proxy, the client is the hop the proxy appended, whatever the client wrote before it
    for i in range(ADDRESS_LIMIT):
        reply = rest_reply(servers, f"via-{uuid.uuid4().hex[:8]}", "hi", proxy, f"10.9.9.{i}, 198.51.100.7")
        assert not reply.startswith(TOO_FAST), f"message {i + 1} through the proxy was refused: {reply}"
    assert rest_reply(servers, "via-last", "hi", proxy, "198.51.100.7").startswith(TOO_FAST)
    assert not rest_reply(servers, "via-other", "hi", proxy, "198.51.100.8").startswith(TOO_FAST)
