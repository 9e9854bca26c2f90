"""The operator console's only way to the live handoffs: HTTP to the Rasa process.

The Rasa process owns the conversations (tracker store, lock store, the users' channels), so the
console never touches them itself: it calls these methods, which speak to the token-protected
routes of `bot/channels/operator.py` (`/webhooks/operator/...`). The errors are the same classes
the routes raise, so an operator sees the same clear sentence whichever side found the problem.
This module imports nothing of Rasa or the database: the console can use it on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

ROUTES = "/webhooks/operator"
HANDOFF_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")  # what the store makes (url-safe, random)


@dataclass(frozen=True)
class QueueItem:
    """One handoff as the queue shows it (no message text but the last one, redacted)."""

    handoff_id: str
    state: str  # "waiting" | "held" | "released" | "closed"
    language: str  # "sq" | "en"
    channel: str  # "socketio" | "rest" | "telegram" | ...
    topic: str | None
    danger: bool
    requested_at: datetime  # UTC
    held_by: str | None
    last_user_text: str | None
    reply_limit: int | None = None  # characters one operator reply may have on this channel

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "requested_at": self.requested_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueItem:
        return cls(**{**data, "requested_at": datetime.fromisoformat(data["requested_at"])})


@dataclass(frozen=True)
class Turn:
    """One message of a conversation's history, as stored in the tracker (redacted)."""

    who: str  # "user" | "assistant" | "operator"
    text: str
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"who": self.who, "text": self.text, "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        return cls(data["who"], data["text"], datetime.fromisoformat(data["at"]))


class HandoffError(Exception):
    """A request the handoffs refused; `.message` is a sentence to show the operator."""

    status = 409
    kind = "refused"

    def __init__(self, message: str, **details: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.details = details  # what the console words the refusal with: holder, length, limit


class NotFound(HandoffError):
    status, kind = 404, "not_found"


class HeldByOther(HandoffError):
    status, kind = 409, "held_by_other"


class Gone(HandoffError):
    status, kind = 410, "gone"


class TooLong(HandoffError):
    status, kind = 413, "too_long"

    def __init__(self, message: str, limit: int, **details: str | int) -> None:
        super().__init__(message, limit=limit, **details)
        self.limit = limit


class Unreachable(HandoffError):
    """The assistant did not answer at all (down, restarting): nothing was done, try again."""

    status, kind = 502, "unreachable"


class Unauthorized(HandoffError):
    """The console's token is missing or wrong (a configuration problem, not the operator's)."""

    status, kind = 403, "unauthorized"


class BadRequest(HandoffError):
    status, kind = 400, "bad_request"


ERRORS: dict[str, type[HandoffError]] = {
    c.kind: c for c in (HandoffError, NotFound, HeldByOther, Gone, Unauthorized, BadRequest)}


def error_json(error: HandoffError) -> dict[str, Any]:
    """How the routes send an error (the client turns it back into the same class)."""
    body: dict[str, Any] = {"error": error.kind, "message": error.message, "details": error.details}
    if isinstance(error, TooLong):
        body["limit"] = error.limit
    return body


def error_from(status: int, body: Any) -> HandoffError:
    """The error a route answered with; a sentence of our own when the body is not ours."""
    ours = isinstance(body, dict) and isinstance(body.get("message"), str) and (
        body.get("error") in ERRORS or body.get("error") == TooLong.kind)
    if not ours:
        if status in (401, 403):
            return Unauthorized("The console's token was refused by the assistant (HELPLINE_CONSOLE_TOKEN).")
        if status == 404:
            return Unauthorized("The assistant has no operator routes: HELPLINE_CONSOLE_TOKEN is not set there.")
        return HandoffError(f"The assistant answered HTTP {status}; please try again.")
    details = {str(k): v for k, v in (body.get("details") or {}).items()
               if isinstance(v, (str, int)) and k != "limit"} if isinstance(body.get("details"), dict) else {}
    if body.get("error") == TooLong.kind:
        return TooLong(body["message"], int(body.get("limit") or 0), **details)
    return ERRORS.get(str(body.get("error")), HandoffError)(body["message"], **details)


class HandoffClient:
    """Async client of the Rasa process's operator routes; one per console process."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + ROUTES, timeout=timeout,
                                       headers={"Authorization": f"Bearer {token}"})

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
                    params: dict[str, str] | None = None) -> Any:
        try:
            reply = await self._http.request(method, path, json=body, params=params)
        except httpx.HTTPError as error:
            raise Unreachable(f"The assistant could not be reached ({type(error).__name__}); "
                              "please try again.") from None
        try:
            data = reply.json()
        except ValueError:
            data = None
        if reply.status_code >= 400:
            raise error_from(reply.status_code, data)
        return data

    async def queue(self) -> list[QueueItem]:
        """Waiting and held handoffs: danger first, then the oldest."""
        return [QueueItem.from_json(i) for i in (await self._call("GET", "/queue"))["items"]]

    @staticmethod
    def _path(handoff_id: str, action: str) -> str:
        """The route of one handoff; an id the store cannot have made is NotFound right here."""
        if not isinstance(handoff_id, str) or not HANDOFF_ID.match(handoff_id):
            raise NotFound("There is no such conversation in the queue.")
        return f"/handoffs/{handoff_id}/{action}"

    async def take(self, handoff_id: str, operator: str) -> QueueItem:
        """Atomic: of two operators taking one handoff, exactly one gets it (HeldByOther)."""
        data = await self._call("POST", self._path(handoff_id, "take"), {"operator": operator})
        return QueueItem.from_json(data["item"])

    async def history(self, handoff_id: str) -> list[Turn]:
        return [Turn.from_json(t) for t in (await self._call("GET", self._path(handoff_id, "history")))["turns"]]

    async def send(self, handoff_id: str, operator: str, text: str) -> None:
        """Delivered once on the user's channel and kept in the tracker as the operator's."""
        await self._call("POST", self._path(handoff_id, "send"), {"operator": operator, "text": text})

    async def release(self, handoff_id: str, operator: str) -> None:
        """Back to the assistant, which answers the user's next message again."""
        await self._call("POST", self._path(handoff_id, "release"), {"operator": operator})

    async def close(self, handoff_id: str, operator: str) -> None:
        await self._call("POST", self._path(handoff_id, "close"), {"operator": operator})

    async def presence(self, operator: str, online: bool) -> None:
        """A heartbeat: the assistant offers people only while one was seen in the last minutes."""
        await self._call("POST", "/presence", {"operator": operator, "online": online})

    async def summary(self, start: datetime, end: datetime) -> dict[str, int | float]:
        """Counts for [start, end): handoffs, answered, never_answered, mean/median wait seconds."""
        params = {"start": _utc(start).isoformat(), "end": _utc(end).isoformat()}
        return dict((await self._call("GET", "/summary", params=params))["summary"])

    async def aclose(self) -> None:
        await self._http.aclose()


def _utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC (the console's statistics are in UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
