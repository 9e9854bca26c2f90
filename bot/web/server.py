"""Serves the web chat widget (web/dist) and its demo host page (web/demo) on this machine.

Run with ``python -m bot.web.server`` (scripts/run.sh does). Settings come from the environment:

- ``WEB_HOST`` / ``WEB_PORT``: where to listen (default 127.0.0.1:8080);
- ``RASA_PUBLIC_URL``: the assistant as the browser reaches it (default http://127.0.0.1:5005);
  the widget reads it from ``/widget/config.json`` and the Content-Security-Policy allows only it;
- ``WEB_EXIT_URL``: the neutral page the quick exit goes to (default https://www.google.com/).

``/widget/config.json`` also gives what the widget shows before anything is typed, read from the
knowledge store (HELPLINE_DB_URL), where every number is written once: the emergency number and
the helpline for the "In danger?" bar, and the topic buttons.

Every response carries a strict Content-Security-Policy (no inline script or style, connections
only to this server and the assistant) and the other safety headers. Nothing is logged per
request: no access log, so no paths, query strings or bodies ever reach a log.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot import sessions
from bot import settings as config
from bot.answers import CHOOSE_TOPIC_INTENT
from bot.channels.address import client_address
from bot.channels.origins import EXPECTED_SESSION, origin_allowed, requested_session
from bot.conversations import delete_conversation
from bot.emergency_reply import numbers_for
from bot.knowledge.model import Contact
from bot.knowledge.store import KnowledgeStore
from bot.limits import RateLimits
from bot.phones import tel_target

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
DEMO_DIR = WEB_DIR / "demo"
DIST_DIR = WEB_DIR / "dist"
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
DEFAULT_EXIT_URL = "https://www.google.com/"

# Only plain file names are served (no folders, no dot files), with these types.
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}

logger = logging.getLogger("helpline.web")
WIDGET_SENDER = "widget-session-calls"  # no per-sender limit here: the per-address one counts


@dataclass(frozen=True)
class Settings:
    """Where the server listens and what the widget is told."""

    host: str = "127.0.0.1"
    port: int = 8080
    rasa_public_url: str = DEFAULT_RASA_URL
    exit_url: str = DEFAULT_EXIT_URL
    allowed_origins: tuple[str, ...] = ()  # pages that may use the chat; empty: this server's and Rasa's

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Reads WEB_HOST, WEB_PORT, RASA_PUBLIC_URL, WEB_EXIT_URL and RASA_CORS; checks the URLs."""
        read = functools.partial(config.get, environ=env)
        configured = cls(
            host=read("WEB_HOST", cls.host),
            port=config.get_int("WEB_PORT", cls.port, env),
            rasa_public_url=read("RASA_PUBLIC_URL", DEFAULT_RASA_URL).rstrip("/"),
            exit_url=read("WEB_EXIT_URL", DEFAULT_EXIT_URL),
            allowed_origins=tuple(read("RASA_CORS", "").split()),
        )
        origin_of(configured.rasa_public_url)
        origin_of(configured.exit_url)
        return configured

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def page_origins(self) -> list[str]:
        """The origins whose pages may get a session or delete one: Rasa's --cors list (RASA_CORS,
        as scripts/run.sh gives it), by default this server's and the assistant's, as run.sh's."""
        return list(self.allowed_origins) or [self.origin, origin_of(self.rasa_public_url)]


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise ValueError(f"expected an http(s) URL without credentials, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def websocket_origin(origin: str) -> str:
    """The ws(s):// twin of an http(s) origin (socket.io upgrades to a WebSocket there)."""
    return ("wss" if origin.startswith("https:") else "ws") + origin[origin.index(":"):]


def strict_policy(connect: str = "", images: str = "") -> str:
    """A CSP that allows only this server (plus the origins given for connections and images):
    no inline script or style, no framing, no DOM sink that takes a string."""
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' {images}".rstrip(),
        "font-src 'self'",
        f"connect-src 'self' {connect}".rstrip(),
        "media-src 'none'",
        "object-src 'none'",
        "frame-src 'none'",
        "worker-src 'none'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        # no DOM sink may take a string: the pages build everything with DOM APIs
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ]
    return "; ".join(directives)


def content_security_policy(settings: Settings) -> str:
    """The page's CSP: everything from this server, talk only to it and to the assistant."""
    rasa = origin_of(settings.rasa_public_url)
    return strict_policy(connect=f"{rasa} {websocket_origin(rasa)}", images=rasa)


def safety_headers(policy: str, server: str) -> dict[str, str]:
    """Headers sent with every response of a page server of the project."""
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Server": server,
    }


def security_headers(settings: Settings) -> dict[str, str]:
    """Headers sent with every response."""
    return safety_headers(content_security_policy(settings), "helpline-web")


def file_response(directory: Path, name: str) -> web.FileResponse:
    """A file directly inside `directory`, or 404 (no traversal, no unknown types)."""
    path = directory / name
    content_type = CONTENT_TYPES.get(path.suffix)
    if not FILE_NAME.match(name) or content_type is None or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": content_type})


def phone(contact: Contact) -> dict[str, str]:
    """A number as the widget shows and dials it."""
    return {"text": contact.phone or "", "tel": tel_target(contact.phone or "")}


def first_screen(store: KnowledgeStore) -> dict[str, object]:
    """The numbers of the "In danger?" bar and the topic buttons, from the knowledge store."""
    snapshot = store.snapshot()
    numbers = numbers_for(snapshot, None)
    return {
        "help": {"emergency": phone(numbers.emergency), "helpline": phone(numbers.trafficking_line)},
        "topics": [{"sq": t.title.sq, "en": t.title.en,
                    "payload": f'/{CHOOSE_TOPIC_INTENT}{json.dumps({"topic": t.key}, separators=(",", ":"))}'}
                   for t in snapshot.button_topics],
    }


def create_app(settings: Settings) -> web.Application:
    """The web application: demo page, widget files, widget config, health check."""
    app = web.Application()
    headers = security_headers(settings)
    public = {"rasaUrl": settings.rasa_public_url, "exitUrl": settings.exit_url}

    async def index(_: web.Request) -> web.StreamResponse:
        return file_response(DEMO_DIR, "index.html")

    async def demo_file(request: web.Request) -> web.StreamResponse:
        return file_response(DEMO_DIR, request.match_info["name"])

    async def widget_file(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not (DIST_DIR / "widget.js").is_file():
            raise web.HTTPServiceUnavailable(text="web/dist is not built: npm run build in web/")
        return file_response(DIST_DIR, name)

    store = KnowledgeStore()

    async def widget_config(_: web.Request) -> web.StreamResponse:
        try:
            loop = asyncio.get_running_loop()
            content = await loop.run_in_executor(None, first_screen, store)
        except Exception:  # the chat itself still works; its replies carry the numbers
            logger.exception("knowledge store unavailable: config.json without the first screen")
            content = {}
        return web.json_response({**public, **content})

    async def health(_: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    limits = RateLimits(0, config.limit_per_address(), 0, float(config.limit_window()), config.redis_url())

    async def session_body(request: web.Request) -> object:
        """The JSON body of a widget's session call, once its Origin and its address's limit allow it."""
        if not origin_allowed(request.headers.get("Origin"), settings.page_origins):
            raise web.HTTPForbidden(text="this page's origin may not use the chat")
        address = client_address(request.remote or "", request.headers.getall("X-Forwarded-For", []))
        if await limits.refused(WIDGET_SENDER, address):
            raise web.HTTPTooManyRequests(text="too many requests from this address; try again in a minute")
        try:
            return json.loads(await request.text())
        except ValueError:
            return None

    async def session(request: web.Request) -> web.StreamResponse:
        """A web chat session over plain HTTP, for a widget whose socket never connects (socket.io
        blocked on its network), so its conversation is a session's too and it can delete it.

        The body is JSON sent as text/plain (a simple request, so no CORS preflight): {} for a
        new session, {"session_id", "token"} to resume one; the answer is what the socket's
        `session_confirm` would be: that session when the token is valid, else a new one.
        """
        body = await session_body(request)
        asked = requested_session(body)
        if asked is None:
            raise web.HTTPBadRequest(text=EXPECTED_SESSION)
        given = sessions.resume(*asked)
        return web.json_response({"session_id": given.session_id, "token": given.token})

    async def forget(request: web.Request) -> web.StreamResponse:
        """"Delete my conversation": removes the session's events from the tracker store.

        The body is JSON sent as text/plain, like the session call's: {"session_id", "token"},
        the session the server issued to the widget (bot/sessions.py); without its token nobody
        can delete a conversation by knowing its id.
        """
        body = await session_body(request)
        session_id = body.get("session_id") if isinstance(body, dict) else None
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(session_id, str) or not isinstance(token, str):
            raise web.HTTPBadRequest(text='expected {"session_id": "<hex>", "token": "<its token>"}')
        if not sessions.valid(session_id, token):
            raise web.HTTPForbidden(text="the token is not this session's, or it expired")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, delete_conversation, session_id, None, [sessions.CHANNEL])
        return web.Response(status=204)

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(headers)
        if request.path.startswith("/widget/"):
            # the widget may be embedded by other sites: let them load it and read its config
            response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Cache-Control"] = "no-cache"
        else:
            response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
            response.headers["Cache-Control"] = "no-store"

    app.router.add_get("/", index)
    app.router.add_get("/healthz", health)
    app.router.add_get("/widget/config.json", widget_config)
    app.router.add_post("/widget/session", session)
    app.router.add_post("/widget/forget", forget)
    app.router.add_get("/widget/{name}", widget_file)
    app.router.add_get("/{name}", demo_file)
    app.on_response_prepare.append(add_headers)
    return app


def main() -> None:
    """Runs the server until interrupted; logs one line, never a request."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        stream=sys.stderr)
    settings = Settings.from_env()
    if not (DIST_DIR / "widget.js").is_file():
        logger.warning("web/dist/widget.js is missing: build it with `npm ci && npm run build` "
                       "in web/ (scripts/run.sh does)")
    logger.info("Serving the web widget demo at %s/ (assistant at %s)", settings.origin,
                settings.rasa_public_url)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None,
                print=None)


if __name__ == "__main__":
    main()
