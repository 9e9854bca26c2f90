"""Script aid latency: how long the console takes to show everything for what a caller said.

    python bench/script_aid.py [--lookups 2000] [--model models/helpline.tar.gz]

Loads data/knowledge through the real import into a temporary SQLite store, the card and
language models from the trained model archive (as the console does), and times
`ScriptAid.lookup` (language, danger and emergency steps, cards, contacts, indicators) on the
realistic questions of bench/card_questions.yml and the danger messages of
bench/danger_heldout*.yml, half of them with a place for the contacts. Prints p50 / p95 / max
in milliseconds. A report, not a test: timings depend on the machine (the console adds its
HTTP round trip on 127.0.0.1, about a millisecond).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.console.script_aid import MODEL_ARCHIVE, ScriptAid, models_from_archive  # noqa: E402
from bot.knowledge.store import KnowledgeStore  # noqa: E402

PLACES = ["Milano", "Tiranë", "Gjermani", "London", None]


def _texts() -> list[str]:
    bench = ROOT / "bench"
    questions = yaml.safe_load((bench / "card_questions.yml").read_text(encoding="utf-8"))["questions"]
    texts = [turn for q in questions for turn in ([q["text"]] if "text" in q else q["turns"])]
    for name in ("danger_heldout.yml", "danger_heldout_2.yml"):
        texts += [d["text"] for d in yaml.safe_load((bench / name).read_text(encoding="utf-8"))["danger"]]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--model", type=Path, default=MODEL_ARCHIVE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        store = KnowledgeStore(f"sqlite:///{directory}/kb.db")
        store.import_directory()
        snapshot = store.snapshot()
        store.close()
    aid = ScriptAid(snapshot, *models_from_archive(args.model))
    texts = _texts()
    aid.lookup("warm up")
    times = []
    for i in range(args.lookups):
        text, place = texts[i * 7919 % len(texts)], PLACES[i % len(PLACES)]
        started = time.perf_counter()
        aid.lookup(text, place)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{len(snapshot.cards)} cards, {len(texts)} texts, {len(times)} lookups")
    print(f"script aid lookup   p50 {statistics.median(times):6.2f} ms   p95 {times[int(len(times) * 0.95)]:6.2f} ms   "
          f"max {times[-1]:6.2f} ms")


if __name__ == "__main__":
    main()
