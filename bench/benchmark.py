"""Side-by-side benchmark: our assistant against a plain `rasa init` bot, on this machine.

    python bench/benchmark.py [--quick] [--out reports/bench]

In one run it trains both bots (wall time, cold cache and cached), starts each on free
127.0.0.1 ports, measures cold start (process start to the first correct answer over REST),
sends realistic bilingual conversations over REST at 1, 10 and 50 concurrent closed-loop
conversations, repeats the 10-user load on conversations that already have 200 turns, and
records the peak RSS of Rasa and of the action server. It prints one table and writes
results.json and results.md to --out. It is a measurement, not a test: it never fails on a
missed target, it only says so.

Our REST channel is measured through `UnthrottledRestInput` (below): the production channel
with every guard (length, sanitising, button payloads) but without the per-sender rate limit,
which would otherwise answer a closed-loop sender with "please wait" after 20 messages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e_support import VENV_BIN, Process, free_ports, server_env  # noqa: E402

LEVELS = (1, 10, 50)
REQUEST_TIMEOUT = 30.0  # seconds; a reply slower than this counts as an error
START_TIMEOUT = 240.0
MB = 1_000_000

# Targets of the performance issue (this 2-core machine).
TARGETS = {
    "one_user_p50_ms": 40.0,
    "one_user_p95_ms": 100.0,
    "ten_users_rate_vs_reference": 1.5,
    "ten_users_p95_ms": 500.0,
    "fifty_users_errors": 0,
    "training_s": 240.0,
    "cold_start_s": 20.0,
    "rasa_rss_mb": 1200.0,
    "long_conversation_p95_ratio": 1.2,
}


# ---------------------------------------------------------------------------------------------
# Messages


@dataclass(frozen=True)
class Message:
    text: str
    expect: str | None = None  # a word the reply must contain (checked under load, too)


@dataclass(frozen=True)
class Script:
    """One conversation's messages, in order."""

    name: str
    messages: tuple[Message, ...]


def _script(name: str, *items: str | tuple[str, str]) -> Script:
    return Script(name, tuple(Message(*i) if isinstance(i, tuple) else Message(i) for i in items))


# Bilingual conversations a helpline gets: standard Albanian, Albanian typed without ë/ç, Gheg,
# English; greetings, work abroad, return, trafficking, remittances, emergencies (43 messages).
OUR_SCRIPTS: tuple[Script, ...] = (
    _script("sq-return", "Përshëndetje",
            ("Sa veta janë kthyer nga Anglia me ndihmën e IOM?", "450"),
            "Po çfarë ndihme marrin kur kthehen?", "Faleminderit shumë", "Mirupafshim"),
    _script("sq-plain-work", "pershendetje",
            "dua te punoj ne itali, cfare dokumentesh me duhen?",
            "sa dite mund te qendroj ne itali pa vize?",
            "me kane ofruar pune ne greqi pa kontrate, a eshte e sigurt?", "rrofsh"),
    _script("sq-gheg", "tungjatjeta", "due me u kthy n'shpi prej gjermanie, a m'ndihmoni?",
            "qysh me i çu pare familjes pa humb shume?", "a ka ndonji numer me thirr?",
            "t'falemnderit"),
    _script("sq-emergency", ("më kanë marrë pasaportën dhe nuk më lënë të dal", "112"),
            "ku mund të telefonoj për ndihmë?", "dua të flas me një person",
            "çfarë është trafikimi i qenieve njerëzore?"),
    _script("sq-remittances", "mirëdita", "si mund t'i dërgoj para familjes në Shqipëri?",
            "cila është mënyra më e lirë për remitancat?", "çfarë bën IOM në Shqipëri?",
            "english please", "thanks, bye"),
    _script("en-return", "hello", ("how many people returned from the uk with iom", "450"),
            "what help do returnees get?", "can I talk to a person?", "thank you", "bye"),
    _script("en-work", "hi there", "I want to work abroad legally, where do I start?",
            "is a job offer in Germany without a contract a scam?",
            "how long can I stay in the Schengen area without a visa?", "ok thanks"),
    _script("en-emergency", ("my employer took my passport and won't let me leave", "112"),
            "what is the number of the anti-trafficking helpline?", "who are you?",
            "shqip të lutem", "faleminderit"),
    _script("en-money", "good evening", "how can I send money home safely?",
            "what does IOM do in Albania?", "what can you help me with?", "goodbye"),
)

# The `rasa init` bot's own kinds of messages (greet, moods, affirm/deny, bot challenge, bye).
REFERENCE_SCRIPTS: tuple[Script, ...] = (
    _script("greet-great", "hello", "I am great", "bye"),
    _script("greet-sad", "hi", "I'm sad", "yes", "goodbye"),
    _script("greet-bad", "hey there", "not good at all", "no", "see you"),
    _script("challenge", "good morning", "are you a bot?", "amazing", "have a nice day"),
)

# Replies of ours that mean the turn failed (bot/channels/guard.py, domain.yml): counted as errors.
FAILURE_MARKERS = ("Sorry, something went wrong", "can't open the information",
                   "nuk mund ta hap informacionin", "Më vjen keq / Sorry: 116 006",
                   "Please wait a moment before your next message")

OURS_PROBE = Message("Sa veta janë kthyer nga Anglia me ndihmën e IOM?", "450")
REFERENCE_PROBE = Message("hello", "How are you")


# ---------------------------------------------------------------------------------------------
# The channel our Rasa runs with during the benchmark (imported by Rasa as
# `benchmark.UnthrottledRestInput`, built lazily so that this script does not import Rasa).


def __getattr__(name: str) -> Any:
    if name != "UnthrottledRestInput":
        raise AttributeError(name)
    from bot.channels.guard import guard
    from bot.channels.rest import HardenedRestInput
    from bot.limits import RateLimits

    class UnthrottledRestInput(HardenedRestInput):
        """Our REST channel with every guard but the rate limits."""

        def blueprint(self, on_new_message: Any) -> Any:
            return super(HardenedRestInput, self).blueprint(guard(on_new_message, RateLimits.unlimited()))

    globals()[name] = UnthrottledRestInput
    return UnthrottledRestInput


# ---------------------------------------------------------------------------------------------
# Machine state


def load_average() -> str:
    """The 1/5/15-minute load averages, as `uptime` shows them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _status_kb(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _tree(root: int) -> list[int]:
    """`root` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU time used so far by `root` and its descendants."""
    ticks = 0
    for pid in _tree(root):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class PeakRss:
    """Samples the peak resident memory (VmHWM) of process trees in a background thread."""

    def __init__(self, roots: dict[str, int], interval: float = 0.5) -> None:
        self.roots, self.interval = roots, interval
        self.hwm_kb: dict[str, dict[int, int]] = {name: {} for name in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for name, root in self.roots.items():
            for pid in _tree(root):
                hwm = _status_kb(pid, "VmHWM")
                if hwm:
                    self.hwm_kb[name][pid] = max(hwm, self.hwm_kb[name].get(pid, 0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def peak_mb(self, name: str) -> float:
        """Sum of the peak RSS of the process and its children (exact for one process)."""
        return round(sum(self.hwm_kb[name].values()) * 1024 / MB, 1)


# ---------------------------------------------------------------------------------------------
# Training


def run_timed(args: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    """Runs a command to completion (output to `log`) and returns its wall time in seconds."""
    started = time.monotonic()
    with log.open("ab") as handle:
        result = subprocess.run(list(args), cwd=cwd, env=env, stdout=handle,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"{' '.join(args)} failed (exit {result.returncode}):\n{tail}")
    return round(elapsed, 1)


@dataclass
class Training:
    cold_s: float | None = None  # empty training cache
    cached_s: float | None = None  # same inputs again, every component restored from cache
    model: str = ""
    model_mb: float = 0.0
    load: str = ""


def train_reference(work: Path, env: dict[str, str], quick: bool) -> Training:
    """`rasa init --no-prompt` (which trains once), then `rasa train` timed on a cold cache."""
    project = work / "reference"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)  # `rasa init --no-prompt` wants an existing, empty directory
    log = work / "train-reference.log"
    load = load_average()
    init_s = run_timed([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
                       work, {**env, "RASA_CACHE_DIRECTORY": str(work / "cache-reference")}, log)
    training = Training(cold_s=init_s, load=load)
    if not quick:  # `rasa init` includes its scaffolding (< 1 s); time a plain `rasa train` too
        cold_env = {**env, "RASA_CACHE_DIRECTORY": str(work / "cache-reference-2")}
        train = [str(VENV_BIN / "rasa"), "train", "--fixed-model-name", "reference"]
        training.cold_s = run_timed(train, project, cold_env, log)
        training.cached_s = run_timed(train, project, cold_env, log)
    models = sorted((project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    training.model = str(models[-1])
    training.model_mb = round(models[-1].stat().st_size / MB, 1)
    return training


def train_ours(work: Path, env: dict[str, str]) -> Training:
    """`rasa train` of config.yml, domain.yml and data/ into the work dir: cold, then cached."""
    out = work / "ours"
    cache_env = {**env, "RASA_CACHE_DIRECTORY": str(work / "cache-ours")}
    train = [str(VENV_BIN / "rasa"), "train", "--config", str(ROOT / "config.yml"),
             "--domain", str(ROOT / "domain.yml"), "--data", str(ROOT / "data"),
             "--out", str(out), "--fixed-model-name", "bench"]
    log = work / "train-ours.log"
    training = Training(load=load_average())
    training.cold_s = run_timed(train, work, cache_env, log)
    training.cached_s = run_timed(train, work, cache_env, log)
    model = out / "bench.tar.gz"
    training.model, training.model_mb = str(model), round(model.stat().st_size / MB, 1)
    return training


# ---------------------------------------------------------------------------------------------
# Servers


@dataclass
class Bot:
    """A started bot: its Rasa (and action server), their REST URL and the peak-RSS sampler."""

    name: str
    rasa: Process
    actions: Process | None
    port: int
    probe: Message
    ours: bool  # ours: an empty reply is an error, and expected words are checked
    cold_start_s: float = 0.0
    rss: PeakRss | None = None

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"

    def pids(self) -> dict[str, int]:
        """The process ids of Rasa and the action server (when started)."""
        found = {"rasa": self.rasa.popen.pid} if self.rasa.popen else {}
        if self.actions and self.actions.popen:
            found["actions"] = self.actions.popen.pid
        return found

    def stop(self) -> None:
        if self.rss:
            self.rss.__exit__()
        for process in (self.rasa, self.actions):
            if process:
                process.stop()


def reply_text(body: Any) -> str:
    if not isinstance(body, list):
        return ""
    return "\n".join(m.get("text") or "" for m in body if isinstance(m, dict))


def wait_for_answer(bot: Bot, started: float) -> float:
    """Asks the probe question (a fresh sender each time) until a correct answer comes back."""
    while time.monotonic() - started < START_TIMEOUT:
        for process in (bot.rasa, bot.actions):
            if process and process.exited() is not None:
                raise RuntimeError(f"{process.name} exited while starting; see {process.log}")
        with contextlib.suppress(requests.RequestException, ValueError):
            response = requests.post(bot.webhook, timeout=REQUEST_TIMEOUT, json={
                "sender": f"probe-{uuid.uuid4().hex[:12]}", "message": bot.probe.text})
            if response.status_code == 200 and (bot.probe.expect or "") in reply_text(response.json()):
                return round(time.monotonic() - started, 2)
        time.sleep(0.2)
    raise RuntimeError(f"{bot.name}: no correct answer within {START_TIMEOUT:.0f} s; "
                       f"see {bot.rasa.log}")


def start_reference(work: Path, env: dict[str, str], model: str) -> Bot:
    (port,) = free_ports(1)
    credentials = work / "reference-credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    endpoints = work / "reference-endpoints.yml"  # as `rasa init` makes it: everything commented out
    endpoints.write_text("{}\n", encoding="utf-8")
    rasa = Process("reference rasa", [
        str(VENV_BIN / "rasa"), "run", "--model", model, "--interface", "127.0.0.1",
        "--port", str(port), "--credentials", str(credentials), "--endpoints", str(endpoints),
    ], work / "reference-rasa.log")
    bot = Bot("reference", rasa, None, port, REFERENCE_PROBE, ours=False)
    started = time.monotonic()
    rasa.start(env)
    bot.cold_start_s = wait_for_answer(bot, started)
    return bot


def start_ours(work: Path, env: dict[str, str], model: str, label: str, endpoints_in: Path) -> Bot:
    """Loads the knowledge into the work dir's SQLite file, starts the action server and Rasa.

    Rasa's endpoints are `endpoints_in` (the project's endpoints.yml by default, so a tracker or
    lock store configured there is measured too) with the action server moved to a free port."""
    rasa_port, action_port = free_ports(2)
    config = yaml.safe_load(endpoints_in.read_text(encoding="utf-8")) or {}
    config["action_endpoint"] = {**(config.get("action_endpoint") or {}),
                                 "url": f"http://127.0.0.1:{action_port}/webhook"}
    store = config.get("tracker_store") or {}
    if store.get("dialect") == "sqlite":  # never the project's var/tracker.db: a fresh file here
        config["tracker_store"] = {**store, "db": str(work / f"{label}-tracker.db")}
        (work / f"{label}-tracker.db").unlink(missing_ok=True)
    elif store:
        print(f"  note: our tracker store is {store.get('type')} as configured in {endpoints_in}",
              flush=True)
    endpoints = work / f"{label}-endpoints.yml"
    endpoints.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    credentials = work / f"{label}-credentials.yml"
    credentials.write_text("benchmark.UnthrottledRestInput:\n", encoding="utf-8")
    result = subprocess.run([str(VENV_BIN / "helpline"), "kb", "import", "--quiet"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"helpline kb import failed:\n{result.stdout}\n{result.stderr}")
    actions = Process(f"{label} action server", [
        str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(action_port),
    ], work / f"{label}-actions.log")
    rasa = Process(f"{label} rasa", [  # as scripts/run.sh starts it (bot/launcher.py)
        str(VENV_BIN / "helpline-rasa"), "run", "--model", model, "--interface", "127.0.0.1", "--port", str(rasa_port),
        "--credentials", str(credentials), "--endpoints", str(endpoints),
    ], work / f"{label}-rasa.log")
    bot = Bot(label, rasa, actions, rasa_port, OURS_PROBE, ours=True)
    started = time.monotonic()
    actions.start(env)
    rasa.start(env)
    bot.cold_start_s = wait_for_answer(bot, started)
    return bot


# ---------------------------------------------------------------------------------------------
# Load


@dataclass
class Sample:
    ms: float
    outcome: str  # ok, http_<code>, timeout, connection, empty, unexpected


@dataclass
class LoadResult:
    """What one closed-loop load level measured."""

    users: int
    messages: str
    mode: str  # fresh: a new sender per script pass; long: senders with a long history
    seconds: float
    requests: int
    msgs_per_s: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    errors: int
    unexpected: int  # answered, but without the word the message expects
    outcomes: dict[str, int] = field(default_factory=dict)
    load: str = ""
    # CPU time the servers spent per message: unlike latency, barely affected by other jobs
    rasa_cpu_ms: float | None = None
    actions_cpu_ms: float | None = None


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def _send(session: aiohttp.ClientSession, url: str, sender: str, message: Message,
                ours: bool) -> Sample:
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": message.text}) as response:
            body = await response.json(content_type=None) if response.status == 200 else None
            status = response.status
    except asyncio.TimeoutError:
        return Sample((time.perf_counter() - started) * 1000, "timeout")
    except (aiohttp.ClientError, ValueError):
        await asyncio.sleep(0.05)  # no hot loop against a server that is gone
        return Sample((time.perf_counter() - started) * 1000, "connection")
    ms = (time.perf_counter() - started) * 1000
    if status != 200:
        return Sample(ms, f"http_{status}")
    text = reply_text(body)
    if not body or not text:
        return Sample(ms, "empty" if ours else "ok_empty")
    if ours and any(marker in text for marker in FAILURE_MARKERS):
        return Sample(ms, "failed")
    if ours and message.expect and message.expect not in text:
        return Sample(ms, "unexpected")
    return Sample(ms, "ok")


def _session(users: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=users + 5),
                                 timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))


async def _load(bot: Bot, scripts: Sequence[Script], users: int, duration: float,
                senders: Sequence[str] | None) -> tuple[list[Sample], float]:
    """`users` conversations in a closed loop for `duration` seconds.

    Fresh mode (no `senders`): each user plays a script as a new sender, then starts another.
    Long mode: user i keeps talking as `senders[i]`, cycling through its script."""
    samples: list[Sample] = []
    deadline = time.monotonic() + duration

    async def user(i: int, session: aiohttp.ClientSession) -> None:
        rng = random.Random(i)
        if senders is not None:
            script, sender, turn = scripts[i % len(scripts)], senders[i], 0
            while time.monotonic() < deadline:
                message = script.messages[turn % len(script.messages)]
                samples.append(await _send(session, bot.webhook, sender, message, bot.ours))
                turn += 1
            return
        while time.monotonic() < deadline:
            script, sender = rng.choice(scripts), f"bench-{uuid.uuid4().hex[:16]}"
            for message in script.messages:
                if time.monotonic() >= deadline:
                    break
                samples.append(await _send(session, bot.webhook, sender, message, bot.ours))

    started = time.monotonic()
    async with _session(users) as session:
        await asyncio.gather(*(user(i, session) for i in range(users)))
    return samples, time.monotonic() - started


def check_alive(bot: Bot) -> None:
    """Stops the benchmark when a server died (figures after that would be meaningless)."""
    for process in (bot.rasa, bot.actions):
        if process and process.exited() is not None:
            raise RuntimeError(f"{process.name} exited (code {process.exited()}); see {process.log}")


def measure(bot: Bot, scripts: Sequence[Script], messages: str, users: int, duration: float,
            senders: Sequence[str] | None = None) -> LoadResult:
    check_alive(bot)
    load = load_average()
    cpu_before = {name: cpu_seconds(pid) for name, pid in bot.pids().items()}
    samples, seconds = asyncio.run(_load(bot, scripts, users, duration, senders))
    cpu = {name: (cpu_seconds(pid) - cpu_before[name]) * 1000 / max(1, len(samples))
           for name, pid in bot.pids().items()}
    check_alive(bot)
    outcomes = Counter(s.outcome for s in samples)
    latencies = [s.ms for s in samples]
    errors = sum(n for o, n in outcomes.items() if o not in ("ok", "ok_empty", "unexpected"))
    result = LoadResult(
        users=users, messages=messages, mode="long" if senders else "fresh",
        seconds=round(seconds, 1), requests=len(samples),
        msgs_per_s=round(len(samples) / seconds, 1) if seconds else 0.0,
        p50_ms=round(percentile(latencies, 50), 1), p95_ms=round(percentile(latencies, 95), 1),
        max_ms=round(max(latencies, default=0.0), 1), errors=errors,
        unexpected=outcomes.get("unexpected", 0), outcomes=dict(outcomes), load=load,
        rasa_cpu_ms=round(cpu["rasa"], 1) if "rasa" in cpu else None,
        actions_cpu_ms=round(cpu["actions"], 1) if "actions" in cpu else None)
    print(f"  {bot.name:<10} {messages:<9} {result.mode:<5} {users:>3} users: "
          f"p50 {result.p50_ms:7.1f} ms  p95 {result.p95_ms:7.1f} ms  max {result.max_ms:7.1f} ms  "
          f"{result.msgs_per_s:6.1f} msg/s  errors {errors}  unexpected {result.unexpected}  "
          f"CPU/msg rasa {_fmt(result.rasa_cpu_ms)} ms actions {_fmt(result.actions_cpu_ms)} ms  "
          f"(load {load})", flush=True)
    return result


async def _prefill(bot: Bot, scripts: Sequence[Script], senders: Sequence[str], turns: int) -> None:
    """Gives every sender `turns` turns of its script (senders in parallel, turns in order)."""
    async def fill(i: int, session: aiohttp.ClientSession) -> None:
        script = scripts[i % len(scripts)]
        for turn in range(turns):
            await _send(session, bot.webhook, senders[i], script.messages[turn % len(script.messages)],
                        bot.ours)

    async with _session(len(senders)) as session:
        await asyncio.gather(*(fill(i, session) for i in range(len(senders))))


def warm_up(bot: Bot, scripts: Sequence[Script]) -> list[dict[str, str]]:
    """Sends every message once (one conversation per script); returns what came back."""
    replies = []
    for script in scripts:
        sender = f"warmup-{uuid.uuid4().hex[:12]}"
        for message in script.messages:
            response = requests.post(bot.webhook, timeout=REQUEST_TIMEOUT,
                                     json={"sender": sender, "message": message.text})
            body = response.json() if response.status_code == 200 else None
            replies.append({"script": script.name, "message": message.text,
                            "status": str(response.status_code), "reply": reply_text(body)})
    return replies


@dataclass
class BotResult:
    name: str
    env: dict[str, str]
    cold_start_s: float
    cold_start_load: str
    rasa_rss_mb: float = 0.0
    actions_rss_mb: float | None = None
    prefill_s: float = 0.0
    long_turns: int = 0
    loads: list[LoadResult] = field(default_factory=list)
    replies: list[dict[str, str]] = field(default_factory=list)

    def find(self, users: int, messages: str = "ours", mode: str = "fresh") -> LoadResult | None:
        return next((r for r in self.loads
                     if (r.users, r.messages, r.mode) == (users, messages, mode)), None)


def benchmark_bot(bot: Bot, args: argparse.Namespace, extra_env: dict[str, str],
                  cold_start_load: str) -> BotResult:
    """Warm-up, the load levels (fresh), then the 10-user level on long conversations."""
    result = BotResult(bot.name, extra_env, bot.cold_start_s, cold_start_load)
    print(f"  {bot.name}: cold start {bot.cold_start_s:.1f} s (load {cold_start_load})", flush=True)
    roots = bot.pids()
    bot.rss = PeakRss(roots).__enter__()
    result.replies = warm_up(bot, OUR_SCRIPTS)
    sets: list[tuple[str, Sequence[Script]]] = [("ours", OUR_SCRIPTS)]
    if bot.name == "reference":
        sets.append(("reference", REFERENCE_SCRIPTS))
    for users in args.levels:
        for messages, scripts in sets:
            result.loads.append(measure(bot, scripts, messages, users, args.duration))
    if args.long_turns:
        senders = [f"long-{uuid.uuid4().hex[:12]}" for _ in range(args.long_users)]
        started = time.monotonic()
        asyncio.run(_prefill(bot, OUR_SCRIPTS, senders, args.long_turns))
        check_alive(bot)
        result.prefill_s, result.long_turns = round(time.monotonic() - started, 1), args.long_turns
        print(f"  {bot.name}: {len(senders)} senders given {args.long_turns} turns each in "
              f"{result.prefill_s:.0f} s", flush=True)
        result.loads.append(measure(bot, OUR_SCRIPTS, "ours", args.long_users, args.duration, senders))
        result.loads.append(measure(bot, OUR_SCRIPTS, "ours", args.long_users, args.duration))
    bot.rss.__exit__()
    result.rasa_rss_mb = bot.rss.peak_mb("rasa")
    if "actions" in roots:
        result.actions_rss_mb = bot.rss.peak_mb("actions")
    bot.rss = None
    return result


# ---------------------------------------------------------------------------------------------
# Report


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def long_ratio(bot: BotResult, users: int) -> float | None:
    """p95 on long conversations over p95 on fresh ones (the fresh run right after, same load)."""
    fresh = [r for r in bot.loads if (r.users, r.messages, r.mode) == (users, "ours", "fresh")]
    long = bot.find(users, mode="long")
    return _ratio(long.p95_ms, fresh[-1].p95_ms) if long and fresh else None


def verdicts(ours: BotResult, reference: BotResult | None, training: Training | None,
             users_long: int) -> dict[str, dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    one, ten, fifty = ours.find(1), ours.find(10), ours.find(50)
    ref_ten = reference.find(10) if reference else None
    checks: dict[str, tuple[float | None, bool | None]] = {}

    def at_most(value: float | None, target: float) -> tuple[float | None, bool | None]:
        return value, (None if value is None else value <= target)

    checks["one_user_p50_ms"] = at_most(one.p50_ms if one else None, TARGETS["one_user_p50_ms"])
    checks["one_user_p95_ms"] = at_most(one.p95_ms if one else None, TARGETS["one_user_p95_ms"])
    rate = _ratio(ten.msgs_per_s, ref_ten.msgs_per_s) if ten and ref_ten else None
    checks["ten_users_rate_vs_reference"] = (
        rate, None if rate is None else rate >= TARGETS["ten_users_rate_vs_reference"])
    checks["ten_users_p95_ms"] = at_most(ten.p95_ms if ten else None, TARGETS["ten_users_p95_ms"])
    checks["fifty_users_errors"] = at_most(fifty.errors if fifty else None,
                                           TARGETS["fifty_users_errors"])
    checks["training_s"] = at_most(training.cold_s if training else None, TARGETS["training_s"])
    checks["cold_start_s"] = at_most(ours.cold_start_s, TARGETS["cold_start_s"])
    checks["rasa_rss_mb"] = at_most(ours.rasa_rss_mb, TARGETS["rasa_rss_mb"])
    checks["long_conversation_p95_ratio"] = at_most(long_ratio(ours, users_long),
                                                    TARGETS["long_conversation_p95_ratio"])
    return {name: {"target": TARGETS[name], "value": value, "met": met}
            for name, (value, met) in checks.items()}


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def markdown(results: dict[str, Any]) -> str:
    """The results as markdown tables."""
    meta = results["meta"]
    lines = [f"# Benchmark {meta['label']} — {meta['date']}", "",
             f"Machine: {meta['cpus']} CPUs, {meta['machine']}; load average at start "
             f"{meta['load_start']}, at end {meta['load_end']}. "
             f"Load per level: {meta['duration_s']:.0f} s closed loop. Extra env for ours: "
             f"{meta['env'] or 'none'}.", "",
             "| bot | messages | mode | users | p50 ms | p95 ms | max ms | msg/s | errors "
             "| unexpected | CPU ms/msg Rasa | CPU ms/msg actions | load avg |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
             "| --- |"]
    for bot in results["bots"].values():
        for r in bot["loads"]:
            lines.append(f"| {bot['name']} | {r['messages']} | {r['mode']} | {r['users']} | "
                         f"{_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} | {_fmt(r['max_ms'])} | "
                         f"{_fmt(r['msgs_per_s'])} | {r['errors']} | {r['unexpected']} | "
                         f"{_fmt(r['rasa_cpu_ms'])} | {_fmt(r['actions_cpu_ms'])} | {r['load']} |")
    lines += ["", "| | " + " | ".join(results["bots"]) + " | ours/reference |",
              "| --- |" + " ---: |" * (len(results["bots"]) + 1)]
    for key, label in (("training_cold_s", "training, cold cache (s)"),
                       ("training_cached_s", "training, cached (s)"),
                       ("model_mb", "model size (MB)"),
                       ("cold_start_s", "cold start to first correct answer (s)"),
                       ("rasa_rss_mb", "Rasa peak RSS (MB)"),
                       ("actions_rss_mb", "action server peak RSS (MB)"),
                       ("long_p95_ratio", "10 users: p95 long / p95 fresh")):
        values = [bot.get(key) for bot in results["bots"].values()]
        lines.append(f"| {label} | " + " | ".join(_fmt(v) for v in values) + " | "
                     + _fmt(results["ratios"].get(key)) + " |")
    for users in results["meta"]["levels"]:
        for key in ("p50_ms", "p95_ms", "msgs_per_s"):
            name = f"{users}_users_{key}"
            if name in results["ratios"]:
                lines.append(f"| {users} users {key} (bilingual messages) | – | – | "
                             f"{_fmt(results['ratios'][name])} |")
    if results["targets"]:
        lines += ["", "| target | goal | measured | met |", "| --- | ---: | ---: | --- |"]
        for name, t in results["targets"].items():
            met = {True: "yes", False: "**no**", None: "–"}[t["met"]]
            lines.append(f"| {name} | {_fmt(t['target'])} | {_fmt(t['value'])} | {met} |")
    return "\n".join(lines) + "\n"


def summarise(bots: dict[str, BotResult], trainings: dict[str, Training | None],
              args: argparse.Namespace, extra_env: dict[str, str], load_start: str) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, bot in bots.items():
        training = trainings.get(name)
        summary[name] = {**asdict(bot), "loads": [asdict(r) for r in bot.loads],
                         "training_cold_s": training.cold_s if training else None,
                         "training_cached_s": training.cached_s if training else None,
                         "training_load": training.load if training else None,
                         "model_mb": training.model_mb if training else None,
                         "long_p95_ratio": long_ratio(bot, args.long_users)}
    ratios: dict[str, float | None] = {}
    ours, reference = bots.get("ours") or next(iter(bots.values())), bots.get("reference")
    if reference and ours is not reference:
        for key in ("training_cold_s", "training_cached_s", "model_mb", "cold_start_s",
                    "rasa_rss_mb", "long_p95_ratio"):
            ratios[key] = _ratio(summary[ours.name][key], summary["reference"][key])
        for users in args.levels:
            a, b = ours.find(users), reference.find(users)
            if a and b:
                ratios[f"{users}_users_p50_ms"] = _ratio(a.p50_ms, b.p50_ms)
                ratios[f"{users}_users_p95_ms"] = _ratio(a.p95_ms, b.p95_ms)
                ratios[f"{users}_users_msgs_per_s"] = _ratio(a.msgs_per_s, b.msgs_per_s)
    return {
        "meta": {"label": args.label, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "cpus": os.cpu_count(), "machine": platform.platform(), "python": platform.python_version(),
                 "git": _git_revision(), "quick": args.quick, "duration_s": args.duration,
                 "levels": list(args.levels), "long_turns": args.long_turns,
                 "long_users": args.long_users, "env": extra_env,
                 "load_start": load_start, "load_end": load_average()},
        "bots": summary, "ratios": ratios,
        "targets": verdicts(bots["ours"], reference, trainings.get("ours"), args.long_users)
        if "ours" in bots else {},
    }


def _git_revision() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()
    return result.stdout.strip() + ("+dirty" if dirty else "")


# ---------------------------------------------------------------------------------------------
# Main


@contextlib.contextmanager
def work_dir(path: Path | None, keep: bool) -> Iterator[Path]:
    if path:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
    try:
        yield tmp
    finally:
        if keep:
            print(f"Work files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="8 s per level, reference trained only by `rasa init`")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    parser.add_argument("--only", choices=("both", "ours", "reference"), default="both")
    parser.add_argument("--model", help="use this trained model of ours (skips our training)")
    parser.add_argument("--reference-model", help="use this trained `rasa init` model (skips its training)")
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml",
                        help="endpoints file for our Rasa (its action server URL is replaced)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for our Rasa and action server (repeatable)")
    parser.add_argument("--label", default="", help="name of this run in the report")
    parser.add_argument("--duration", type=float, help="seconds per load level (20; --quick 8)")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--long-turns", type=int, default=200,
                        help="turns per sender before the long-conversation level (0: skip it)")
    parser.add_argument("--long-users", type=int, default=10)
    parser.add_argument("--workdir", type=Path, help="keep models and logs here (default: a "
                        "temporary directory, removed at the end)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    args.duration = args.duration or (8.0 if args.quick else 20.0)
    args.label = args.label or ("quick" if args.quick else "full")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    extra_env = dict(item.split("=", 1) for item in args.env)
    load_start = load_average()
    print(f"Benchmark '{args.label}' on {os.cpu_count()} CPUs, load average {load_start}", flush=True)
    bots: dict[str, BotResult] = {}
    trainings: dict[str, Training | None] = {}
    with work_dir(args.workdir, args.keep) as work:
        base = server_env(f"sqlite:///{work / 'knowledge.db'}")
        if args.only in ("both", "reference"):
            if args.reference_model:
                trainings["reference"], model = None, args.reference_model
            else:
                print("Training the reference (`rasa init --no-prompt`)…", flush=True)
                trainings["reference"] = train_reference(work, base, args.quick)
                model = trainings["reference"].model
                print(f"  {trainings['reference']}", flush=True)
            load = load_average()
            bot = start_reference(work, base, model)
            try:
                bots["reference"] = benchmark_bot(bot, args, {}, load)
            finally:
                bot.stop()
        if args.only in ("both", "ours"):
            if args.model:
                trainings["ours"], model = None, args.model
            else:
                print("Training ours (cold cache, then cached)…", flush=True)
                trainings["ours"] = train_ours(work, base)
                model = trainings["ours"].model
                print(f"  {trainings['ours']}", flush=True)
            ours_env = {**base, "PYTHONPATH": str(Path(__file__).resolve().parent),
                        "HELPLINE_SENDER_KEY": "benchmark", **extra_env}
            load = load_average()
            bot = start_ours(work, ours_env, model, "ours", args.endpoints)
            try:
                bots["ours"] = benchmark_bot(bot, args, extra_env, load)
            finally:
                bot.stop()
    results = summarise(bots, trainings, args, extra_env, load_start)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"results-{args.label}" if args.label not in ("full", "quick") else "results"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False),
                                           encoding="utf-8")
    report = markdown(results)
    (args.out / f"{stem}.md").write_text(report, encoding="utf-8")
    print("\n" + report)
    print(f"Written: {args.out / stem}.json and .md")


if __name__ == "__main__":
    main()
