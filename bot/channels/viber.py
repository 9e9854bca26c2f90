"""Viber (REST Bot API) at /webhooks/viber/webhook; Rasa 3.6 has no Viber connector.

Verified by `X-Viber-Content-Signature`, the hex HMAC-SHA256 of the raw body keyed with the
auth token; deduplicated by `message_token`. Buttons are a keyboard of reply buttons: a tap
arrives as a text message whose text is the button's `ActionBody`, the payload. Viber answers
HTTP 200 to most failures and says what went wrong in `status` (0 is success).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sanic.request import Request

from bot.channels.base import (
    Button,
    ChannelOutput,
    Incoming,
    Limits,
    Malformed,
    MessagingInput,
    check_secret,
    error_code,
    hmac_hex,
    json_object,
    language_hint,
    mapping,
    shorten,
    text_id,
)

API_URL = "https://chatapi.viber.com/pa"
TOO_MANY_REQUESTS = 12  # Viber's status code for its rate limit
SENDER_NAME = "Asistenti IOM"  # Viber shows it above each message; at most 28 characters
NON_TEXT = frozenset({"picture", "video", "file", "sticker", "contact", "location", "url"})
EVENT_TYPES = ["message", "subscribed", "unsubscribed", "conversation_started", "delivered", "failed"]


class ViberOutput(ChannelOutput):
    # keyboards: 6 columns per row, a button's text up to 250 characters; 24 buttons is the
    # most a keyboard is known to show (the documented grid), so no more are sent
    limits = Limits(text=7000, text_with_buttons=7000, buttons=24, title=40)

    async def _send(self, recipient: str, fields: dict[str, Any]) -> None:
        config = self.channel.config
        await self.post(f"{config['VIBER_API_URL']}/send_message",
                        headers={"X-Viber-Auth-Token": config["VIBER_AUTH_TOKEN"]},
                        json_body={"receiver": recipient, "min_api_version": 1,
                                   "sender": {"name": shorten(config["VIBER_SENDER_NAME"], 28)},
                                   "type": "text", **fields})

    async def send_text(self, recipient: str, text: str) -> None:
        await self._send(recipient, {"text": text})

    async def send_buttons(self, recipient: str, text: str, buttons: list[Button]) -> None:
        keyboard = {"Type": "keyboard", "DefaultHeight": False, "Buttons": [
            {"ActionType": "reply", "ActionBody": b.payload, "Text": shorten(b.title, self.limits.title),
             "Columns": 6, "Rows": 1, "Silent": False}
            for b in buttons[:self.limits.buttons]]}
        await self._send(recipient, {"text": text or "…", "keyboard": keyboard})


class ViberInput(MessagingInput):
    """Viber REST Bot API webhook."""

    settings: ClassVar[dict[str, str | None]] = {
        "VIBER_AUTH_TOKEN": None, "VIBER_API_URL": API_URL, "VIBER_SENDER_NAME": SENDER_NAME}
    output_class = ViberOutput

    @classmethod
    def name(cls) -> str:
        return "viber"

    def verify(self, request: Request, body: bytes) -> None:
        check_secret(request.headers.get("X-Viber-Content-Signature"),
                     hmac_hex(self.config["VIBER_AUTH_TOKEN"], body), "X-Viber-Content-Signature")

    @staticmethod
    def refusal(status: int | None, body: Any) -> str | None:
        if status is not None and status < 400 and isinstance(body, dict) and body.get("status") == 0:
            return None
        return f"HTTP {status}{error_code(body)}"

    @staticmethod
    def retryable(status: int | None, body: Any) -> bool:
        """Viber reports its rate limit as HTTP 200 with status 12 (tooManyRequests)."""
        return MessagingInput.retryable(status, body) or mapping(body).get("status") == TOO_MANY_REQUESTS

    def parse(self, request: Request, body: bytes) -> list[Incoming]:
        event = json_object(body)
        if not isinstance(event.get("event"), str):
            raise Malformed("no event")
        if event["event"] != "message":
            return []  # subscribed, delivered, seen, webhook, ...: nothing to answer
        sender, message, token = event.get("sender"), event.get("message"), text_id(event.get("message_token"))
        if not isinstance(sender, dict) or not text_id(sender.get("id")) or not isinstance(message, dict) \
                or token is None:
            raise Malformed("a message without sender.id, message or message_token")
        common: dict[str, Any] = {"message_id": token, "sender": str(sender["id"]),
                                  "language": language_hint(sender.get("language"))}
        kind = message.get("type")
        if kind == "text" and isinstance(message.get("text"), str):
            return [Incoming(kind="text", text=message["text"], **common)]
        if isinstance(kind, str) and kind in NON_TEXT:
            return [Incoming(kind="other", **common)]
        raise Malformed("an unknown message type")
