"""Socket.IO channel (the web widget's) with the message guard and checked events.

Rasa's socketio channel accepts a connection from any web page, and answers a malformed event
(a payload that is not an object, a session id that is not a string, a number as the message)
with silence and an unhandled error in its log. Here:
- a browser connection is accepted only from the origins Rasa was started with (`--cors`,
  bot/launcher.py records them); a client that sends no Origin (not a browser) is not affected;
- `session_request` and `user_uttered` must be objects with a session id of the widget's form
  (32 hex characters) and a string message; anything else gets an `error` event that says what
  was expected, and nothing is processed or stored;
- a socket sends only for the session it joined with `session_request`;
- an operator's reply in a live handoff is emitted as `bot_uttered` to the session's room, as
  Rasa's own replies are (bot/channels/relay.py).

In a cluster (HELPLINE_REDIS_URL set) the operator's reply is sent by whichever replica the
console's call reached, while the user's socket is held by the replica the proxy routed it to:
python-socketio's AsyncRedisManager carries every emit to all replicas, and `SharedPresence`
records in Redis which sessions have a socket open on any replica, so the console is told the
truth about whether a reply can reach the user.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from bot import launcher, settings
from bot.channels.guard import MAX_CHARS, MAX_MESSAGE_BODY, OnNewMessage, guard
from bot.channels.relay import Deliverer, relay
from bot.handoff_client import HandoffError

logger = logging.getLogger(__name__)
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
EXPECTED = 'expected {"session_id": "<32 hex characters>", "message": "<text>"} after a session_request'


def origin_allowed(origin: str | None, allowed: list[str] | None) -> bool:
    """Whether a connection from `origin` may open: always without an Origin header or without
    configured origins (Rasa's own behaviour), otherwise only from a listed one or with "*"."""
    if not origin or not allowed or "*" in allowed:
        return True
    return origin.rstrip("/") in {a.rstrip("/") for a in allowed}


class SharedPresence:
    """The sockets open for each session on every replica: a Redis set per session of the
    socket ids holding it. A replica killed outright leaves its members until the set expires
    (a day after the session's last join), so the console may then report a reply as sent."""

    EXPIRES = 24 * 3600

    def __init__(self, url: str) -> None:
        self.redis = aioredis.Redis.from_url(url)  # connects on first use

    @staticmethod
    def key(session: str) -> str:
        return f"helpline:socketio:open:{session}"

    async def joined(self, session: str, sid: str) -> None:
        try:
            await self.redis.sadd(self.key(session), sid)
            await self.redis.expire(self.key(session), self.EXPIRES)
        except RedisError:  # advisory: the chat works without it
            logger.warning("socket.io presence not recorded: Redis unreachable")

    async def left(self, session: str, sid: str) -> None:
        try:
            await self.redis.srem(self.key(session), sid)
        except RedisError:
            logger.warning("socket.io presence not removed: Redis unreachable")

    async def open_anywhere(self, session: str) -> bool:
        try:
            return bool(await self.redis.scard(self.key(session)))
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
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Any:
        handle = guard(on_new_message)
        blueprint = super().blueprint(handle)
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()
        sio.eio.max_http_buffer_size = MAX_MESSAGE_BODY  # engine.io's default is 1 MB
        shared = share_between_replicas(sio, settings.redis_url()) if settings.redis_url() else None
        joined: dict[str, str] = {}  # socket id -> the session it asked for

        async def refuse(sid: str, reason: str) -> None:
            await sio.emit("error", {"error": reason}, room=sid)

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            if origin_allowed(environ.get("HTTP_ORIGIN"), launcher.CORS_ORIGINS):
                return True
            logger.info("socket.io connection refused: origin not allowed")
            return False

        async def disconnect(sid: str) -> None:
            session = joined.pop(sid, None)
            if shared and session:
                await shared.left(session, sid)

        async def session_request(sid: str, data: Any = None) -> None:
            session = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session, str) or not SESSION_ID.match(session):
                await refuse(sid, 'expected {"session_id": "<32 hex characters>"}')
                return
            for room in [r for r in sio.rooms(sid, namespace=self.namespace) if r not in (sid, session)]:
                sio.leave_room(sid, room, namespace=self.namespace)
            sio.enter_room(sid, session, namespace=self.namespace)
            previous, joined[sid] = joined.get(sid), session
            if shared:
                if previous and previous != session:
                    await shared.left(previous, sid)
                await shared.joined(session, sid)
            await sio.emit("session_confirm", session, room=sid)

        async def user_uttered(sid: str, data: Any = None) -> None:
            session = data.get("session_id") if isinstance(data, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            if session is None or session != joined.get(sid) or not isinstance(message, str):
                await refuse(sid, EXPECTED)
                return
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
