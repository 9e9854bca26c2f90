"""Support for the end-to-end tests: start the real servers, talk to them over REST, assert.

`Servers.start()` runs the real action server and the real Rasa server on free ports, each in
its own process group with its log in a file, so that a person already running the assistant
on 5005/5055 is never disturbed. `Conversation` sends messages as one fresh sender and its
assertions say what was sent, what came back and what the servers logged meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio
import sqlalchemy

from bot.privacy import hash_sender

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "helpline.tar.gz"
STARTUP_TIMEOUT = 180.0  # seconds; Rasa loads TensorFlow and the model
REQUEST_TIMEOUT = 60.0
LOG_TAIL_LINES = 60
LANGUAGE_NAMES = {"sq": "Albanian", "en": "English"}

# Frequent short words of each language (folded), counted to tell which language a reply is in.
ALBANIAN_WORDS = frozenset({
    "dhe", "per", "ne", "te", "nje", "eshte", "nga", "se", "qe", "ju", "mund", "ose", "jeni",
    "nese", "ka", "si", "kthimi", "telefononi", "linjen", "linja", "burimi", "rishikuar",
    "rregull", "cfare", "ndihmoj", "vullnetar", "jam", "nuk", "keq",
})
ENGLISH_WORDS = frozenset({
    "the", "and", "to", "of", "for", "you", "is", "in", "or", "can", "with", "are", "if", "call",
    "source", "reviewed", "help", "what", "sorry", "not", "i", "am", "your", "this", "that",
})


def free_port() -> int:
    """A TCP port that nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and port not in (5005, 5055):
            ports.append(port)
    return ports


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Process:
    """One server process, in its own process group, logging to a file."""

    name: str
    args: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        handle = self.log.open("ab")
        try:
            self.popen = subprocess.Popen(self.args, cwd=ROOT, env=env, stdout=handle,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        finally:
            handle.close()

    def exited(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM to the whole process group, then SIGKILL if it lingers."""
        if self.popen is None or self.popen.poll() is not None:
            return
        pgid = self.popen.pid  # start_new_session: the group id is the leader's pid
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # children of the leader (Sanic workers) may outlive it: make sure the group is gone
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int) -> str:
        try:
            with self.log.open("rb") as handle:
                handle.seek(offset)
                return handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""


def server_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(ROOT / ".venv")
    env["HELPLINE_DB_URL"] = db_url
    env["SANIC_HOST"] = "127.0.0.1"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["SQLALCHEMY_SILENCE_UBER_WARNING"] = "1"
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONPATH", None)
    return env


@dataclass
class Servers:
    """The real action server and Rasa server, started on free ports."""

    workdir: Path
    action_port: int = 0
    rasa_port: int = 0
    actions: Process | None = None
    rasa: Process | None = None
    startup_seconds: float = 0.0
    env: dict[str, str] = field(default_factory=dict)
    extra_endpoints: str = ""  # more endpoints.yml sections, e.g. a tracker store
    tracker_url: str | None = None  # the database of the tracker store, when there is one
    extra_env: dict[str, str] = field(default_factory=dict)  # more variables for both servers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    @property
    def processes(self) -> list[Process]:
        return [p for p in (self.actions, self.rasa) if p is not None]

    def logs(self) -> str:
        return "\n".join(f"----- last lines of {p.name} log ({p.log}) -----\n{tail(p.log)}"
                         for p in self.processes)

    def load_knowledge(self) -> None:
        result = subprocess.run([str(VENV_BIN / "helpline"), "kb", "import", "--quiet"],
                                cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError("`helpline kb import --quiet` failed "
                               f"(exit {result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        started = time.monotonic()
        if not MODEL.is_file():
            raise RuntimeError(f"No trained model at {MODEL}. scripts/test.sh trains one before "
                               "pytest; to train by hand: .venv/bin/rasa train "
                               "--fixed-model-name helpline --out models")
        self.env = {**server_env(f"sqlite:///{self.workdir / 'knowledge.db'}"), **self.extra_env}
        self.load_knowledge()
        self.allocate_ports()
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text("action_endpoint:\n"
                             f"  url: http://127.0.0.1:{self.action_port}/webhook\n"
                             + self.extra_endpoints, encoding="utf-8")
        self.actions = Process("action server", [
            str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions",
            "--port", str(self.action_port),
        ], self.workdir / "actions.log")
        self.rasa = Process("rasa server", [  # Rasa as scripts/run.sh starts it (bot/launcher.py)
            str(VENV_BIN / "helpline-rasa"), "run", "--model", str(MODEL), "--interface", "127.0.0.1",
            "--port", str(self.rasa_port), "--endpoints", str(endpoints), *self.rasa_options(),
        ], self.workdir / "rasa.log")
        self.actions.start(self.env)
        self.rasa.start(self.env)
        self.start_more()
        deadline = started + STARTUP_TIMEOUT
        for url, process in self.health_checks():
            self._wait_for(url, process, deadline)
        self.startup_seconds = time.monotonic() - started

    # Hooks for servers that run more than the action server and Rasa (tests/web_support.py).
    def allocate_ports(self) -> None:
        self.action_port, self.rasa_port = free_ports(2)

    def rasa_options(self) -> list[str]:
        return []

    def start_more(self) -> None:
        """Starts any further process after the action server and Rasa."""

    def health_checks(self) -> list[tuple[str, Process]]:
        assert self.actions is not None and self.rasa is not None
        return [(f"http://127.0.0.1:{self.action_port}/health", self.actions),
                (f"{self.url}/", self.rasa)]

    def wait_for_actions(self) -> None:
        """Waits until the action server answers its health check."""
        assert self.actions is not None
        self._wait_for(f"http://127.0.0.1:{self.action_port}/health", self.actions,
                       time.monotonic() + STARTUP_TIMEOUT)

    @classmethod
    def with_tracker_store(cls, workdir: Path, url: str | None = None) -> Servers:
        """Servers whose conversations live in the tracker store of endpoints.yml, as scripts/run.sh
        runs them: in `url` (a SQLAlchemy URL), by default a SQLite file in `workdir`."""
        url = url or f"sqlite:///{workdir / 'tracker.db'}"
        return cls(workdir, tracker_url=url, extra_endpoints=(
            f"tracker_store:\n  type: bot.tracker_store.HelplineTrackerStore\n  url: {json.dumps(url)}\n"))

    def stored_events(self, sender: str, channel: str = "rest") -> list[tuple[str, str]]:
        """(type, JSON data) of every event the tracker store holds for the channel's `sender`
        (stored under its keyed hash, bot/privacy.py), in order."""
        assert self.tracker_url, "these servers have no tracker store"
        engine = sqlalchemy.create_engine(self.tracker_url, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as connection:
                return [(row[0], row[1]) for row in connection.execute(sqlalchemy.text(
                    "select type_name, data from events where sender_id = :s order by id"),
                    {"s": hash_sender(sender, channel)})]
        finally:
            engine.dispose()

    def restart_rasa(self) -> None:
        """Stops the Rasa server and starts it again on the same port (the action server stays)."""
        assert self.rasa is not None
        self.rasa.stop()
        self.rasa.start(self.env)
        self._wait_for(f"{self.url}/", self.rasa, time.monotonic() + STARTUP_TIMEOUT)

    def _wait_for(self, url: str, process: Process, deadline: float) -> None:
        while time.monotonic() < deadline:
            for other in self.processes:
                code = other.exited()
                if code is not None:
                    raise RuntimeError(f"The {other.name} exited with code {code} while starting."
                                       f"\n{self.logs()}")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"The {process.name} did not answer {url} within "
                           f"{STARTUP_TIMEOUT:.0f} s.\n{self.logs()}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


# ---------------------------------------------------------------------------------------------
# Conversations


def fold(text: str) -> str:
    """Lower case without diacritics, for loose word checks."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def language_of(text: str) -> str | None:
    """"sq" or "en" by counting each language's frequent words; None when it cannot tell."""
    tokens = re.findall(r"[a-z']+", fold(text))
    sq = sum(token in ALBANIAN_WORDS for token in tokens)
    en = sum(token in ENGLISH_WORDS for token in tokens)
    if sq > en:
        return "sq"
    if en > sq:
        return "en"
    return None


@dataclass
class Turn:
    sent: Any
    status: int
    body: Any
    logs: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body if isinstance(self.body, list) else []

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if isinstance(m, dict) and m.get("text")]

    @property
    def text(self) -> str:
        """All the bot's texts of this turn, joined."""
        return "\n".join(self.texts)

    @property
    def first_text(self) -> str:
        return self.texts[0] if self.texts else ""

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for m in self.messages if isinstance(m, dict) for b in m.get("buttons") or []]

    def describe(self) -> str:
        sent = self.sent if isinstance(self.sent, str) else json.dumps(self.sent)
        if isinstance(sent, str) and len(sent) > 200:
            sent = f"{sent[:200]}… ({len(sent)} characters)"
        body = json.dumps(self.body, ensure_ascii=False, indent=1)
        if len(body) > 3000:
            body = body[:3000] + "…"
        return (f"sent: {sent!r}\nHTTP {self.status}\nreceived: {body}\n"
                f"----- server logs during this turn -----\n{self.logs or '(nothing)'}")


class Conversation:
    """One user (a fresh sender id) talking to the REST channel."""

    def __init__(self, servers: Servers, label: str = "e2e") -> None:
        self.servers = servers
        self.sender = f"{re.sub(r'[^A-Za-z0-9_-]+', '-', label)[:40]}-{uuid.uuid4().hex[:12]}"
        self.turns: list[Turn] = []

    def post(self, payload: Any) -> Turn:
        """POSTs a JSON body to the REST channel; records what came back and what was logged."""
        offsets = [(p, p.log_size()) for p in self.servers.processes]
        response = requests.post(self.servers.webhook, json=payload, timeout=REQUEST_TIMEOUT)
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        logs = "\n".join(f"[{p.name}] {line}" for p, offset in offsets
                         for line in p.log_since(offset).splitlines())
        turn = Turn(payload, response.status_code, body, logs)
        self.turns.append(turn)
        return turn

    def say(self, message: str) -> Turn:
        """Sends a message and checks the channel answered with HTTP 200 and a JSON list."""
        turn = self.post({"sender": self.sender, "message": message})
        self.check(turn.status == 200, turn, "expected HTTP 200")
        self.check(isinstance(turn.body, list), turn, "expected a JSON list of bot messages")
        return turn

    def history(self) -> str:
        lines = []
        for turn in self.turns:
            sent = turn.sent.get("message") if isinstance(turn.sent, dict) else turn.sent
            if isinstance(sent, str) and len(sent) > 120:
                sent = f"{sent[:120]}… ({len(sent)} characters)"
            lines.append(f"  user: {sent!r}")
            lines.extend(f"  bot:  {text!r}" for text in turn.texts)
        return "\n".join(lines)

    def check(self, condition: bool, turn: Turn, expectation: str) -> None:
        if not condition:
            raise AssertionError(f"{expectation}\nsender {self.sender}\n{turn.describe()}\n"
                                 f"----- conversation so far -----\n{self.history()}")

    # -- assertions on one turn ---------------------------------------------------------------

    def expect(self, message: str, *, contains: tuple[str, ...] = (), any_of: tuple[str, ...] = (),
               absent: tuple[str, ...] = (), language: str | None = None) -> Turn:
        """Says `message`; the joined reply must contain every `contains` (case-insensitive),
        at least one of `any_of`, none of `absent`, and be in `language` when given."""
        turn = self.say(message)
        self.check(bool(turn.texts), turn, "expected at least one bot text")
        folded = fold(turn.text)
        for needle in contains:
            self.check(fold(needle) in folded, turn, f"expected the reply to contain {needle!r}")
        if any_of:
            self.check(any(fold(n) in folded for n in any_of), turn,
                       f"expected the reply to contain one of {any_of!r}")
        for needle in absent:
            self.check(fold(needle) not in folded, turn,
                       f"expected the reply NOT to contain {needle!r}")
        if language:
            self.expect_language(turn, language)
        return turn

    def expect_language(self, turn: Turn, language: str) -> None:
        """The turn's joined texts read as `language` ("sq" or "en")."""
        found = language_of(turn.text)
        self.check(found == language, turn,
                   f"expected a reply in {LANGUAGE_NAMES[language]}, it reads as "
                   f"{LANGUAGE_NAMES.get(found or '', 'neither language')}")


class SocketChat:
    """One real socket.io client (python-socketio) talking to Rasa as the web widget does:
    `session_request`, the server's `session_confirm` {session_id, token}, then `user_uttered`."""

    def __init__(self, url: str, transports: tuple[str, ...] = ("polling",)) -> None:
        self.url, self.transports = url, list(transports)
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[dict[str, Any]] = []
        self.errors: list[Any] = []
        self.confirmed: list[dict[str, Any]] = []
        self.client.on("bot_uttered", self.received.append)
        self.client.on("error", self.errors.append)
        self.client.on("session_confirm", self.confirmed.append)

    @property
    def session_id(self) -> str:
        return str(self.confirmed[-1]["session_id"])

    @property
    def token(self) -> str:
        return str(self.confirmed[-1]["token"])

    async def open(self, request: Any = None, timeout: float = 30.0) -> dict[str, Any]:
        """Connects (unless connected) and asks for a session: `request` is the event's payload
        (default {}: a new one); returns the server's confirmation."""
        if not self.client.connected:
            await self.client.connect(self.url, socketio_path="/socket.io", transports=self.transports)
        before = len(self.confirmed)
        await self.client.emit("session_request", {} if request is None else request)
        deadline = time.monotonic() + timeout
        while len(self.confirmed) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(self.confirmed) > before, f"no session_confirm for {request!r}; errors {self.errors}"
        return self.confirmed[-1]

    async def say(self, text: str, session_id: str | None = None) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id or self.session_id})

    async def texts(self, count: int, timeout: float = 60.0) -> list[str]:
        """The texts received so far, once there are `count` (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return [m.get("text") or "" for m in self.received]

    async def texts_with(self, wanted: str, timeout: float = 60.0) -> list[str]:
        """The texts received so far, once one contains `wanted` (or the timeout passed): a reply
        comes in several bubbles, so a count of texts does not say that it is complete."""
        deadline = time.monotonic() + timeout
        while not any(wanted in t for t in await self.texts(0)) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return await self.texts(0)

    async def close(self) -> None:
        await self.client.disconnect()
