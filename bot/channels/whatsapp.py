"""WhatsApp (Business Cloud API) at /webhooks/whatsapp/webhook; Rasa 3.6 has no connector for it.

Verified by `X-Hub-Signature-256` with the app secret, subscribed with the GET handshake
(bot.channels.base.MetaInput); deduplicated by the `wamid`. Every message of every entry of a
delivery is processed; status updates are ignored, and so are messages for another phone
number of the same app. A tap arrives as `interactive.button_reply` or `list_reply` (or, on a
template's quick reply, `button.payload`). Free-form replies only within 24 hours of the
person's message: a retry delivered later is not answered, and the log says so.
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

MAX_REPLY_BUTTONS, REPLY_TITLE = 3, 20
MAX_ROWS, ROW_TITLE, ROW_DESCRIPTION = 10, 24, 72
MAX_BUTTON_ID, MAX_ROW_ID = 256, 200
LIST_BUTTON = "Zgjidhni · Choose"  # the list's opening button, at most 20 characters
NON_TEXT = frozenset({"image", "audio", "video", "document", "sticker", "location", "contacts", "unsupported"})


def interactive(text: str, buttons: list[Button]) -> dict[str, Any]:
    """Up to three reply buttons when every title fits in 20 characters, else a list of up to
    ten rows (a longer title continues in the row's description)."""
    titles = [" ".join(b.title.split()) for b in buttons]
    body = {"text": text or "…"}
    if len(buttons) <= MAX_REPLY_BUTTONS and all(len(t) <= REPLY_TITLE for t in titles) \
            and len(set(titles)) == len(titles) and all(len(b.payload) <= MAX_BUTTON_ID for b in buttons):
        return {"type": "button", "body": body, "action": {"buttons": [
            {"type": "reply", "reply": {"id": b.payload, "title": t}} for b, t in zip(buttons, titles, strict=True)]}}
    usable = [(b, t) for b, t in zip(buttons, titles, strict=True) if len(b.payload) <= MAX_ROW_ID]
    rows = []
    for button, title in usable[:MAX_ROWS]:
        row = {"id": button.payload, "title": shorten(title, ROW_TITLE)}
        if len(title) > ROW_TITLE:
            row["description"] = shorten(title, ROW_DESCRIPTION)
        rows.append(row)
    return {"type": "list", "body": body, "action": {"button": LIST_BUTTON, "sections": [{"rows": rows}]}}


class WhatsAppOutput(ChannelOutput):
    limits = Limits(text=4096, text_with_buttons=1024, buttons=MAX_ROWS, title=ROW_TITLE)

    async def _send(self, recipient: str, fields: dict[str, Any]) -> None:
        config = self.channel.config
        await self.post(f"{config['WHATSAPP_API_URL']}/{config['WHATSAPP_PHONE_NUMBER_ID']}/messages",
                        headers={"Authorization": f"Bearer {config['WHATSAPP_ACCESS_TOKEN']}"},
                        json_body={"messaging_product": "whatsapp", "recipient_type": "individual",
                                   "to": recipient, **fields})

    async def send_text(self, recipient: str, text: str) -> None:
        await self._send(recipient, {"type": "text", "text": {"body": text, "preview_url": False}})

    async def send_buttons(self, recipient: str, text: str, buttons: list[Button]) -> None:
        await self._send(recipient, {"type": "interactive", "interactive": interactive(text, buttons)})


class WhatsAppInput(MetaInput):
    """WhatsApp Business Cloud API webhook."""

    settings: ClassVar[dict[str, str | None]] = {
        "WHATSAPP_APP_SECRET": None, "WHATSAPP_VERIFY_TOKEN": None, "WHATSAPP_ACCESS_TOKEN": None,
        "WHATSAPP_PHONE_NUMBER_ID": None, "WHATSAPP_API_URL": GRAPH_API_URL}
    secret_setting, verify_setting = "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"
    output_class = WhatsAppOutput

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    def parse(self, request: Request, body: bytes) -> list[Incoming]:
        found: list[Incoming] = []
        for entry in self.entries(json_object(body), "whatsapp_business_account"):
            for change in listed(entry.get("changes")):
                change = mapping(change)
                value = mapping(change.get("value"))
                if change.get("field") != "messages":
                    continue
                number = mapping(value.get("metadata")).get("phone_number_id")
                if number is not None and str(number) != self.config["WHATSAPP_PHONE_NUMBER_ID"]:
                    continue
                found.extend(m for m in map(_message, listed(value.get("messages"))) if m)
        return found


def _message(message: Any) -> Incoming | None:
    message = mapping(message)
    message_id, sender = text_id(message.get("id")), text_id(message.get("from"))
    if message_id is None or sender is None:
        raise Malformed("a message without id or from")
    try:
        sent_at: float | None = float(message.get("timestamp") or "")
    except (TypeError, ValueError):
        sent_at = None
    common: dict[str, Any] = {"message_id": message_id, "sender": sender, "sent_at": sent_at}
    kind = message.get("type") if isinstance(message.get("type"), str) else None
    if kind == "text":
        text = mapping(message.get("text")).get("body")
        return Incoming(kind="text", text=text, **common) if isinstance(text, str) else None
    if kind == "interactive":
        tapped = mapping(message.get("interactive"))
        reply = mapping(tapped.get("button_reply") or tapped.get("list_reply"))
        return Incoming(kind="button", text=reply["id"], **common) if isinstance(reply.get("id"), str) else None
    if kind == "button":  # a template's quick reply
        payload = mapping(message.get("button")).get("payload")
        return Incoming(kind="button", text=payload, **common) if isinstance(payload, str) else None
    if kind in NON_TEXT:
        return Incoming(kind="other", **common)
    return None  # reactions, system messages: nothing to answer
