"""Soak: many concurrent conversations for a while against a running assistant.

    scripts/run.sh &                       # the assistant, with its SQL tracker store
    .venv/bin/python bench/soak.py --conversations 50 --seconds 120
    # a cluster (scripts/run.sh --cluster): --tracker-url postgresql://helpline:PASSWORD@127.0.0.1:5433/conversations

Each conversation is a fresh sender that asks realistic questions at a person's pace (one
message every --pace seconds, below the per-sender rate limit). At the end it prints errors,
latency and whether every answered message reached the tracker store once (var/tracker.db,
or --tracker-url).
Only talks to 127.0.0.1; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from pathlib import Path

import aiohttp
import sqlalchemy

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
    answered = sent = 0
    while time.monotonic() < until:
        started = time.monotonic()
        sent += 1
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
    results["sent"][sender] = sent


def stored_user_messages(tracker_url: str, senders: list[str]) -> dict[str, int]:
    """User messages the tracker store (a SQLAlchemy URL) holds for each sender."""
    engine = sqlalchemy.create_engine(tracker_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as db:
            return {s: db.execute(sqlalchemy.text(
                "select count(*) from events where sender_id = :s and type_name = 'user'"),
                {"s": hash_sender(s, "rest")}).scalar_one() for s in senders}
    finally:
        engine.dispose()


async def soak(base_url: str, conversations: int, seconds: float, pace: float) -> dict:
    """Runs the conversations; latencies (ms), errors, and the messages answered per sender."""
    url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
    results: dict = {"latencies": [], "errors": 0, "answered": {}, "sent": {}}
    rng = random.Random(7)
    until = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(conversation(session, url, until, pace, random.Random(rng.random()),
                                            results) for _ in range(conversations)))
    return results


def stored_once(results: dict, tracker_url: str) -> tuple[int, int, int]:
    """(stored, conversations missing a message, conversations with a message stored twice)."""
    stored = stored_user_messages(tracker_url, list(results["answered"]))
    missing = sum(stored[s] < n for s, n in results["answered"].items())
    doubled = sum(stored[s] > n for s, n in results["sent"].items())  # more than were sent
    return sum(stored.values()), missing, doubled


async def main_async(args: argparse.Namespace) -> int:
    results = await soak(args.url, args.conversations, args.seconds, args.pace)
    latencies = sorted(results["latencies"])
    sent = len(latencies)
    print(f"conversations {args.conversations}, {args.seconds:.0f} s, messages {sent}, "
          f"errors {results['errors']}, {sent / args.seconds:.1f} msg/s")
    print(f"latency ms: p50 {statistics.median(latencies):.0f}  "
          f"p95 {latencies[int(0.95 * (sent - 1))]:.0f}  max {latencies[-1]:.0f}")
    await asyncio.sleep(1.0)  # let the last events reach the store
    stored, missing, doubled = stored_once(results, args.tracker_url)
    print(f"tracker store: {stored} user messages stored for {sum(results['answered'].values())} "
          f"answered; conversations missing messages: {missing}; with a message stored twice: {doubled}")
    return 1 if results["errors"] or missing or doubled else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--pace", type=float, default=3.5, help="seconds between a sender's messages")
    parser.add_argument("--tracker-url", default=f"sqlite:///{ROOT / 'var' / 'tracker.db'}",
                        help="the tracker store's database (SQLAlchemy URL)")
    raise SystemExit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
