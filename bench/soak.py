"""Soak: many concurrent conversations for a while against a running assistant.

    scripts/run.sh &                       # the assistant, with its SQL tracker store
    .venv/bin/python bench/soak.py --conversations 50 --seconds 120

Each conversation is a fresh sender that asks realistic questions at a person's pace (one
message every --pace seconds, below the per-sender rate limit). At the end it prints errors,
latency and whether every answered message reached the tracker store (var/tracker.db).
Only talks to 127.0.0.1; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
import uuid
from pathlib import Path

import aiohttp

from bot.privacy import hash_sender

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = [
    "pershendetje", "sa dite mund te qendroj ne itali pa vize?", "si ti dergoj leke familjes?",
    "du me u kthy n'shpi prej anglise", "what is assisted voluntary return?", "hello",
    "how many measures does the remittances plan have?", "a eshte e sigurt kjo agjenci pune?",
    "who helps victims of trafficking?", "ku mund te gjej ndihme ne shkoder?", "faleminderit",
    "can I work in greece without a permit?", "numri i linjes per trafikimin?", "ok",
]


async def conversation(session: aiohttp.ClientSession, url: str, until: float, pace: float,
                       rng: random.Random, results: dict) -> None:
    sender = f"soak-{uuid.uuid4().hex[:16]}"
    answered = 0
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            async with session.post(url, json={"sender": sender, "message": rng.choice(MESSAGES)},
                                    timeout=aiohttp.ClientTimeout(total=30)) as response:
                body = await response.json(content_type=None)
                ok = response.status == 200 and isinstance(body, list) and bool(body)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            ok = False
        results["latencies"].append((time.monotonic() - started) * 1000)
        if ok:
            answered += 1
        else:
            results["errors"] += 1
        await asyncio.sleep(max(0.0, pace - (time.monotonic() - started)) * rng.uniform(0.8, 1.2))
    results["answered"][sender] = answered


def stored_user_messages(tracker_db: Path, senders: list[str]) -> dict[str, int]:
    with sqlite3.connect(tracker_db) as db:
        return {s: db.execute("select count(*) from events where sender_id = ? and type_name = 'user'",
                              (hash_sender(s, "rest"),)).fetchone()[0] for s in senders}


async def main_async(args: argparse.Namespace) -> int:
    url = f"{args.url.rstrip('/')}/webhooks/rest/webhook"
    results: dict = {"latencies": [], "errors": 0, "answered": {}}
    rng = random.Random(7)
    until = time.monotonic() + args.seconds
    connector = aiohttp.TCPConnector(limit=args.conversations)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(conversation(session, url, until, args.pace, random.Random(rng.random()),
                                            results) for _ in range(args.conversations)))
    latencies = sorted(results["latencies"])
    sent = len(latencies)
    print(f"conversations {args.conversations}, {args.seconds:.0f} s, messages {sent}, "
          f"errors {results['errors']}, {sent / args.seconds:.1f} msg/s")
    print(f"latency ms: p50 {statistics.median(latencies):.0f}  "
          f"p95 {latencies[int(0.95 * (sent - 1))]:.0f}  max {latencies[-1]:.0f}")
    await asyncio.sleep(1.0)  # let the last events reach the store
    stored = stored_user_messages(args.tracker_db, list(results["answered"]))
    missing = {s: n - stored[s] for s, n in results["answered"].items() if stored[s] < n}
    print(f"tracker store: {sum(stored.values())} user messages stored for "
          f"{sum(results['answered'].values())} answered; conversations missing messages: {len(missing)}")
    return 1 if results["errors"] or missing else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--pace", type=float, default=3.5, help="seconds between a sender's messages")
    parser.add_argument("--tracker-db", type=Path, default=ROOT / "var" / "tracker.db")
    raise SystemExit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
