"""Web chat sessions the server issues, bound to a token only their holder has.

Rasa's socketio channel lets the client choose the session id, and whoever knows an id joins its
room and receives that conversation's replies. Here the server picks the id (random, 128 bits)
and signs it with the time it was issued: token = "<issued>.<HMAC(key, id . issued)>". A client
resumes with both; a token that is malformed, signed with another key, for another id, or older
than the lifetime (HELPLINE_SESSION_DAYS) opens a new session, never the old room. Nothing is
stored: any process with the key (HELPLINE_SESSION_KEY, or var/session.key) can check a token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from bot import settings
from bot.keys import file_key

CHANNEL = "socketio"  # the channel whose conversations these sessions are
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
_TOKEN = re.compile(r"^(\d{1,12})\.([0-9a-f]{64})$")
MAX_TOKEN_CHARS = 80  # "<issued>.<64 hex>" with room; longer is not one of ours
CLOCK_SKEW = 300.0  # seconds a token may seem to come from the future (replicas' clocks differ)
DAY = 86_400.0
KEY_FILE = settings.SESSION_KEY_FILE


@dataclass(frozen=True)
class Session:
    """A session as the client keeps it (both are sent back to resume)."""

    session_id: str
    token: str


@lru_cache(maxsize=1)
def _key() -> bytes:
    return file_key(settings.session_key(), KEY_FILE)


def _signature(session_id: str, issued: int) -> str:
    return hmac.new(_key(), f"{session_id}.{issued}".encode(), hashlib.sha256).hexdigest()


def issue(now: float | None = None) -> Session:
    """A new session: a random id and its token."""
    session_id = secrets.token_hex(16)
    issued = int(time.time() if now is None else now)
    return Session(session_id, f"{issued}.{_signature(session_id, issued)}")


def valid(session_id: object, token: object, now: float | None = None) -> bool:
    """Whether `token` was issued by this server for `session_id` and has not expired."""
    if not isinstance(session_id, str) or not isinstance(token, str) or not SESSION_ID.match(session_id):
        return False
    match = _TOKEN.match(token) if len(token) <= MAX_TOKEN_CHARS else None
    if match is None:
        return False
    issued = int(match.group(1))
    age = (time.time() if now is None else now) - issued
    if age < -CLOCK_SKEW or age > settings.session_days() * DAY:
        return False
    return hmac.compare_digest(match.group(2), _signature(session_id, issued))


def resume(session_id: object, token: object, now: float | None = None) -> Session:
    """The client's session when its token is valid, else a new one."""
    if valid(session_id, token, now):
        return Session(str(session_id), str(token))
    return issue(now)
