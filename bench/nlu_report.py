"""NLU quality report: k-fold cross-validation of the full NLU pipeline, per language, then the
card report (bench/card_report.py).

    python bench/nlu_report.py [--folds 3] [--out reports/nlu] [--config config.yml] [--no-cards]

Trains the pipeline of config.yml on k-1 folds of the intent examples (data/nlu and the cards'
example questions as `ask_question`, stratified by intent and language), predicts the held-out
fold, and writes per-language intent precision, recall and F1 (report.md, report.json) and a
confusion matrix per language (confusion_sq.png, _en.png). Predictions go through every
component, so the emergency override and the fallback count too. The folds are trained without
the knowledge importer, which would add the held-out cards' examples back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from rasa.core.agent import Agent
from rasa.model_training import train_nlu
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from bot.nlu.components import example_language
from bot.nlu.importer import card_examples

ROOT = Path(__file__).resolve().parents[1]


def folds(data, k: int) -> list[tuple[list, list]]:
    """Round-robin split within each (intent, language) group, so every fold has both."""
    groups: dict[tuple, list] = defaultdict(list)
    for message in data.intent_examples:
        groups[(message.get("intent"), example_language(message))].append(message)
    buckets: list[list] = [[] for _ in range(k)]
    for members in groups.values():
        for i, message in enumerate(members):
            buckets[i % k].append(message)
    return [([m for j, b in enumerate(buckets) if j != i for m in b], buckets[i]) for i in range(k)]


def as_yaml(messages: list) -> str:
    """NLU YAML with one block per (intent, language), keeping the language metadata."""
    blocks: dict[tuple, list[str]] = defaultdict(list)
    for m in messages:
        blocks[(m.get("intent"), example_language(m))].append(m.get("text"))
    # one {text: ...} per example, so that no quoting or markup ends up in the text itself
    nlu = [{"intent": intent, "metadata": {"language": lang},
            "examples": [{"text": text} for text in texts]}
           for (intent, lang), texts in blocks.items()]
    return yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False)


def without_importers(config: Path, directory: Path) -> Path:
    """A copy of the pipeline configuration that reads only the fold's own file."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.pop("importers", None)
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def predict(model_path: str, texts: list[str]) -> list[str]:
    agent = Agent.load(model_path)
    return [(await agent.parse_message(text))["intent"]["name"] for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml",
                        help="the pipeline to evaluate (to compare a change before committing it)")
    parser.add_argument("--no-cards", action="store_true", help="skip the card report")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = load_data(str(ROOT / "data" / "nlu")).merge(card_examples())
    gold: list[str] = []
    predicted: list[str] = []
    languages: list[str] = []
    started = time.monotonic()
    for i, (train, test) in enumerate(folds(data, args.folds), 1):
        with tempfile.TemporaryDirectory() as tmp:
            nlu_file = Path(tmp) / "nlu.yml"
            nlu_file.write_text(as_yaml(train), encoding="utf-8")
            config = without_importers(args.config, Path(tmp))
            model = train_nlu(str(config), str(nlu_file), tmp, fixed_model_name="fold")
            texts = [m.get("text") for m in test]
            predicted += asyncio.run(predict(model, texts))
        gold += [m.get("intent") for m in test]
        languages += [example_language(m) for m in test]
        print(f"fold {i}/{args.folds} done ({time.monotonic() - started:.0f} s)", flush=True)
    write_report(args.out, gold, predicted, languages, args.folds)
    if not args.no_cards:
        import card_report

        card_report.main([f"--folds={args.folds}", f"--out={args.out}"])


def write_report(out: Path, gold: list[str], predicted: list[str], languages: list[str],
                 k: int) -> None:
    report: dict[str, dict] = {}
    lines = [f"# NLU cross-validation ({k} folds)", ""]
    for language in ("sq", "en"):
        idx = [i for i, lang in enumerate(languages) if lang == language]
        g = [gold[i] for i in idx]
        p = [predicted[i] for i in idx]
        labels = sorted(set(g))
        precision, recall, f1, support = precision_recall_fscore_support(
            g, p, labels=labels, zero_division=0)
        macro = precision_recall_fscore_support(g, p, labels=labels, average="macro", zero_division=0)
        weighted = precision_recall_fscore_support(g, p, labels=labels, average="weighted",
                                                   zero_division=0)
        accuracy = sum(a == b for a, b in zip(g, p, strict=True)) / len(g)
        report[language] = {
            "examples": len(g), "accuracy": accuracy,
            "macro": dict(zip(("precision", "recall", "f1"), macro[:3], strict=True)),
            "weighted": dict(zip(("precision", "recall", "f1"), weighted[:3], strict=True)),
            "intents": {label: {"precision": pr, "recall": rc, "f1": f, "support": int(s)}
                        for label, pr, rc, f, s in zip(labels, precision, recall, f1, support, strict=True)},
        }
        lines += [f"## {language}: {len(g)} examples, accuracy {accuracy:.3f}, "
                  f"macro F1 {macro[2]:.3f}, weighted F1 {weighted[2]:.3f}", "",
                  "| intent | precision | recall | F1 | n |", "|---|---|---|---|---|"]
        lines += [f"| {label} | {pr:.2f} | {rc:.2f} | {f:.2f} | {s} |"
                  for label, pr, rc, f, s in zip(labels, precision, recall, f1, support, strict=True)]
        lines.append("")
        all_labels = sorted(set(g) | set(p))
        matrix = confusion_matrix(g, p, labels=all_labels)
        fig, ax = plt.subplots(figsize=(11, 10))
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(all_labels)), all_labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(all_labels)), all_labels, fontsize=7)
        for (r, c), v in __import__("numpy").ndenumerate(matrix):
            if v:
                ax.text(c, r, str(v), ha="center", va="center", fontsize=6,
                        color="white" if v > matrix.max() / 2 else "black")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"Intent confusion, {language} ({k}-fold cross-validation)")
        fig.tight_layout()
        fig.savefig(out / f"confusion_{language}.png", dpi=110)
        plt.close(fig)
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    for language, r in report.items():
        print(f"{language}: accuracy {r['accuracy']:.3f}  macro F1 {r['macro']['f1']:.3f}  "
              f"weighted F1 {r['weighted']['f1']:.3f}  ({r['examples']} examples)")


if __name__ == "__main__":
    main()
