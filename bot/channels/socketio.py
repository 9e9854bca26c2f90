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
- its messages count against the limits of the address it connected from (bot/limits.py);
- an operator's reply in a live handoff is emitted as `bot_uttered` to the session's room, as
  Rasa's own replies are (bot/channels/relay.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

from bot import launcher
from bot.channels.address import CLIENT_ADDRESS, client_address
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


def peer_address(environ: dict[str, Any]) -> str:
    """The client's address from engine.io's environ, whose REMOTE_ADDR is always 127.0.0.1
    under Sanic: the Sanic request's peer, and X-Forwarded-For when it comes from a trusted proxy."""
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR") or ""
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    return client_address(peer, [forwarded] if forwarded else [])


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
        joined: dict[str, str] = {}  # socket id -> the session it asked for
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
            joined.pop(sid, None)
            addresses.pop(sid, None)

        async def session_request(sid: str, data: Any = None) -> None:
            session = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session, str) or not SESSION_ID.match(session):
                await refuse(sid, 'expected {"session_id": "<32 hex characters>"}')
                return
            for room in [r for r in sio.rooms(sid, namespace=self.namespace) if r not in (sid, session)]:
                sio.leave_room(sid, room, namespace=self.namespace)
            sio.enter_room(sid, session, namespace=self.namespace)
            joined[sid] = session
            await sio.emit("session_confirm", session, room=sid)

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
            if not connected:
                raise HandoffError("The user's chat is not open right now, so the reply was not sent; "
                                   "it can be sent when they write again.")
            await SocketIOOutput(sio, self.bot_message_evt).send_text_message(session, text)

        relay.register(self.name(), Deliverer(MAX_CHARS, deliver))
        for event, handler in (("connect", connect), ("disconnect", disconnect),
                               ("session_request", session_request), (self.user_message_evt, user_uttered)):
            sio.on(event, handler, namespace=self.namespace)
        return blueprint
