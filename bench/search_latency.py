"""Search latency: how long ranking a question takes, on the shipped content and at scale.

    python bench/search_latency.py [--facts 100000] [--queries 1000] [--seed 7]

Loads data/knowledge through the real import into a temporary SQLite store, and a generated
store of --facts synthetic bilingual facts (bulk-inserted, then read back through the real
snapshot), builds each one's search index, ranks realistic questions (the NLU training
examples of data/nlu) half of them with an intent's topic boost as the assistant does, and
prints p50 / p95 / max per query in milliseconds. Aims: p95 < 5 ms shipped, < 50 ms at 100k.
A report, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from sqlalchemy import insert

from bot.answers import INTENT_TOPICS
from bot.knowledge.schema import Fact, Source, StoreInfo, Topic
from bot.knowledge.store import KnowledgeStore, Snapshot
from bot.language import words

ROOT = Path(__file__).resolve().parents[1]
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def nlu_questions() -> list[tuple[str, str]]:
    """(example, intent) for every NLU training example, entity annotations removed."""
    questions = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    questions.append((_ANNOTATION.sub(r"\1", line.strip()[2:]), item.get("intent", "")))
    return questions


def timed(action: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def measure(name: str, snapshot: Snapshot, questions: Sequence[tuple[str, str]], count: int) -> None:
    """Builds the index (timed), then ranks `count` questions and prints the latencies."""
    index, build = timed(lambda: snapshot.index)
    index.rank("warm up")
    latencies = []
    for i in range(count):
        question, intent = questions[i % len(questions)]
        topic = INTENT_TOPICS.get(intent)
        boosts = {topic: 0.2} if topic and i % 2 else None
        _, seconds = timed(lambda q=question, b=boosts: index.rank(q, topic_boosts=b))
        latencies.append(seconds * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"{name:<28} {len(snapshot.documents):>7} docs  index {build:6.2f} s  "
          f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {latencies[-1]:6.2f} ms  ({count} queries)")


def vocabulary(snapshot: Snapshot) -> tuple[list[str], list[int], list[str], list[int]]:
    """The shipped content's Albanian and English words with their frequencies."""
    sq = Counter(w for d in snapshot.documents for w in words(d.text.sq) if len(w) > 1)
    en = Counter(w for d in snapshot.documents for w in words(d.text.en) if len(w) > 1)
    return list(sq), list(sq.values()), list(en), list(en.values())


def generate(store: KnowledgeStore, template: Snapshot, facts: int, rng: random.Random) -> None:
    """Bulk-inserts `facts` synthetic facts written with the shipped content's vocabulary."""
    sq_words, sq_weights, en_words, en_weights = vocabulary(template)
    topics = sorted(template.topics)
    sources = sorted({d.source.key for d in template.documents})

    def sentence(vocab: list[str], weights: list[int]) -> str:
        text = " ".join(rng.choices(vocab, weights, k=rng.randint(12, 30)))
        return f"{text} {rng.randint(2, 9999)}." if rng.random() < 0.3 else f"{text}."

    store.upgrade()
    with store.session() as session:
        session.execute(insert(Source), [{"key": s, "title_sq": f"Burimi {s}", "title_en": f"Source {s}"}
                                         for s in sources])
        session.execute(insert(Topic), [{"key": t, "title_sq": t, "title_en": t, "next_step_sq": "Hapi.",
                                         "next_step_en": "Next."} for t in topics])
        batch = 10_000
        for start in range(0, facts, batch):
            session.execute(insert(Fact), [{
                "key": f"gen_{i:06d}", "topic_key": rng.choice(topics), "summary": False,
                "text_sq": sentence(sq_words, sq_weights), "text_en": sentence(en_words, en_weights),
                "keywords_sq": "|".join(rng.choices(sq_words, sq_weights, k=3)),
                "keywords_en": "|".join(rng.choices(en_words, en_weights, k=3)),
                "source_key": rng.choice(sources), "reviewed": template.documents[0].reviewed,
                "position": i} for i in range(start, min(start + batch, facts))])
        session.add(StoreInfo(id=1, revision=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=100_000, help="size of the generated store")
    parser.add_argument("--queries", type=int, default=1000, help="questions ranked per store")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    questions = nlu_questions()
    rng.shuffle(questions)
    print(f"{len(questions)} distinct questions from data/nlu\n")
    with tempfile.TemporaryDirectory() as tmp:
        shipped = KnowledgeStore(f"sqlite:///{tmp}/shipped.db")
        shipped.import_directory()
        snapshot = shipped.snapshot()
        measure("shipped content", snapshot, questions, args.queries)

        generated = KnowledgeStore(f"sqlite:///{tmp}/generated.db")
        _, seconds = timed(lambda: generate(generated, snapshot, args.facts, rng))
        big, load = timed(generated.snapshot)
        print(f"{'':<28} (generated in {seconds:.1f} s, snapshot loaded in {load:.1f} s)")
        measure(f"generated {args.facts:,} facts", big, questions, args.queries)  # type: ignore[arg-type]
        shipped.close()
        generated.close()


if __name__ == "__main__":
    main()
