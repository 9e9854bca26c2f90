"""Socket.IO channel (the web widget's) with the message guard and checked events.

Rasa's socketio channel accepts a connection from any web page, and answers a malformed event
(a payload that is not an object, a session id that is not a string, a number as the message)
with silence and an unhandled error in its log. Here:
- a browser connection is accepted only from the origins Rasa was started with (`--cors`,
  bot/launcher.py records them); a client that sends no Origin (not a browser) is not affected;
- the server issues the session (bot/sessions.py): `session_request` without a valid token for
  its session id gets a new random id and its token, so knowing an id is not enough to join its
  room and receive its replies; `session_confirm` carries {"session_id", "token"} (Rasa's
  webchat reads the id from such an object too), and the client resumes with both;
- `session_request` must be an object whose `session_id` (if any) has the form of one (32 hex
  characters) and whose `token` (if any) is a string, `user_uttered` an object with a string
  message; anything else gets an `error` event that says what was expected, and nothing is
  processed or stored;
- a socket sends only for the session it joined with `session_request`;
- its messages count against the limits of the address it connected from (bot/limits.py);
- an operator's reply in a live handoff is emitted as `bot_uttered` to the session's room, as
  Rasa's own replies are (bot/channels/relay.py).

In a cluster (HELPLINE_REDIS_URL set) the operator's reply is sent by whichever replica the
console's call reached, while the user's socket is held by the replica the proxy routed it to:
python-socketio's AsyncRedisManager carries every emit to all replicas, and `SharedPresence`
records in Redis which sessions have a socket open on any replica (refreshed by each replica
every few seconds, so a killed replica's sockets lapse), so the console is told the truth about
whether a reply can reach the user.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from typing import Any

import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from bot import launcher, sessions, settings
from bot.channels.address import CLIENT_ADDRESS, client_address
from bot.channels.guard import MAX_CHARS, MAX_MESSAGE_BODY, OnNewMessage, guard
from bot.channels.origins import EXPECTED_SESSION, origin_allowed, requested_session
from bot.channels.relay import Deliverer, relay
from bot.handoff_client import HandoffError

logger = logging.getLogger(__name__)
EXPECTED = 'expected {"session_id": "<the confirmed session id>", "message": "<text>"} after a session_request'



def peer_address(environ: dict[str, Any]) -> str:
    """The client's address from engine.io's environ, whose REMOTE_ADDR is always 127.0.0.1
    under Sanic: the Sanic request's peer, and X-Forwarded-For when it comes from a trusted proxy."""
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR") or ""
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    return client_address(peer, [forwarded] if forwarded else [])


class SharedPresence:
    """The sockets open for each session on every replica, in Redis: a sorted set per session
    whose members are "<replica>:<socket id>" scored with when that replica last saw the socket.
    Each replica refreshes its own open sockets every `heartbeat` seconds; a member not refreshed
    for WINDOW heartbeats (its replica was killed outright, so never said it left) no longer
    counts, so the console is not told a reply reached a user nobody holds. Times are Redis's
    clock, so replicas need not agree on the time."""

    HEARTBEAT = 10.0  # seconds between a replica's refreshes of its sockets
    WINDOW = 3  # heartbeats a member counts for without a refresh

    def __init__(self, url: str, heartbeat: float = HEARTBEAT) -> None:
        self.redis = aioredis.Redis.from_url(url)  # connects on first use
        self.heartbeat = heartbeat
        self.replica = secrets.token_hex(8)  # this process's members, told apart from others'
        self.mine: dict[str, str] = {}  # socket id -> session, the sockets this replica holds
        self.beat: asyncio.Task[None] | None = None

    @staticmethod
    def key(session: str) -> str:
        return f"helpline:socketio:seen:{session}"

    def member(self, sid: str) -> str:
        return f"{self.replica}:{sid}"

    @property
    def window(self) -> float:
        return self.WINDOW * self.heartbeat

    async def _now(self) -> float:
        seconds, micros = await self.redis.time()
        return seconds + micros / 1e6

    async def _mark(self, held: dict[str, str]) -> None:
        now = await self._now()
        async with self.redis.pipeline(transaction=False) as pipe:
            for sid, session in held.items():
                pipe.zadd(self.key(session), {self.member(sid): now})
                pipe.expire(self.key(session), max(1, math.ceil(2 * self.window)))
            await pipe.execute()

    async def joined(self, session: str, sid: str) -> None:
        self.mine[sid] = session
        if self.beat is None or self.beat.done():
            self.beat = asyncio.create_task(self._refresh_forever())
        try:
            await self._mark({sid: session})
        except RedisError:  # advisory: the chat works without it
            logger.warning("socket.io presence not recorded: Redis unreachable")

    async def left(self, session: str, sid: str) -> None:
        if self.mine.get(sid) == session:
            del self.mine[sid]
        try:
            await self.redis.zrem(self.key(session), self.member(sid))
        except RedisError:
            logger.warning("socket.io presence not removed: Redis unreachable")

    async def refresh(self) -> None:
        """Marks every socket this replica holds as seen now."""
        if not self.mine:
            return
        try:
            await self._mark(dict(self.mine))
        except RedisError:
            logger.warning("socket.io presence not refreshed: Redis unreachable")

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            await self.refresh()

    def stop(self) -> None:
        """Stops refreshing (the members then lapse, as a killed replica's do)."""
        if self.beat is not None:
            self.beat.cancel()

    async def open_anywhere(self, session: str) -> bool:
        try:
            now = await self._now()
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(self.key(session), "-inf", now - self.window)
                pipe.zcard(self.key(session))
                _, count = await pipe.execute()
            return bool(count)
        except RedisError:
            raise HandoffError("The user's chat cannot be reached right now (Redis is down); "
                               "try again in a moment.") from None


def share_between_replicas(sio: socketio.AsyncServer, url: str) -> SharedPresence:
    """Makes `sio` (created by Rasa without a client manager) emit through Redis; before any
    connection, which is when python-socketio initialises its manager."""
    manager = socketio.AsyncRedisManager(url, channel="helpline-socketio")
    sio.manager = manager
    manager.set_server(sio)
    return SharedPresence(url)


class HardenedSocketIOInput(SocketIOInput):
    """Rasa's socketio channel; every message passes the same guard as on REST."""

    @classmethod
    def name(cls) -> str:
        return sessions.CHANNEL

    def blueprint(self, on_new_message: OnNewMessage) -> Any:
        handle = guard(on_new_message)
        blueprint = super().blueprint(handle)
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()
        sio.eio.max_http_buffer_size = MAX_MESSAGE_BODY  # engine.io's default is 1 MB
        shared = share_between_replicas(sio, settings.redis_url()) if settings.redis_url() else None
        joined: dict[str, str] = {}  # socket id -> the session confirmed to it
        addresses: dict[str, str] = {}  # socket id -> the client's address when it connected

        async def refuse(sid: str, reason: str) -> None:
            await sio.emit("error", {"error": reason}, room=sid)

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            if origin_allowed(environ.get("HTTP_ORIGIN"), launcher.CORS_ORIGINS):
                addresses[sid] = peer_address(environ)
                return True
            logger.info("socket.io connection refused: origin not allowed")
            return False

        async def disconnect(sid: str) -> None:
            addresses.pop(sid, None)
            session = joined.pop(sid, None)
            if shared and session:
                await shared.left(session, sid)

        async def session_request(sid: str, data: Any = None) -> None:
            asked = requested_session(data)
            if asked is None:
                await refuse(sid, EXPECTED_SESSION)
                return
            session = sessions.resume(*asked)  # a new one unless the token proves it
            for room in [r for r in sio.rooms(sid, namespace=self.namespace) if r != sid]:
                sio.leave_room(sid, room, namespace=self.namespace)
            sio.enter_room(sid, session.session_id, namespace=self.namespace)
            previous, joined[sid] = joined.get(sid), session.session_id
            if shared:
                if previous and previous != session.session_id:
                    await shared.left(previous, sid)
                await shared.joined(session.session_id, sid)
            await sio.emit("session_confirm", {"session_id": session.session_id, "token": session.token},
                           room=sid)

        async def user_uttered(sid: str, data: Any = None) -> None:
            session = data.get("session_id") if isinstance(data, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            if session is None or session != joined.get(sid) or not isinstance(message, str):
                await refuse(sid, EXPECTED)
                return
            CLIENT_ADDRESS.set(addresses.get(sid))  # this event's own task: it ends with it
            await handle(UserMessage(message, SocketIOOutput(sio, self.bot_message_evt), session,
                                     input_channel=self.name(), metadata=data.get(self.metadata_key)))

        async def deliver(session: str, text: str, _last_user_at: float | None) -> None:
            try:
                connected = any(True for _ in sio.manager.get_participants(self.namespace or "/", session))
            except KeyError:  # nobody has connected to the namespace since the start
                connected = False
            if not connected and shared:  # held by another replica
                connected = await shared.open_anywhere(session)
            if not connected:
                raise HandoffError("The user's chat is not open right now, so the reply was not sent; "
                                   "it can be sent when they write again.")
            await SocketIOOutput(sio, self.bot_message_evt).send_text_message(session, text)

        relay.register(self.name(), Deliverer(MAX_CHARS, deliver))
        for event, handler in (("connect", connect), ("disconnect", disconnect),
                               ("session_request", session_request), (self.user_message_evt, user_uttered)):
            sio.on(event, handler, namespace=self.namespace)
        return blueprint
