"""Facebook Messenger at /webhooks/messenger/webhook.

Rasa's own connector checks only the legacy SHA-1 signature with `==`, answers 200 when it
fails and drops every batched event after the first. Here: `X-Hub-Signature-256` with the app
secret and the GET handshake (bot.channels.base.MetaInput), every messaging event of every
entry, deduplicated by `mid`. Echoes of the page's own messages, deliveries and reads are
ignored. Buttons are quick replies (up to 13, titles of 20 characters); a tap arrives as
`message.quick_reply.payload` (a postback's `payload` is taken the same way). Replies only
within 24 hours of the person's message.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sanic.request import Request

from bot.channels.base import (
    GRAPH_API_URL,
    Button,
    ChannelOutput,
    Incoming,
    Limits,
    Malformed,
    MetaInput,
    json_object,
    listed,
    mapping,
    shorten,
    text_id,
)

MAX_PAYLOAD = 1000


class MessengerOutput(ChannelOutput):
    limits = Limits(text=2000, text_with_buttons=2000, buttons=13, title=20)

    async def _send(self, recipient: str, message: dict[str, Any]) -> None:
        config = self.channel.config
        await self.post(f"{config['MESSENGER_API_URL']}/me/messages",
                        headers={"Authorization": f"Bearer {config['MESSENGER_PAGE_ACCESS_TOKEN']}"},
                        json_body={"recipient": {"id": recipient}, "messaging_type": "RESPONSE",
                                   "message": message})

    async def send_text(self, recipient: str, text: str) -> None:
        await self._send(recipient, {"text": text})

    async def send_buttons(self, recipient: str, text: str, buttons: list[Button]) -> None:
        replies = [{"content_type": "text", "title": shorten(b.title, self.limits.title), "payload": b.payload}
                   for b in buttons if len(b.payload) <= MAX_PAYLOAD][:self.limits.buttons]
        await self._send(recipient, {"text": text or "…", "quick_replies": replies})


class MessengerInput(MetaInput):
    """Messenger Platform webhook (a Facebook page)."""

    settings: ClassVar[dict[str, str | None]] = {
        "MESSENGER_APP_SECRET": None, "MESSENGER_VERIFY_TOKEN": None, "MESSENGER_PAGE_ACCESS_TOKEN": None,
        "MESSENGER_API_URL": GRAPH_API_URL}
    secret_setting, verify_setting = "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"
    output_class = MessengerOutput

    @classmethod
    def name(cls) -> str:
        return "messenger"

    def parse(self, request: Request, body: bytes) -> list[Incoming]:
        found = []
        for entry in self.entries(json_object(body), "page"):
            for event in listed(entry.get("messaging")):
                incoming = _event(event)
                if incoming:
                    found.append(incoming)
        return found


def _event(event: Any) -> Incoming | None:
    event = mapping(event)
    sender = text_id(mapping(event.get("sender")).get("id"))
    message, postback = event.get("message"), event.get("postback")
    if not isinstance(message, dict) and not isinstance(postback, dict):
        return None  # delivery, read, reaction, optin: nothing to answer
    if sender is None:
        raise Malformed("a messaging event without sender.id")
    try:
        sent_at: float | None = float(event["timestamp"]) / 1000
    except (KeyError, TypeError, ValueError):
        sent_at = None
    if isinstance(postback, dict):
        mid, payload = text_id(postback.get("mid")), postback.get("payload")
        if mid is None or not isinstance(payload, str):
            raise Malformed("a postback without mid or payload")
        return Incoming(message_id=mid, sender=sender, kind="button", text=payload, sent_at=sent_at)
    message = mapping(message)
    if message.get("is_echo"):
        return None  # the page's own message, sent back to us
    mid = text_id(message.get("mid"))
    if mid is None:
        raise Malformed("a message without mid")
    common: dict[str, Any] = {"message_id": mid, "sender": sender, "sent_at": sent_at}
    payload = mapping(message.get("quick_reply")).get("payload")
    if isinstance(payload, str):
        return Incoming(kind="button", text=payload, **common)
    if isinstance(message.get("text"), str):
        return Incoming(kind="text", text=message["text"], **common)
    if message.get("attachments") or message.get("sticker_id"):
        return Incoming(kind="other", **common)
    return None
