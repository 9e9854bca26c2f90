"""A fake of the five providers' send APIs on loopback, for the channel tests.

`FakeProviders` is a threaded HTTP server that records every request (path, headers, JSON or
form body) and answers with the providers' real response shapes: Telegram's `{"ok": true,
"result": ...}`, Viber's `{"status": 0, ...}`, the Graph API's message ids, Twilio's 201 message
resource. `plan()` queues failures for the next matching requests, in the providers' real error
formats (Telegram's `parameters.retry_after`, Viber's status 12, Graph error objects, Twilio's
error resource).

Each `*Client` is what one provider's servers do towards the assistant: build a webhook body
in its format, sign it as it signs, and read back what the assistant sent to one person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON, or the form as a dict
    refused: bool = False  # answered with a planned error


@dataclass
class Planned:
    path_part: str
    status: int
    body: Any


# The providers' real error bodies, by provider and kind of error.
ERRORS: dict[str, dict[str, tuple[int, Any]]] = {
    "telegram": {
        "rate": (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}}),
        "bad": (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
    },
    "viber": {
        "rate": (200, {"status": 12, "status_message": "tooManyRequests"}),
        "bad": (200, {"status": 6, "status_message": "receiverNotSubscribed"}),
    },
    "whatsapp": {
        "rate": (429, {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException",
                                 "code": 130429, "fbtrace_id": "AbCdEf"}}),
        "bad": (400, {"error": {"message": "(#131030) Recipient phone number not in allowed list",
                                "type": "OAuthException", "code": 131030, "fbtrace_id": "AbCdEf"}}),
    },
    "messenger": {
        "rate": (429, {"error": {"message": "(#613) Calls to this api have exceeded the rate limit.",
                                 "type": "OAuthException", "code": 613, "fbtrace_id": "AbCdEf"}}),
        "bad": (400, {"error": {"message": "(#100) No matching user found", "type": "OAuthException",
                                "code": 100, "error_subcode": 2018001, "fbtrace_id": "AbCdEf"}}),
    },
    "twilio": {
        "rate": (429, {"code": 20429, "message": "Too Many Requests",
                       "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}),
        "bad": (400, {"code": 21211, "message": "The 'To' number is not a valid phone number.",
                      "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}),
    },
}


def _success(path: str, body: Any) -> tuple[int, Any]:
    """The provider's answer to an accepted request at `path`."""
    if "/bot" in path:
        if path.endswith("/sendMessage"):
            return 200, {"ok": True, "result": {"message_id": next(_ids), "date": int(time.time()),
                                                "chat": {"id": body.get("chat_id"), "type": "private"},
                                                "text": body.get("text")}}
        if path.endswith("/setWebhook"):
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        return 200, {"ok": True, "result": True}
    if path.endswith("/send_message"):
        return 200, {"status": 0, "status_message": "ok", "message_token": next(_ids),
                     "chat_hostname": "SN-CHAT-05_"}
    if path.endswith("/set_webhook"):
        return 200, {"status": 0, "status_message": "ok", "event_types": body.get("event_types", [])}
    if path.endswith("/me/messages"):
        return 200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_{next(_ids)}"}
    if path.endswith("/messages"):
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                     "messages": [{"id": f"wamid.HBgL{next(_ids)}"}]}
    if path.endswith("/Messages.json"):
        return 201, {"sid": f"SM{next(_ids):032x}", "status": "queued", "to": body.get("To"),
                     "from": body.get("From"), "body": body.get("Body"), "num_segments": "1"}
    return 404, {"error": "unknown path"}


class FakeProviders:
    """The providers' APIs at http://127.0.0.1:<port>."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._plans: list[Planned] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "json" in (self.headers.get("Content-Type") or ""):
                    body: Any = json.loads(raw or b"null")
                else:
                    body = dict(urllib.parse.parse_qsl(raw.decode()))
                status, answer = fake._answer(self.path, dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeProviders:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            record = Recorded(path, headers, body)
            self.requests.append(record)
            planned = next((p for p in self._plans if p.path_part in path), None)
            if planned:
                self._plans.remove(planned)
                record.refused = True
                return planned.status, planned.body
        return _success(path, body)

    def plan(self, provider: str, error: str, path_part: str, times: int = 1) -> None:
        """The next `times` requests whose path contains `path_part` get the provider's error."""
        status, body = ERRORS[provider][error]
        with self._lock:
            self._plans.extend(Planned(path_part, status, body) for _ in range(times))

    def to(self, match: Callable[[Recorded], bool]) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if match(r)]

    def wait(self, match: Callable[[Recorded], bool], at_least: int = 1, timeout: float = 90.0,
             quiet: float = 1.5) -> list[Recorded]:
        """The matching requests, once there are `at_least` and no new one came for `quiet`
        seconds (a reply is several requests; a duplicate would come right after)."""
        deadline = time.monotonic() + timeout
        seen, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            found = self.to(match)
            if len(found) != seen:
                seen, since = len(found), time.monotonic()
            elif seen >= at_least and time.monotonic() - since >= quiet:
                return found
            time.sleep(0.1)
        return self.to(match)


# ---------------------------------------------------------------------------------------------
# The providers' side of the webhooks


@dataclass
class Sent:
    """One message the assistant sent to a person: its text and the payloads of its buttons."""

    text: str
    payloads: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    raw: Any = None


@dataclass
class Webhook:
    body: bytes
    headers: dict[str, str]


class Client:
    """What one provider sends to the assistant's webhook, and how it reads what came back."""

    name: str
    send_path: str  # the part of the send API's path that the fake's plans match

    def __init__(self, fake_url: str) -> None:
        self.fake_url = fake_url

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def text(self, sender: str, text: str, message_id: str) -> Webhook:
        raise NotImplementedError

    def tap(self, sender: str, payload: str, title: str, message_id: str) -> Webhook:
        raise NotImplementedError

    def non_text(self, sender: str, message_id: str) -> Webhook:
        raise NotImplementedError

    def unsigned(self, hook: Webhook) -> Webhook:
        return Webhook(hook.body, {k: v for k, v in hook.headers.items() if k == "Content-Type"})

    def forged(self, hook: Webhook) -> Webhook:
        raise NotImplementedError

    def malformed(self) -> Webhook:
        """A correctly signed body that is not the provider's format."""
        return self.signed(b'{"entry": "nonsense", "update_id": "x", "event": 5}')

    def signed(self, body: bytes) -> Webhook:
        raise NotImplementedError

    def sent(self, record: Recorded) -> Sent | None:
        """The message in a request to the send API, or None for other requests."""
        raise NotImplementedError

    def recipient(self, record: Recorded) -> str | None:
        raise NotImplementedError

    def to(self, sender: str) -> Callable[[Recorded], bool]:
        return lambda r: self.sent(r) is not None and self.recipient(r) == sender


def _json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


class TelegramClient(Client):
    name, send_path = "telegram", "/sendMessage"
    token, secret = "123456:TEST-token", "s3cret_Token-1"

    def env(self) -> dict[str, str]:
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_SECRET_TOKEN": self.secret,
                "TELEGRAM_API_URL": self.fake_url}

    def signed(self, body: bytes) -> Webhook:
        return Webhook(body, {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": self.secret})

    def forged(self, hook: Webhook) -> Webhook:
        return Webhook(hook.body, {**hook.headers, "X-Telegram-Bot-Api-Secret-Token": "guess"})

    def _person(self, sender: str) -> dict[str, Any]:
        return {"id": int(sender), "is_bot": False, "first_name": "Ana", "language_code": "sq"}

    def text(self, sender: str, text: str, message_id: str) -> Webhook:
        return self.signed(_json({"update_id": int(message_id), "message": {
            "message_id": int(message_id) % 100000, "from": self._person(sender),
            "chat": {"id": int(sender), "first_name": "Ana", "type": "private"},
            "date": int(time.time()), "text": text}}))

    def tap(self, sender: str, payload: str, title: str, message_id: str) -> Webhook:
        return self.signed(_json({"update_id": int(message_id), "callback_query": {
            "id": f"4382{message_id}", "from": self._person(sender), "chat_instance": "-7238",
            "message": {"message_id": 7, "from": {"id": 123456, "is_bot": True, "first_name": "IOM"},
                        "chat": {"id": int(sender), "type": "private"}, "date": int(time.time()),
                        "text": "…"},
            "data": payload}}))

    def non_text(self, sender: str, message_id: str) -> Webhook:
        return self.signed(_json({"update_id": int(message_id), "message": {
            "message_id": 9, "from": self._person(sender), "chat": {"id": int(sender), "type": "private"},
            "date": int(time.time()), "voice": {"duration": 3, "mime_type": "audio/ogg",
                                                "file_id": "AwACAgQ", "file_unique_id": "AgAD"}}}))

    def sent(self, record: Recorded) -> Sent | None:
        if not record.path.endswith("/sendMessage"):
            return None
        keyboard = (record.body.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [b for row in keyboard for b in row]
        return Sent(record.body["text"], [b["callback_data"] for b in buttons], [b["text"] for b in buttons],
                    record.body)

    def recipient(self, record: Recorded) -> str | None:
        return str(record.body.get("chat_id"))


class ViberClient(Client):
    name, send_path = "viber", "/send_message"
    token = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f"

    def env(self) -> dict[str, str]:
        return {"VIBER_AUTH_TOKEN": self.token, "VIBER_API_URL": self.fake_url}

    def signed(self, body: bytes) -> Webhook:
        signature = hmac.new(self.token.encode(), body, hashlib.sha256).hexdigest()
        return Webhook(body, {"Content-Type": "application/json", "X-Viber-Content-Signature": signature})

    def forged(self, hook: Webhook) -> Webhook:
        signature = hmac.new(b"another-token", hook.body, hashlib.sha256).hexdigest()
        return Webhook(hook.body, {**hook.headers, "X-Viber-Content-Signature": signature})

    def _event(self, sender: str, message_id: str, message: dict[str, Any]) -> Webhook:
        return self.signed(_json({"event": "message", "timestamp": int(time.time() * 1000),
                                  "chat_hostname": "SN-CHAT-05_", "message_token": int(message_id),
                                  "sender": {"id": sender, "name": "Ana", "language": "sq", "country": "AL",
                                             "api_version": 10},
                                  "message": message, "silent": False}))

    def text(self, sender: str, text: str, message_id: str) -> Webhook:
        return self._event(sender, message_id, {"type": "text", "text": text})

    def tap(self, sender: str, payload: str, title: str, message_id: str) -> Webhook:
        return self._event(sender, message_id, {"type": "text", "text": payload})

    def non_text(self, sender: str, message_id: str) -> Webhook:
        return self._event(sender, message_id, {"type": "sticker", "sticker_id": 40133})

    def sent(self, record: Recorded) -> Sent | None:
        if not record.path.endswith("/send_message"):
            return None
        buttons = (record.body.get("keyboard") or {}).get("Buttons") or []
        return Sent(record.body["text"], [b["ActionBody"] for b in buttons], [b["Text"] for b in buttons],
                    record.body)

    def recipient(self, record: Recorded) -> str | None:
        return record.body.get("receiver")


class MetaClient(Client):
    """WhatsApp and Messenger sign alike."""

    secret = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"

    def signed(self, body: bytes) -> Webhook:
        signature = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return Webhook(body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"})

    def forged(self, hook: Webhook) -> Webhook:
        # the legacy SHA-1 header Rasa's Messenger connector trusts, with a valid SHA-1 signature
        legacy = hmac.new(self.secret.encode(), hook.body, hashlib.sha1).hexdigest()
        return Webhook(hook.body, {"Content-Type": "application/json", "X-Hub-Signature": f"sha1={legacy}",
                                   "X-Hub-Signature-256": "sha256=" + "0" * 64})


class WhatsAppClient(MetaClient):
    name, send_path = "whatsapp", "/messages"
    phone_number_id = "106540352242922"

    def env(self) -> dict[str, str]:
        return {"WHATSAPP_APP_SECRET": self.secret, "WHATSAPP_VERIFY_TOKEN": "verify-me",
                "WHATSAPP_ACCESS_TOKEN": "EAAG-test", "WHATSAPP_PHONE_NUMBER_ID": self.phone_number_id,
                "WHATSAPP_API_URL": self.fake_url}

    def delivery(self, *messages: dict[str, Any]) -> Webhook:
        return self.signed(_json({"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": self.phone_number_id},
                "contacts": [{"profile": {"name": "Ana"}, "wa_id": m["from"]} for m in messages[:1]],
                "messages": list(messages)}}]}]}))

    @staticmethod
    def message(sender: str, message_id: str, kind: str, content: Any, at: float | None = None) -> dict[str, Any]:
        return {"from": sender, "id": f"wamid.HBgL{message_id}", "timestamp": str(int(at or time.time())),
                "type": kind, kind: content}

    def text(self, sender: str, text: str, message_id: str) -> Webhook:
        return self.delivery(self.message(sender, message_id, "text", {"body": text}))

    def tap(self, sender: str, payload: str, title: str, message_id: str) -> Webhook:
        return self.delivery(self.message(sender, message_id, "interactive", {
            "type": "button_reply", "button_reply": {"id": payload, "title": title}}))

    def non_text(self, sender: str, message_id: str) -> Webhook:
        return self.delivery(self.message(sender, message_id, "image", {
            "mime_type": "image/jpeg", "sha256": "abc", "id": "1479537139650973"}))

    def sent(self, record: Recorded) -> Sent | None:
        if not record.path.endswith(f"/{self.phone_number_id}/messages"):
            return None
        body = record.body
        if body["type"] == "text":
            return Sent(body["text"]["body"], raw=body)
        tapped = body["interactive"]
        if tapped["type"] == "button":
            replies = [b["reply"] for b in tapped["action"]["buttons"]]
        else:
            replies = [r for s in tapped["action"]["sections"] for r in s["rows"]]
        return Sent(tapped["body"]["text"], [r["id"] for r in replies], [r["title"] for r in replies], body)

    def recipient(self, record: Recorded) -> str | None:
        return record.body.get("to")


class MessengerClient(MetaClient):
    name, send_path = "messenger", "/me/messages"

    def env(self) -> dict[str, str]:
        return {"MESSENGER_APP_SECRET": self.secret, "MESSENGER_VERIFY_TOKEN": "verify-me-too",
                "MESSENGER_PAGE_ACCESS_TOKEN": "EAAP-test", "MESSENGER_API_URL": self.fake_url}

    def delivery(self, *events: dict[str, Any]) -> Webhook:
        return self.signed(_json({"object": "page", "entry": [
            {"id": "PAGE_ID", "time": int(time.time() * 1000), "messaging": [event]} for event in events]}))

    @staticmethod
    def event(sender: str, message: dict[str, Any]) -> dict[str, Any]:
        return {"sender": {"id": sender}, "recipient": {"id": "PAGE_ID"},
                "timestamp": int(time.time() * 1000), "message": message}

    def text(self, sender: str, text: str, message_id: str) -> Webhook:
        return self.delivery(self.event(sender, {"mid": f"m_{message_id}", "text": text}))

    def tap(self, sender: str, payload: str, title: str, message_id: str) -> Webhook:
        return self.delivery(self.event(sender, {"mid": f"m_{message_id}", "text": title,
                                                 "quick_reply": {"payload": payload}}))

    def non_text(self, sender: str, message_id: str) -> Webhook:
        return self.delivery(self.event(sender, {"mid": f"m_{message_id}", "attachments": [
            {"type": "audio", "payload": {"url": "https://cdn.example/a.mp4"}}]}))

    def sent(self, record: Recorded) -> Sent | None:
        if not record.path.endswith("/me/messages"):
            return None
        message = record.body["message"]
        replies = message.get("quick_replies") or []
        return Sent(message.get("text", ""), [q["payload"] for q in replies], [q["title"] for q in replies],
                    record.body)

    def recipient(self, record: Recorded) -> str | None:
        return record.body["recipient"]["id"]


class TwilioClient(Client):
    name, send_path = "twilio", "/Messages.json"
    sid, token = "AC" + "1" * 32, "twilio-auth-token-123"
    public_url = "https://helpline.example.org/webhooks/twilio/webhook"
    number = "+35544000111"

    def env(self) -> dict[str, str]:
        return {"TWILIO_ACCOUNT_SID": self.sid, "TWILIO_AUTH_TOKEN": self.token,
                "TWILIO_FROM_NUMBER": self.number, "TWILIO_API_URL": self.fake_url,
                "TWILIO_PUBLIC_URL": self.public_url}

    def sign(self, params: dict[str, str], token: str | None = None) -> str:
        signed = self.public_url + "".join(k + params[k] for k in sorted(params))
        digest = hmac.new((token or self.token).encode(), signed.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def form(self, params: dict[str, str], token: str | None = None) -> Webhook:
        return Webhook(urllib.parse.urlencode(params).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": self.sign(params, token)})

    def signed(self, body: bytes) -> Webhook:
        return self.form(dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)))

    def malformed(self) -> Webhook:
        return self.form({"Body": "pa MessageSid", "To": self.number})

    def message(self, sender: str, message_id: str, body: str, media: int = 0) -> dict[str, str]:
        return {"ToCountry": "AL", "SmsMessageSid": f"SM{int(message_id):032x}", "NumMedia": str(media),
                "SmsSid": f"SM{int(message_id):032x}", "SmsStatus": "received", "Body": body,
                "To": self.number, "NumSegments": "1", "MessageSid": f"SM{int(message_id):032x}",
                "AccountSid": self.sid, "From": sender, "ApiVersion": "2010-04-01"}

    def text(self, sender: str, text: str, message_id: str) -> Webhook:
        return self.form(self.message(sender, message_id, text))

    def tap(self, sender: str, payload: str, title: str, message_id: str) -> Webhook:
        raise NotImplementedError("SMS has no buttons: the person answers with the option's number")

    def non_text(self, sender: str, message_id: str) -> Webhook:
        params = self.message(sender, message_id, "", media=1)
        params.update({"MediaContentType0": "image/jpeg", "MediaUrl0": "https://api.twilio.com/media/ME1"})
        return self.form(params)

    def forged(self, hook: Webhook) -> Webhook:
        params = dict(urllib.parse.parse_qsl(hook.body.decode(), keep_blank_values=True))
        return self.form(params, token="not-the-token")

    def sent(self, record: Recorded) -> Sent | None:
        if not record.path.endswith("/Messages.json"):
            return None
        return Sent(record.body["Body"], raw=record.body)

    def recipient(self, record: Recorded) -> str | None:
        return record.body.get("To")


CLIENTS: tuple[type[Client], ...] = (ViberClient, WhatsAppClient, MessengerClient, TelegramClient, TwilioClient)
