"""What a web chat client may ask of the server, shared by the socket.io channel and the widget's
web server (bot/web/server.py): which page origins may use the chat, and the form of a session
request (a new session, or a session id with its token to resume)."""

from __future__ import annotations

from typing import Any

from bot.sessions import SESSION_ID

EXPECTED_SESSION = ('expected {} for a new session, or {"session_id": "<32 hex characters>", "token": "<its token>"} '
                    'to resume one')


def origin_allowed(origin: str | None, allowed: list[str] | None) -> bool:
    """Whether a connection from `origin` may open: always without an Origin header or without
    configured origins (Rasa's own behaviour), otherwise only from a listed one or with "*"."""
    if not origin or not allowed or "*" in allowed:
        return True
    return origin.rstrip("/") in {a.rstrip("/") for a in allowed}


def requested_session(data: Any) -> tuple[str | None, str | None] | None:
    """The (session id, token) a `session_request` offers, either may be None (a new session);
    None when the event is malformed."""
    if not isinstance(data, dict):
        return None
    session_id, token = data.get("session_id"), data.get("token")
    if session_id is not None and not (isinstance(session_id, str) and SESSION_ID.match(session_id)):
        return None
    if token is not None and not isinstance(token, str):
        return None
    return session_id, token
