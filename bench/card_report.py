"""How well the assistant chooses answer cards: cross-validation and realistic questions.

    python bench/card_report.py [--folds 3] [--out reports/nlu]

1. Cross-validation of the card model on the cards' own example questions, per language
   (held-out folds; the cards' titles, answers and next steps stay in every training fold).
2. The whole choice (card model + the person's situation + bot.answers: follow-ups, country,
   clarifying questions) on bench/card_questions.yml, questions written by someone who saw only
   the cards' titles, labelled with the cards that answer them; multi-turn entries replay the
   earlier turns first. Each question ends as: the right card answered, a wrong card answered,
   a choice that offers the right card, a choice without it, or the fallback.
3. Danger detection on bench/danger_heldout*.yml, messages written without seeing the detector:
   recall on the dangerous ones, false alarms on the ordinary ones that share their words (the
   first set then served to widen the patterns; the second was only measured).

Writes card_report.md and card_report.json to --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import answers  # noqa: E402
from bot.emergency import danger_signals  # noqa: E402
from bot.knowledge.store import KnowledgeStore  # noqa: E402
from bot.nlu.card_model import CardModel, trained_on  # noqa: E402
from bot.nlu.importer import card_examples  # noqa: E402
from bot.situation import read_situation  # noqa: E402

OUTCOMES = ("right", "wrong", "choice_with_right", "choice_without", "fallback")


def _messages() -> tuple[list, list]:
    training = card_examples().training_examples
    return ([m for m in training if m.get("intent")], [m for m in training if not m.get("intent")])


def cross_validate(folds: int) -> dict:
    """Top-1 and top-3 accuracy of the card model on held-out example questions, per language."""
    from sklearn.model_selection import StratifiedKFold

    examples, texts = _messages()
    x = np.array([m.get("text") for m in examples], dtype=object)
    y = np.array([m.get("card") for m in examples])
    subjects = np.array([m.get("card_subject") for m in examples])
    lang = np.array([m.get("metadata")["intent"]["language"] for m in examples])
    hits: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        model = CardModel().fit([*x[train], *(m.get("text") for m in texts)],
                                [*y[train], *(m.get("card") for m in texts)],
                                [*subjects[train], *(m.get("card_subject") for m in texts)])
        for text, card, language in zip(x[test], y[test], lang[test], strict=True):
            ranked = [c for c, _ in model.rank(text, 3)]
            hits[language].append((ranked[0] == card, card in ranked))
    return {language: {"examples": len(rows), "top1": round(float(np.mean([a for a, _ in rows])), 3),
                       "top3": round(float(np.mean([b for _, b in rows])), 3)} for language, rows in hits.items()}


def _context(context: answers.Context, text: str, reply: answers.Reply) -> answers.Context:
    """The slots after a turn, as the domain's mappings and the action set them."""
    situation = read_situation(text)
    return answers.Context(reply.slots.get("last_card", context.last_card), situation.country or context.country,
                           situation.location or context.location, situation.asker or context.asker,
                           situation.minor or context.minor)


def realistic(model: CardModel, snapshot) -> dict:
    """Outcomes of the whole choice on the labelled realistic questions, per language."""
    entries = yaml.safe_load((ROOT / "bench" / "card_questions.yml").read_text(encoding="utf-8"))["questions"]
    outcomes: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for entry in entries:
        turns = entry.get("turns") or [entry["text"]]
        context = answers.Context()
        for text in turns:
            asked = answers.Question(text, "ask_question", 1.0, tuple(model.rank(text, 10)),
                                     read_situation(text).country)
            reply = answers.answer_question(snapshot, asked, entry["lang"], context)
            context = _context(context, text, reply)
        wanted = set(entry["cards"])
        chosen = [b["payload"].split('"card":"')[1].rstrip('"}') for b in reply.buttons]
        if reply.response:
            outcome = "fallback"
        elif reply.text and reply.slots.get("last_card"):
            outcome = "right" if reply.slots["last_card"] in wanted else "wrong"
        else:
            outcome = "choice_with_right" if wanted & set(chosen) else "choice_without"
        outcomes[entry["lang"]][outcome] += 1
        if outcome != "right":
            misses.append({"lang": entry["lang"], "turns": turns, "wanted": sorted(wanted), "outcome": outcome,
                           "got": reply.slots.get("last_card") or chosen or reply.response})
    table = {language: {o: counts[o] for o in OUTCOMES} | {"questions": sum(counts.values())}
             for language, counts in sorted(outcomes.items())}
    return {"outcomes": table, "misses": misses}


DANGER_SETS = ("danger_heldout.yml", "danger_heldout_2.yml")


def danger() -> dict:
    """Recall and false alarms of the danger patterns on each held-out set, per language."""
    return {name: _danger(ROOT / "bench" / name) for name in DANGER_SETS if (ROOT / "bench" / name).exists()}


def _danger(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = {}
    for language in ("sq", "en"):
        dangerous = [d["text"] for d in data["danger"] if d["lang"] == language]
        ordinary = [d["text"] for d in data["safe"] if d["lang"] == language]
        result[language] = {
            "danger_messages": len(dangerous),
            "recall": round(sum(bool(danger_signals(t)) for t in dangerous) / len(dangerous), 3),
            "ordinary_messages": len(ordinary),
            "false_alarms": round(sum(bool(danger_signals(t)) for t in ordinary) / len(ordinary), 3)}
    return result


def _markdown(report: dict) -> str:
    lines = ["# Card choice and danger detection", "",
             f"Cards: {report['cards']}; generated by `bench/card_report.py` in {report['seconds']} s.", "",
             "## Cross-validation of the card model (held-out example questions)", "",
             "| language | examples | top-1 | top-3 |", "| --- | ---: | ---: | ---: |"]
    for language, row in report["cross_validation"].items():
        lines.append(f"| {language} | {row['examples']} | {row['top1']:.3f} | {row['top3']:.3f} |")
    lines += ["", "## Realistic questions (bench/card_questions.yml), the whole choice", "",
              "| language | questions | right card | wrong card | choice with the right card | choice without | "
              "fallback |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for language, row in report["realistic"]["outcomes"].items():
        n = row["questions"]
        cells = " | ".join(f"{row[o]} ({row[o] / n:.0%})" for o in OUTCOMES)
        lines.append(f"| {language} | {n} | {cells} |")
    lines += ["", "## Danger detection on held-out messages, patterns alone", "",
              "| set | language | dangerous | recall | ordinary | false alarms |",
              "| --- | --- | ---: | ---: | ---: | ---: |"]
    for name, rows in report["danger"].items():
        for language, row in rows.items():
            lines.append(f"| {name} | {language} | {row['danger_messages']} | {row['recall']:.0%} | "
                         f"{row['ordinary_messages']} | {row['false_alarms']:.0%} |")
    lines += ["", "The classifier adds to the patterns in the running assistant (a message it finds close to an "
              "emergency gets the numbers first); `bench/danger_report.py` measures that end to end.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--skip-cv", action="store_true", help="only the realistic questions and danger")
    args = parser.parse_args(argv)
    started = time.monotonic()
    examples, texts = _messages()
    model = trained_on([*examples, *texts])
    with tempfile.TemporaryDirectory() as directory:
        store = KnowledgeStore(f"sqlite:///{directory}/kb.db")
        store.import_directory()
        snapshot = store.snapshot()
        store.close()
    report = {"cards": len(snapshot.cards),
              "cross_validation": {} if args.skip_cv else cross_validate(args.folds),
              "realistic": realistic(model, snapshot), "danger": danger()}
    report["seconds"] = round(time.monotonic() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "card_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / "card_report.md").write_text(_markdown(report), encoding="utf-8")
    print(_markdown(report))


if __name__ == "__main__":
    main()
