"""What the live handoff costs: the lookup the guard adds to every message, and a contended take.

    python bench/handoff_latency.py [--handoffs 5000] [--messages 2000] [--url sqlite:///...]

Fills a temporary SQLite store (or the database of --url, e.g. the test PostgreSQL) with
`--handoffs` ended handoffs and 50 open ones, then times `HandoffStore.latest_for` (run by the
guard after each message, so a paused conversation is recognised) for ordinary conversations and
for conversations in a handoff, and `take` by two threads at once on fresh handoffs (one wins).
Prints p50 / p95 / max in milliseconds. A report, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.handoff import HandoffStore  # noqa: E402
from bot.handoff_client import HeldByOther  # noqa: E402


def _report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"{name:<34} p50 {statistics.median(ms):6.2f} ms   p95 {ms[int(len(ms) * 0.95)]:6.2f} ms   "
          f"max {ms[-1]:6.2f} ms   ({len(ms)} calls)")


def _timed(call: object, *args: object) -> float:
    started = time.perf_counter()
    call(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--handoffs", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--url", default="")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = HandoffStore(options.url or f"sqlite:///{folder}/handoffs.db", hours="Mon-Sun 00:00-24:00 UTC")
        store.heartbeat("bench", True)
        for i in range(options.handoffs):
            if i % 50 == 0:  # the operator stays present however long the filling takes
                store.heartbeat("bench", True)
            handoff = store.request(f"h-ended-{i}", "sq", "rest", None, False).handoff
            assert handoff is not None
            store.end(handoff.id, "bench", "closed")
        for i in range(50):
            store.request(f"h-open-{i}", "en", "socketio", None, False)
        _report("guard lookup, ordinary message", [
            _timed(store.latest_for, f"h-none-{i}") for i in range(options.messages)])
        _report("guard lookup, message in a handoff", [
            _timed(store.latest_for, f"h-open-{i % 50}") for i in range(options.messages)])
        takes: list[float] = []
        store.heartbeat("bench", True)
        for i in range(200):
            handoff = store.request(f"h-race-{i}", "sq", "rest", None, False).handoff
            assert handoff is not None
            barrier = threading.Barrier(2)

            def take(operator: str, handoff_id: str = handoff.id, gate: threading.Barrier = barrier) -> None:
                gate.wait()
                started = time.perf_counter()
                with contextlib.suppress(HeldByOther):  # the other one won
                    store.take(handoff_id, operator)
                takes.append(time.perf_counter() - started)

            threads = [threading.Thread(target=take, args=(name,)) for name in ("ana", "ben")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        _report("take, two operators at once", takes)
        store.engine.dispose()


if __name__ == "__main__":
    main()
