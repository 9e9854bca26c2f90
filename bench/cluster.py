"""The cluster's figures: the race, kill -9 under load, a soak, all against `scripts/run.sh --cluster`.

    .venv/bin/python bench/cluster.py                    # 500 pairs, kill under 50 users, 50 × 2 min
    .venv/bin/python bench/cluster.py --pairs 1000 --soak-seconds 300

Starts the cluster itself on free ports (3 replicas, PostgreSQL, Redis, HAProxy; see
tests/cluster_support.py), runs each load, prints what it found and the machine's load, and
stops everything. Only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cluster_support import Cluster, load_with_kill, race, soak_through_proxy  # (tests/cluster_support.py)


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--kill-users", type=int, default=50)
    parser.add_argument("--kill-seconds", type=float, default=60)
    parser.add_argument("--soak-conversations", type=int, default=50)
    parser.add_argument("--soak-seconds", type=float, default=120)
    args = parser.parse_args()
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="bench-cluster-")), replicas=args.replicas)
    print(f"starting scripts/run.sh --cluster ({args.replicas} replicas), {os.cpu_count()} CPUs, {load()}")
    cluster.start()
    failed = False
    try:
        r = asyncio.run(race(cluster, args.pairs))
        print(f"race: {r.pairs} pairs (one new sender, two messages at once, replicas 1 and 2) in "
              f"{r.seconds:.1f} s: unanswered {r.unanswered} {r.unanswered_by or ''}, lost user messages {r.lost}, "
              f"doubled events {r.doubled}, senders without exactly one session start {r.session_starts_not_one}; "
              f"{load()}")
        for example in r.examples:
            print(f"  {example}")
        failed |= bool(r.unanswered or r.lost or r.doubled or r.session_starts_not_one)

        s = asyncio.run(soak_through_proxy(cluster, args.soak_conversations, args.soak_seconds))
        print(f"soak: {s.conversations} conversations for {s.seconds:.0f} s through the proxy: {s.messages} "
              f"messages, errors {s.errors}, p50 {s.p50_ms:.0f} ms, p95 {s.p95_ms:.0f} ms; stored {s.stored}, "
              f"conversations missing a message {s.missing}, with one stored twice {s.doubled}; {load()}")
        failed |= bool(s.errors or s.missing or s.doubled)

        k = asyncio.run(load_with_kill(cluster, args.kill_users, args.kill_seconds, kill_after=args.kill_seconds / 3))
        restarted = "never" if k.restarted_seconds is None else f"after {k.restarted_seconds:.1f} s"
        print(f"kill -9 of replica 2 after {args.kill_seconds / 3:.0f} s of {k.users} users for "
              f"{args.kill_seconds:.0f} s: sent {k.sent}, answered {k.answered}, errors {k.errors or 0} "
              f"(not the proxy's 'send it again' {k.unclear_errors}), answered but not stored {k.lost}, "
              f"stored twice {k.doubled}, users answered after the kill {k.users_answered_after_kill}/{k.users}, "
              f"replica answering again {restarted}; {load()}")
        for example in k.examples:
            print(f"  {example}")
        failed |= bool(k.lost or k.doubled or k.unclear_errors or k.restarted_seconds is None)
    finally:
        left = cluster.stop()
        print(f"stopped; ports still listening: {left or 'none'}")
    raise SystemExit(1 if failed or left else 0)


if __name__ == "__main__":
    main()
