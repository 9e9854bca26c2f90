"""The operator console's web server: pages and JSON routes behind sign-in.

Run with ``python -m bot.console.app`` (scripts/run.sh does), on CONSOLE_HOST:CONSOLE_PORT
(127.0.0.1:8090). Every page and route but the sign-in form, its static files and /healthz
needs a session: without one a JSON route answers 401 and a page sends the browser to the
sign-in form. Every POST carries the CSRF token (csrf.py). Supervisors' pages answer 403 to
operators. Handoffs are reached only through bot.handoff_client.HandoffClient.

Every label and message is in the operator's language, Albanian or English (strings.py): the
session's, which the Shqip / English switch sets; before signing in, the sign-in page's choice (a
cookie), else the browser's Accept-Language, else Albanian.

Responses carry the project's strict Content-Security-Policy (bot.web.server.strict_policy: no
inline script or style, connections only to this server). Templates are Jinja2 with
autoescape, scripts insert text with textContent. No access log: no path, query or body is
logged, so nothing a caller said reaches a log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import settings as config
from bot.console import csrf, strings
from bot.console.accounts import AccountError, Accounts, Session, check_name
from bot.console.script_aid import ScriptAid, models_from_archive
from bot.console.statistics import (
    Figures,
    Period,
    PeriodError,
    bar_chart,
    conversation_figures,
    figures_csv,
    outcome_figures,
    parse_period,
    record_outcome,
    tracker_engine,
)
from bot.conversations import tracker_url
from bot.handoff_client import HandoffClient, HandoffError, TooLong, Unauthorized
from bot.knowledge.model import Snapshot
from bot.knowledge.store import KnowledgeStore
from bot.text import LANGUAGES
from bot.web.server import file_response, safety_headers, strict_policy

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
SESSION_COOKIE = "console_session"
LANGUAGE_COOKIE = "console_language"  # the language of pages without a session (the sign-in form)
HEARTBEAT_EVERY = 30.0  # seconds between presence heartbeats per operator (the Rasa side waits ~2 min)
IDEMPOTENCY_TTL = 600.0  # a reply's key is remembered this long: a retried POST is not sent again
HANDOFF_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
MAX_OUTCOME = 80
AUDIT_PAGE = 50  # entries per page of the audit log
LOCAL_PATH = re.compile(r"^/(?![/\\])[^\s]{0,2000}$")  # where the language switch may send back: this site only
# the handoff core's refusals the console words itself; any other is shown with the core's sentence
HANDOFF_KINDS = ("not_found", "held_by_other", "gone", "too_long", "unauthorized", "unreachable")
PUBLIC = ("/signin", "/static/", "/healthz")

logger = logging.getLogger("helpline.console")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    rasa_url: str
    token: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(config.console_host(), config.console_port(), config.console_rasa_url(), config.console_token())


def client_address(request: web.Request) -> str:
    """The peer's address, for the per-address sign-in lock (the console is not behind a proxy)."""
    return request.remote or "unknown"


def in_thread(function: Callable[..., Any], *args: Any) -> Awaitable[Any]:
    """Database work off the event loop (every Accounts call is one short transaction)."""
    return asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))


class Replies:
    """Remembers each reply's idempotency key, so a double click or a retried request sends once."""

    def __init__(self) -> None:
        self._done: dict[str, tuple[float, asyncio.Future[None]]] = {}

    async def once(self, key: str, send: Callable[[], Awaitable[None]]) -> None:
        now = time.monotonic()
        self._done = {k: v for k, v in self._done.items() if now - v[0] < IDEMPOTENCY_TTL}
        if key in self._done:
            return await asyncio.shield(self._done[key][1])
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._done[key] = (now, future)
        try:
            await send()
        except HandoffError as error:
            del self._done[key]  # refused: nothing was sent, so the operator may try again
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        future.set_result(None)


class Console:
    """The application's state: accounts, the script aid, the handoff client, the templates."""

    def __init__(self, settings: Settings, accounts: Accounts | None = None,
                 store: KnowledgeStore | None = None) -> None:
        self.settings = settings
        self.accounts = accounts or Accounts()
        self.store = store or KnowledgeStore()
        self._client = HandoffClient(settings.rasa_url, settings.token)
        self.aid: ScriptAid | None = None
        self.replies = Replies()
        self._beats: dict[str, float] = {}
        self._tracker: Engine | None = None
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                            autoescape=True, undefined=jinja2.StrictUndefined)

    @property
    def client(self) -> HandoffClient:
        """The handoff client; without a token it would only be refused, so say why at once."""
        if not self.settings.token:
            raise Unauthorized("The console has no token for the assistant (HELPLINE_CONSOLE_TOKEN); "
                               "scripts/run.sh generates one into var/console.token.")
        return self._client

    async def load_aid(self) -> None:
        """The card and language models from the trained archive, once, at start-up."""
        def load() -> ScriptAid:
            card_model, language_model = models_from_archive()
            aid = ScriptAid(self.store.snapshot(), card_model, language_model)
            aid.lookup("warm up")
            return aid
        self.aid = await in_thread(load)

    def forget_beat(self, operator: str) -> None:
        """After sign-out the next sign-in heartbeats at once."""
        self._beats.pop(operator, None)

    async def aclose(self) -> None:
        await self._client.aclose()
        self.accounts.close()
        self.store.close()

    def conversation_figures(self, period: Period, snapshot: Snapshot | None) -> Figures:
        """Counts from the tracker store Rasa uses (endpoints.yml), its engine made once."""
        if self._tracker is None:
            self._tracker = tracker_engine(tracker_url())
        try:
            return conversation_figures(self._tracker, period, snapshot)
        except SQLAlchemyError as error:  # no events table before Rasa's first conversation, or down
            raise LookupError(type(error).__name__) from None  # the page says what that means

    def page(self, template: str, request: web.Request, status: int = 200, **values: Any) -> web.Response:
        """A template in the request's language: `t(key, ...)` gives its labels, the script gets the
        table as JSON, and the language switch a way back to this page."""
        session: Session | None = request.get("session")
        language = language_of(request)
        html = self.templates.get_template(template).render(
            session=session, page=template.removesuffix(".html"), lang=language,
            t=functools.partial(strings.text, language), strings_json=strings.table(language),
            languages=strings.LANGUAGE_NAMES, here=request.path_qs, **values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def refusal(self, request: web.Request, status: int, key: str, kind: str = "refused") -> web.Response:
        """A refusal in the operator's language: JSON for the script, else the error page."""
        message = say(request, key)
        if request.path.startswith("/api/"):
            return error_json(message, status, kind=kind)
        title = "error.not_found_title" if status == 404 else "error.forbidden_title"
        return self.page("error.html", request, status, title=say(request, title), message=message)

    async def heartbeat(self, operator: str) -> None:
        """Tells the Rasa side this operator is here, at most every HEARTBEAT_EVERY seconds (awaited,
        so that a user asking for a person right after the operator's first page finds them)."""
        now = time.monotonic()
        if now - self._beats.get(operator, -HEARTBEAT_EVERY) < HEARTBEAT_EVERY:
            return
        self._beats[operator] = now
        await self.presence(operator, True)

    async def presence(self, operator: str, online: bool) -> None:
        try:
            await self.client.presence(operator, online)
        except HandoffError as error:  # the console still works for calls; the queue will say why
            logger.warning("presence heartbeat failed: %s", error.message)


def language_of(request: web.Request) -> str:
    """The session's language; without one the sign-in page's choice, the browser's, or Albanian."""
    session: Session | None = request.get("session")
    if session is not None:
        return session.language
    return (strings.chosen(request.cookies.get(LANGUAGE_COOKIE))
            or strings.from_accept_language(request.headers.get("Accept-Language"))
            or strings.DEFAULT_LANGUAGE)


def say(request: web.Request, key: str, **params: Any) -> str:
    return strings.text(language_of(request), key, **params)


def error_json(message: str, status: int, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def handoff_message(request: web.Request, error: HandoffError) -> str:
    """A refusal of the handoff core in the operator's language (by its kind)."""
    kind = getattr(error, "kind", "refused")
    if kind not in HANDOFF_KINDS:
        return say(request, "handoff.refused", detail=error.message)
    return say(request, f"handoff.{kind}", **{"holder": "", "length": 0, "limit": 0, **error.details})


def handoff_failure(request: web.Request, error: HandoffError) -> web.Response:
    """A refusal of the handoff core as JSON with its own status and kind."""
    extra: dict[str, Any] = {"kind": getattr(error, "kind", "refused")}
    if isinstance(error, TooLong):
        extra["limit"] = error.limit
    return error_json(handoff_message(request, error), getattr(error, "status", 409), **extra)


class NoSuchHandoff(web.HTTPNotFound):
    """A handoff id the store cannot have made."""


def back_to(form: Any) -> str:
    """The page the language switch was pressed on (a path of this site), else the start page."""
    target = str(form.get("next", "")) if hasattr(form, "get") else ""
    return target if LOCAL_PATH.match(target) else "/"


def remember_language(response: web.StreamResponse, language: str) -> None:
    """Pages without a session (the sign-in form, after signing out) keep the operator's language."""
    response.set_cookie(LANGUAGE_COOKIE, language, httponly=True, samesite="Strict", path="/",
                        max_age=365 * 86_400)


def create_app(console: Console) -> web.Application:
    """Routes, the sign-in and CSRF middleware, the security headers."""
    headers = safety_headers(strict_policy(), "helpline-console")
    accounts = console.accounts

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PUBLIC):
            return await handler(request)
        session = await in_thread(accounts.session, request.cookies.get(SESSION_COOKIE))
        if session is None:
            if request.path.startswith("/api/"):
                return error_json(say(request, "error.signed_out"), 401, kind="signed_out")
            raise web.HTTPSeeOther("/signin")
        if request.method not in ("GET", "HEAD"):
            form = await request.post() if request.content_type.startswith(
                ("application/x-www-form-urlencoded", "multipart/")) else {}
            if not csrf.same(csrf.given_token(request.headers, form), session.csrf):
                return console.refusal(request, 403, "error.csrf", "csrf")
        request["session"] = session
        await console.heartbeat(session.operator)
        try:
            return await handler(request)
        except NoSuchHandoff:
            return console.refusal(request, 404, "handoff.not_found", "not_found")
        except web.HTTPNotFound:
            return console.refusal(request, 404, "error.not_found", "not_found")

    def supervisor(handler: Handler) -> Handler:
        async def only_supervisors(request: web.Request) -> web.StreamResponse:
            if request["session"].role != "supervisor":
                return console.refusal(request, 403, "error.supervisors", "supervisors_only")
            return await handler(request)
        return only_supervisors

    # -- signing in and out ---------------------------------------------------------------------

    def sign_in_form(request: web.Request, error: str | None = None, status: int = 200,
                     name: str = "") -> web.Response:
        """The form; `error` is a sentence already in the page's language."""
        # the same token while the cookie lives: a second sign-in page loaded meanwhile (another
        # tab, the browser's favicon request sent here) must not invalidate the form on screen
        token = request.cookies.get(csrf.SIGN_IN_COOKIE) or ""
        if not csrf.TOKEN.match(token):
            token = csrf.new_token()
        response = console.page("signin.html", request, status, csrf_token=token, error=error, name=name)
        response.set_cookie(csrf.SIGN_IN_COOKIE, token, httponly=True, samesite="Strict", path="/signin",
                            max_age=3600)
        return response

    async def signin_page(request: web.Request) -> web.StreamResponse:
        if await in_thread(accounts.session, request.cookies.get(SESSION_COOKIE)):
            raise web.HTTPSeeOther("/")
        return sign_in_form(request)

    async def signin(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not csrf.same(csrf.given_token({}, form), request.cookies.get(csrf.SIGN_IN_COOKIE)):
            return sign_in_form(request, say(request, "signin.expired"), 403)
        name, password = str(form.get("name", "")).strip().lower(), str(form.get("password", ""))
        try:
            check_name(name)
        except AccountError:
            return sign_in_form(request, say(request, "signin.wrong"), 401, name[:32])
        outcome = await in_thread(accounts.sign_in, name, password, client_address(request), None,
                                  language_of(request))
        if outcome.token is None:
            await asyncio.sleep(outcome.delay)
            key = outcome.error or "signin.wrong"
            return sign_in_form(request, say(request, key, minutes=outcome.minutes),
                                401 if key == "signin.wrong" else 429, name)
        response = web.HTTPSeeOther("/")
        response.set_cookie(SESSION_COOKIE, outcome.token, httponly=True, samesite="Strict", path="/")
        response.del_cookie(csrf.SIGN_IN_COOKIE, path="/signin")
        raise response

    async def signout(request: web.Request) -> web.StreamResponse:
        session: Session = request["session"]
        await in_thread(accounts.sign_out, request.cookies.get(SESSION_COOKIE, ""))
        console.forget_beat(session.operator)
        await console.presence(session.operator, False)
        response = web.HTTPSeeOther("/signin")
        response.del_cookie(SESSION_COOKIE, path="/")
        remember_language(response, session.language)
        raise response

    # -- the console's language -----------------------------------------------------------------

    def language_chosen(request: web.Request, form: Any) -> web.StreamResponse | str:
        language = strings.chosen(str(form.get("language", "")))
        return language if language else console.refusal(request, 400, "error.bad_language")

    async def switch_language(request: web.Request) -> web.StreamResponse:
        """Shqip / English while signed in (the guard has checked the CSRF token): kept in the session."""
        form = await request.post()
        language = language_chosen(request, form)
        if not isinstance(language, str):
            return language
        await in_thread(accounts.set_language, request.cookies.get(SESSION_COOKIE, ""), language)
        response = web.HTTPSeeOther(back_to(form))
        remember_language(response, language)
        raise response

    async def switch_sign_in_language(request: web.Request) -> web.StreamResponse:
        """Shqip / English on the sign-in form, checked with the form's own token (double submit)."""
        form = await request.post()
        if not csrf.same(csrf.given_token({}, form), request.cookies.get(csrf.SIGN_IN_COOKIE)):
            return sign_in_form(request, say(request, "signin.expired"), 403)
        language = language_chosen(request, form)
        if not isinstance(language, str):
            return language
        response = web.HTTPSeeOther("/signin")
        remember_language(response, language)
        raise response

    # -- script aid -----------------------------------------------------------------------------

    async def home(_: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther("/aid")

    async def aid_page(request: web.Request) -> web.StreamResponse:
        snapshot = console.aid.snapshot if console.aid else None
        topics = sorted(snapshot.topics.values(), key=lambda t: t.key) if snapshot else []
        return console.page("aid.html", request, topics=topics)

    async def aid_lookup(request: web.Request) -> web.StreamResponse:
        if console.aid is None:
            return error_json(say(request, "aid.loading"), 503)
        text = request.query.get("q", "")
        place = request.query.get("place") or None
        return web.json_response(console.aid.lookup(text, place).to_json())

    async def outcome(request: web.Request) -> web.StreamResponse:
        """The structured outcome of a call: a topic, a language, whom the caller was referred to."""
        body = await request.json() if request.content_type == "application/json" else {}
        if not isinstance(body, dict):
            return error_json(say(request, "outcome.bad_body"), 400)
        topic, language, referred = (str(body.get(k) or "").strip()[:MAX_OUTCOME] or None
                                     for k in ("topic", "language", "referred_to"))
        snapshot = console.aid.snapshot if console.aid else None
        if topic and snapshot and topic not in snapshot.topics:
            return error_json(say(request, "outcome.unknown_topic", topic=repr(topic)), 400)
        if language and language not in LANGUAGES:
            return error_json(say(request, "outcome.bad_language"), 400)
        if not (topic or language or referred):
            return error_json(say(request, "outcome.nothing"), 400)
        await in_thread(record_outcome, accounts.engine, request["session"].operator, topic, language, referred)
        return web.json_response({"recorded": True})

    # -- handoffs -------------------------------------------------------------------------------

    def handoff_id(request: web.Request) -> str:
        value = request.match_info["handoff_id"]
        if not HANDOFF_ID.match(value):
            raise NoSuchHandoff()
        return value

    async def queue_page(request: web.Request) -> web.StreamResponse:
        return console.page("queue.html", request)

    async def queue(request: web.Request) -> web.StreamResponse:
        try:
            items = await console.client.queue()
        except HandoffError as error:
            return handoff_failure(request, error)
        now = dt.datetime.now(dt.timezone.utc)
        return web.json_response({"items": [{**item.as_json(),
                                             "waiting_seconds": max(0, int((now - item.requested_at).total_seconds()))}
                                            for item in items]})

    async def conversation_page(request: web.Request) -> web.StreamResponse:
        ident = handoff_id(request)
        await in_thread(accounts.audit, request["session"].operator, "opened", ident)
        return console.page("conversation.html", request, handoff_id=ident)

    async def history(request: web.Request) -> web.StreamResponse:
        ident = handoff_id(request)
        try:
            turns, items = await asyncio.gather(console.client.history(ident), console.client.queue())
        except HandoffError as error:
            return handoff_failure(request, error)
        item = next((i for i in items if i.handoff_id == ident), None)
        last_user = next((t.text for t in reversed(turns) if t.who == "user"), None)
        suggestions = console.aid.lookup(last_user).to_json() if console.aid and last_user else None
        return web.json_response({"item": item.as_json() if item else None,
                                  "turns": [t.as_json() for t in turns], "suggestions": suggestions})

    def action(name: str, audit: str) -> Handler:
        """take / release / close: one client call, audited with the handoff id only."""
        async def act(request: web.Request) -> web.StreamResponse:
            ident, operator = handoff_id(request), request["session"].operator
            try:
                result = await getattr(console.client, name)(ident, operator)
            except HandoffError as error:
                return handoff_failure(request, error)
            await in_thread(accounts.audit, operator, audit, ident)
            return web.json_response({"ok": True, "item": result.as_json() if result is not None else None})
        return act

    async def send(request: web.Request) -> web.StreamResponse:
        ident, operator = handoff_id(request), request["session"].operator
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not isinstance(body.get("key"), str):
            return error_json(say(request, "conv.bad_body"), 400)
        text, key = body["text"].strip(), body["key"][:64]
        if not text:
            return error_json(say(request, "conv.empty"), 400)
        try:
            await console.replies.once(f"{ident}:{key}", lambda: console.client.send(ident, operator, text))
        except HandoffError as error:
            return handoff_failure(request, error)
        await in_thread(accounts.audit, operator, "replied", ident)
        return web.json_response({"sent": True})

    # -- statistics -----------------------------------------------------------------------------

    async def figures_of(request: web.Request) -> Figures:
        period = parse_period(request.query.get("start"), request.query.get("end"))
        snapshot = console.aid.snapshot if console.aid else None
        try:
            figures = await in_thread(console.conversation_figures, period, snapshot)
        except LookupError as error:  # endpoints.yml has no SQL tracker store: no conversations to count
            figures = Figures(period, per_day=dict.fromkeys(period.days, 0), tracker_error=str(error))
        figures.outcomes = await in_thread(outcome_figures, accounts.engine, period)
        start, end = period.bounds
        try:
            figures.handoffs = await console.client.summary(start, end)
        except HandoffError as error:
            figures.handoff_error = handoff_message(request, error)
        return figures

    async def stats_page(request: web.Request) -> web.StreamResponse:
        try:
            figures = await figures_of(request)
        except PeriodError as error:
            return console.page("stats.html", request, 400, figures=None, error=error.text(language_of(request)),
                                charts={}, start=request.query.get("start", ""), end=request.query.get("end", ""))
        empty = say(request, "stats.no_data")
        charts = {
            "per_day": bar_chart(say(request, "stats.chart_per_day"),
                                 [(d.isoformat(), n) for d, n in sorted(figures.per_day.items())], empty=empty),
            "languages": bar_chart(say(request, "stats.chart_languages"), figures.languages.most_common(),
                                   empty=empty),
            "topics": bar_chart(say(request, "stats.chart_topics"), figures.topics.most_common(), empty=empty),
            "cards": bar_chart(say(request, "stats.chart_cards"), figures.cards.most_common(10), empty=empty),
        }
        return console.page("stats.html", request, figures=figures, error=None, charts=charts,
                            start=figures.period.start.isoformat(), end=figures.period.end.isoformat())

    async def stats_csv(request: web.Request) -> web.StreamResponse:
        try:
            figures = await figures_of(request)
        except PeriodError as error:
            return web.Response(text=error.text(language_of(request)), status=400)
        name = f"helpline-{figures.period.start}-{figures.period.end}.csv"
        return web.Response(text=figures_csv(figures), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # -- the audit log --------------------------------------------------------------------------

    async def audit_page(request: web.Request) -> web.StreamResponse:
        """Who did what to which handoff, newest first, by operator and period (never a text)."""
        query = request.query
        names = [op.name for op in await in_thread(accounts.operators)]
        chosen_operator = query.get("operator") or None
        values: dict[str, Any] = {"operators": names, "operator": chosen_operator or "", "entries": [],
                                  "start": query.get("start", ""), "end": query.get("end", ""),
                                  "number": 1, "newer": None, "older": None}
        try:
            period = parse_period(query.get("start"), query.get("end"))
            number = int(query.get("page", "1"))
        except PeriodError as error:
            return console.page("audit.html", request, 400, error=error.text(language_of(request)), **values)
        except ValueError:
            number = 0
        if number < 1:
            return console.page("audit.html", request, 400, error=say(request, "audit.bad_page"), **values)
        if chosen_operator is not None and chosen_operator not in names:
            return console.page("audit.html", request, 400,
                                error=say(request, "audit.unknown_operator", name=chosen_operator), **values)
        start, end = (moment.timestamp() for moment in period.bounds)
        entries, more = await in_thread(accounts.audit_log, chosen_operator, start, end,
                                        (number - 1) * AUDIT_PAGE, AUDIT_PAGE)
        filters = {"operator": chosen_operator or "", "start": period.start.isoformat(), "end": period.end.isoformat()}

        def link(page_number: int) -> str:
            return "/audit?" + urllib.parse.urlencode({**filters, "page": page_number})

        values.update(start=filters["start"], end=filters["end"], number=number,
                      newer=link(number - 1) if number > 1 else None, older=link(number + 1) if more else None,
                      entries=[(dt.datetime.fromtimestamp(e.at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                                e.operator, e.action, e.handoff_id) for e in entries])
        return console.page("audit.html", request, error=None, **values)

    # -- the rest -------------------------------------------------------------------------------

    async def static(request: web.Request) -> web.StreamResponse:
        return file_response(STATIC_DIR, request.match_info["name"])

    async def health(_: web.Request) -> web.StreamResponse:
        """Ready once the script aid has its models (scripts/run.sh waits for this)."""
        if console.aid is None:
            return web.Response(text="loading the script aid", status=503)
        return web.Response(text="ok")

    async def add_headers(_: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(headers)
        response.headers["Cache-Control"] = "no-store"

    async def close(_: web.Application) -> None:
        await console.aclose()

    app = web.Application(middlewares=[guard])
    app.router.add_get("/healthz", health)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/signin", signin_page)
    app.router.add_post("/signin", signin)
    app.router.add_post("/signout", signout)
    app.router.add_post("/signin/language", switch_sign_in_language)
    app.router.add_post("/language", switch_language)
    app.router.add_get("/", home)
    app.router.add_get("/aid", aid_page)
    app.router.add_get("/api/aid", aid_lookup)
    app.router.add_post("/api/outcome", outcome)
    app.router.add_get("/queue", queue_page)
    app.router.add_get("/api/queue", queue)
    app.router.add_get("/handoff/{handoff_id}", conversation_page)
    app.router.add_get("/api/handoff/{handoff_id}", history)
    app.router.add_post("/api/handoff/{handoff_id}/take", action("take", "took"))
    app.router.add_post("/api/handoff/{handoff_id}/release", action("release", "released"))
    app.router.add_post("/api/handoff/{handoff_id}/close", action("close", "closed"))
    app.router.add_post("/api/handoff/{handoff_id}/send", send)
    app.router.add_get("/stats", supervisor(stats_page))
    app.router.add_get("/stats.csv", supervisor(stats_csv))
    app.router.add_get("/audit", supervisor(audit_page))
    app.on_response_prepare.append(add_headers)
    app.on_cleanup.append(close)
    return app


def main() -> None:
    """Runs the console until interrupted; logs its address, never a request."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it would log every URL, handoff ids included
    settings = Settings.from_env()
    if not settings.token:
        logger.warning("HELPLINE_CONSOLE_TOKEN is not set (and var/console.token is missing): the queue "
                       "cannot reach the assistant; scripts/run.sh generates one")
    console = Console(settings)
    app = create_app(console)

    async def start(_: web.Application) -> None:
        asyncio.get_running_loop().create_task(console.load_aid())

    app.on_startup.append(start)
    logger.info("Operator console at http://%s:%d/ (assistant at %s)", settings.host, settings.port,
                settings.rasa_url)
    web.run_app(app, host=settings.host, port=settings.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
