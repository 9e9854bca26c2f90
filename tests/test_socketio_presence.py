"""Presence of web chat sockets across replicas (bot/channels/socketio.py's SharedPresence),
against the real test Redis: a replica killed outright never says its sockets left, so its
members must lapse once it stops refreshing them, while a live replica's keep counting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from test_limits import shared_test_redis

from bot.channels.socketio import SharedPresence
from bot.handoff_client import HandoffError

HEARTBEAT = 0.2  # seconds; the window is SharedPresence.WINDOW heartbeats


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[SharedPresence, SharedPresence]]:
    url = shared_test_redis()
    live, killed = SharedPresence(url, heartbeat=HEARTBEAT), SharedPresence(url, heartbeat=HEARTBEAT)
    yield live, killed
    for presence in (live, killed):
        presence.stop()
        await presence.redis.close()


def past_the_window(presence: SharedPresence) -> float:
    return presence.window + 2 * HEARTBEAT


async def test_a_killed_replicas_socket_stops_counting_and_a_live_ones_keeps_counting(
        replicas: tuple[SharedPresence, SharedPresence]) -> None:
    live, killed = replicas
    await live.joined("ana", "sid-1")
    await killed.joined("bledi", "sid-2")
    await killed.joined("ana", "sid-3")  # the same user in a second tab, on the other replica
    assert await live.open_anywhere("bledi") and await killed.open_anywhere("ana")

    killed.stop()  # as kill -9: no more refreshes, and it never says its sockets left
    await asyncio.sleep(past_the_window(live))
    assert not await live.open_anywhere("bledi"), "a killed replica's socket still counts"
    assert await live.open_anywhere("ana"), "a refreshed socket stopped counting"
    assert await live.redis.zcard(live.key("ana")) == 1, "the lapsed member was not removed"
    assert await live.redis.zscore(live.key("ana"), live.member("sid-1")) is not None


async def test_leaving_removes_the_socket_at_once(replicas: tuple[SharedPresence, SharedPresence]) -> None:
    live, other = replicas
    await live.joined("ana", "sid-1")
    await other.joined("ana", "sid-2")
    await live.left("ana", "sid-1")
    assert await live.open_anywhere("ana")  # the other replica's socket is still open
    await other.left("ana", "sid-2")
    assert not await live.open_anywhere("ana")
    await asyncio.sleep(past_the_window(live))  # and the heartbeat does not bring them back
    assert not await live.open_anywhere("ana")
    assert live.mine == {} and other.mine == {}


async def test_redis_down_presence_is_advisory_but_the_question_is_refused() -> None:
    presence = SharedPresence("redis://127.0.0.1:1/0", heartbeat=HEARTBEAT)  # nothing listens there
    try:
        await presence.joined("ana", "sid-1")  # logs, does not raise: the chat goes on
        await presence.refresh()
        await presence.left("ana", "sid-1")
        with pytest.raises(HandoffError, match="Redis is down"):
            await presence.open_anywhere("ana")
    finally:
        presence.stop()
        await presence.redis.close()
