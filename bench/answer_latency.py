"""Answer latency: how long choosing and writing an answer takes, outside Rasa.

    python bench/answer_latency.py [--queries 2000]

Loads data/knowledge through the real import into a temporary SQLite store, trains the card
model as the CardClassifier component does, and times, for realistic questions (the NLU
training examples of data/nlu and the cards' own), the card model's ranking (what the NLU
pipeline adds to each message) and bot.answers.answer_question (what the action server does
with it, with the search index behind follow-ups). Prints p50 / p95 / max in milliseconds.
A report, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import answers  # noqa: E402
from bot.knowledge.store import KnowledgeStore  # noqa: E402
from bot.nlu.card_model import trained_on  # noqa: E402
from bot.nlu.importer import card_examples  # noqa: E402
from bot.situation import read_situation  # noqa: E402


def _report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"{name:<28} p50 {statistics.median(ms):6.2f} ms   p95 {ms[int(len(ms) * 0.95)]:6.2f} ms   "
          f"max {ms[-1]:6.2f} ms   ({len(ms)} questions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    from rasa.shared.nlu.training_data.loading import load_data

    training = card_examples().training_examples
    model = trained_on(training)
    questions = [m.get("text") for m in load_data(str(ROOT / "data" / "nlu")).intent_examples]
    questions += [m.get("text") for m in training if m.get("intent")]
    with tempfile.TemporaryDirectory() as directory:
        store = KnowledgeStore(f"sqlite:///{directory}/kb.db")
        store.import_directory()
        snapshot = store.snapshot()
        store.close()
    answers.answer_question(snapshot, answers.Question("warm up"), "en", answers.Context())
    ranking_times, answer_times = [], []
    last = answers.Context()
    for i in range(args.queries):
        text = questions[i * 7919 % len(questions)]
        start = time.perf_counter()
        ranking = tuple(model.rank(text, 10))
        ranked = time.perf_counter()
        reply = answers.answer_question(snapshot, answers.Question(text, "ask_question", 0.9, ranking,
                                                                   read_situation(text).country), "en", last)
        answer_times.append(time.perf_counter() - ranked)
        ranking_times.append(ranked - start)
        last = answers.Context(reply.slots.get("last_card") or last.last_card)  # follow-ups are timed too
    print(f"{len(snapshot.cards)} cards, {len(questions)} questions")
    _report("card model ranking (NLU)", ranking_times)
    _report("answer_question (action)", answer_times)


if __name__ == "__main__":
    main()
