"""`scripts/run.sh --cluster` started as a person starts it, on free ports, and the loads that
prove it keeps every message: tests/test_cluster.py asserts on their results, bench/cluster.py
prints them.

The cluster's files (PostgreSQL's data, its password) go to a directory of its own under /tmp
that the postgres user can enter; its logs to the caller's directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import requests
import sqlalchemy
from e2e_support import MODEL, ROOT, free_ports

from bot import settings
from bot.privacy import hash_sender

sys.path.insert(0, str(ROOT / "bench"))
import soak  # (bench/soak.py: the soak's conversations and its store check)

STARTUP_SECONDS = 600  # installing the Debian packages on a clean machine, then the replicas


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def pid_listening(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


@dataclass
class Cluster:
    """scripts/run.sh --cluster with its proxy, replicas, action server, PostgreSQL and Redis."""

    logs: Path
    replicas: int = 3
    ports: dict[str, int] = field(default_factory=dict)
    replica_ports: list[int] = field(default_factory=list)
    data: Path | None = None
    run: subprocess.Popen[bytes] | None = None

    @property
    def output(self) -> str:
        return (self.logs / "run.out").read_text(errors="replace")

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.ports['RASA_PORT']}"

    def replica(self, index: int) -> str:
        return f"http://127.0.0.1:{self.replica_ports[index]}"

    @property
    def all_ports(self) -> list[int]:
        return [*self.ports.values(), *self.replica_ports]

    @property
    def tracker_url(self) -> str:
        assert self.data is not None
        password = (self.data / "secrets" / "pg.password").read_text().strip()
        return f"postgresql://helpline:{password}@127.0.0.1:{self.ports['TRACKER_DB_PORT']}/conversations"

    def start(self) -> Cluster:
        if not MODEL.is_file():
            raise RuntimeError("no trained model (scripts/test.sh trains one before pytest)")
        names = ["RASA_PORT", "ACTION_PORT", "WEB_PORT", "CONSOLE_PORT", "TRACKER_DB_PORT", "REDIS_PORT"]
        values = free_ports(len(names) + self.replicas)
        self.ports = dict(zip(names, values, strict=False))
        self.replica_ports = values[len(names):]
        self.data = Path(tempfile.mkdtemp(prefix="helpline-cluster-"))
        self.data.chmod(0o755)  # PostgreSQL runs as the postgres user
        self.logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **{k: str(v) for k, v in self.ports.items()},
               "HELPLINE_REPLICAS": str(self.replicas),
               "HELPLINE_REPLICA_PORTS": " ".join(map(str, self.replica_ports)),
               "HELPLINE_CLUSTER_DIR": str(self.data), "HELPLINE_LOG_DIR": str(self.logs),
               # the loads come from one address, 127.0.0.1, at hundreds of messages a second:
               # the per-address and overall limits (tests/test_limits.py) would refuse them
               "HELPLINE_LIMIT_ADDRESS": "0", "HELPLINE_LIMIT_OVERALL": "0"}
        env.pop("HELPLINE_DB_URL", None)  # cluster mode sets its own
        with (self.logs / "run.out").open("wb") as out:
            self.run = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh"), "--cluster"], cwd=ROOT, env=env,
                                        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_SECONDS
        while "The assistant is running" not in self.output:
            if self.run.poll() is not None or time.monotonic() > deadline:
                output = self.output[-4000:]
                self.stop()
                raise RuntimeError(f"scripts/run.sh --cluster did not start:\n{output}")
            time.sleep(1)
        return self

    def stop(self, timeout: float = 90) -> list[int]:
        """Stops run.sh as Ctrl+C's TERM would; the ports still listening after `timeout`."""
        if self.run is not None and self.run.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.run.pid, signal.SIGTERM)
            try:
                self.run.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.run.pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while any(listening(p) for p in self.all_ports) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [p for p in self.all_ports if listening(p)]
        if self.data is not None:
            shutil.rmtree(self.data, ignore_errors=True)
        return left

    def user_events(self, senders: list[str]) -> dict[str, list[tuple[str, str]]]:
        """(type, data) of every event stored for each channel sender, in order."""
        hashed = {hash_sender(s, "rest"): s for s in senders}
        found: dict[str, list[tuple[str, str]]] = {s: [] for s in senders}
        engine = sqlalchemy.create_engine(self.tracker_url, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as db:
                rows = db.execute(sqlalchemy.text(
                    "select sender_id, type_name, data from events where sender_id = any(:ids) order by id"),
                    {"ids": list(hashed)})
                for sender_id, type_name, data in rows:
                    found[hashed[sender_id]].append((type_name, data))
        finally:
            engine.dispose()
        return found


def user_texts(events: list[tuple[str, str]]) -> list[str]:
    return [json.loads(data).get("text") or "" for kind, data in events if kind == "user"]


async def post(session: aiohttp.ClientSession, url: str, sender: str, text: str,
               timeout: float = 120) -> tuple[int, Any]:
    """(status, JSON body); status 0 when the connection itself failed."""
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return response.status, await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        return 0, repr(error)


def answered(status: int, body: Any) -> bool:
    return status == 200 and isinstance(body, list) and bool(body)


# --- the race: two messages of one new sender at the same instant, one to each of two replicas ---

RACE_TEXTS = ("pershendetje", "what is assisted voluntary return?")


@dataclass
class RaceResult:
    pairs: int
    seconds: float
    unanswered: int  # requests without an answer
    unanswered_by: dict[str, int]  # what they got instead: HTTP status, or the client's error
    lost: int  # user messages not stored
    doubled: int  # events stored more than once
    session_starts_not_one: int  # senders with no session start, or more than one
    examples: list[str]


async def race(cluster: Cluster, pairs: int) -> RaceResult:
    senders = [f"race-{uuid.uuid4().hex[:16]}" for _ in range(pairs)]
    first, second = cluster.replica(0), cluster.replica(1)
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        # a burst queues messages: each may wait its turn and the turn (bot.settings.response_seconds)
        wait = settings.response_seconds() + 30
        replies = await asyncio.gather(*(asyncio.gather(post(session, first, s, RACE_TEXTS[0], wait),
                                                        post(session, second, s, RACE_TEXTS[1], wait))
                                         for s in senders))
    seconds = time.monotonic() - started
    failed = [reply for pair in replies for reply in pair if not answered(*reply)]
    unanswered = len(failed)
    unanswered_by = Counter(str(status) if status else str(body).split("(")[0] for status, body in failed)
    stored = cluster.user_events(senders)
    lost = doubled = starts = 0
    examples: list[str] = []
    for sender in senders:
        events = stored[sender]
        missing = sorted(RACE_TEXTS) != sorted(user_texts(events))
        twice = sum(n - 1 for n in Counter(data for _, data in events).values())
        session_starts = sum(kind == "session_started" for kind, _ in events)
        lost += missing
        doubled += twice
        starts += session_starts != 1
        if (missing or twice or session_starts != 1) and len(examples) < 5:
            examples.append(f"{sender}: user texts {user_texts(events)}, {session_starts} session starts")
    return RaceResult(pairs, seconds, unanswered, dict(unanswered_by), lost, doubled, starts, examples)


# --- kill -9 of one replica under load through the proxy ---

MESSAGES = soak.MESSAGES


def tag(n: int) -> str:
    """A word of letters only that marks one message (the redaction leaves it alone)."""
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters += chr(ord("a") + r)
        if n == 0:
            return f"zq{letters}"


@dataclass
class KillResult:
    users: int
    sent: int
    answered: int
    errors: dict[str, int]  # what the clients got instead of an answer, counted
    lost: int  # answered, not stored
    doubled: int  # stored more than once
    unclear_errors: int  # errors that were not the proxy's JSON explanation
    users_answered_after_kill: int
    restarted_seconds: float | None  # from the kill until the replica answered again
    examples: list[str]


async def load_with_kill(cluster: Cluster, users: int, seconds: float, kill_after: float,
                         pace: float = 3.5) -> KillResult:
    """`users` conversations through the proxy, a message every `pace` seconds each (under the
    per-sender limit: a limited message is answered with a request to wait and not stored), and
    replica 2 killed with SIGKILL after `kill_after` seconds."""
    counter = iter(range(10**9))
    sent: dict[str, list[tuple[str, int, Any, float]]] = {}
    victim = cluster.replica_ports[1]
    killed_at: list[float] = []
    start = time.monotonic()

    async def user(session: aiohttp.ClientSession, index: int) -> None:
        sender = f"kill-{uuid.uuid4().hex[:16]}"
        sent[sender] = []
        turn = 0
        while time.monotonic() - start < seconds:
            marker = tag(next(counter))
            text = f"{MESSAGES[(index + turn) % len(MESSAGES)]} {marker}"
            turn += 1
            status, body = await post(session, cluster.proxy, sender, text)
            sent[sender].append((marker, status, body, time.monotonic()))
            await asyncio.sleep(pace)

    async def kill() -> float | None:
        await asyncio.sleep(kill_after)
        os.kill(pid_listening(victim), signal.SIGKILL)
        killed_at.append(time.monotonic())
        while time.monotonic() - killed_at[0] < 300:
            await asyncio.sleep(0.5)
            with contextlib.suppress(requests.RequestException):
                if (await asyncio.to_thread(requests.get, f"http://127.0.0.1:{victim}/", timeout=2)).ok:
                    return time.monotonic() - killed_at[0]
        return None

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        restarted, *_ = await asyncio.gather(kill(), *(user(session, i) for i in range(users)))
    await asyncio.sleep(2)  # a turn the proxy gave up on may still finish on a live replica
    stored = cluster.user_events(list(sent))
    errors: Counter[str] = Counter()
    lost = doubled = unclear = after = 0
    examples: list[str] = []
    for sender, messages in sent.items():
        texts = user_texts(stored[sender])
        for marker, status, body, _ in messages:
            copies = sum(text.split()[-1:] == [marker] for text in texts)
            ok = answered(status, body)
            if not ok:
                errors[str(status)] += 1
                clear = isinstance(body, dict) and "send it again" in str(body.get("error"))
                unclear += not clear
                if not clear and len(examples) < 5:
                    examples.append(f"{sender} {marker}: HTTP {status}, {str(body)[:200]}")
            if (ok and copies != 1) or copies > 1:
                lost += ok and copies == 0
                doubled += copies > 1
                if len(examples) < 5:
                    examples.append(f"{sender} {marker}: HTTP {status}, stored {copies} times")
        after += any(answered(status, body) and at > killed_at[0] for _, status, body, at in messages)
    total = sum(len(m) for m in sent.values())
    return KillResult(users, total, total - sum(errors.values()), dict(errors), lost, doubled, unclear,
                      after, restarted, examples)


# --- the soak through the proxy ---


@dataclass
class SoakResult:
    conversations: int
    seconds: float
    messages: int
    errors: int
    stored: int
    missing: int  # conversations with an answered message not stored
    doubled: int  # conversations with more stored than sent
    p50_ms: float
    p95_ms: float


async def soak_through_proxy(cluster: Cluster, conversations: int, seconds: float, pace: float = 3.5) -> SoakResult:
    results = await soak.soak(cluster.proxy, conversations, seconds, pace)
    await asyncio.sleep(1)
    stored, missing, doubled = soak.stored_once(results, cluster.tracker_url)
    latencies = sorted(results["latencies"])
    return SoakResult(conversations, seconds, len(latencies), results["errors"], stored, missing, doubled,
                      latencies[len(latencies) // 2], latencies[int(0.95 * (len(latencies) - 1))])
