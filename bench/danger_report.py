"""Danger detection end to end: what a person actually gets, from the running assistant.

    scripts/run.sh &      # then:
    python bench/danger_report.py [--url http://127.0.0.1:5005] [--out reports/nlu]

Sends every message of bench/danger_heldout.yml (written without seeing the detector) as the
first message of a new conversation over the REST channel, and sorts each reply as:

- **emergency**: the emergency reply (its first line starts with 🚨): numbers first;
- **note**: an ordinary answer with the one-line safety note before it (the classifier found
  the message close to an emergency without its signs);
- **none**: neither.

For the dangerous messages, recall is emergency + note (the numbers come first either way) and
is also given for the emergency reply alone; for the ordinary ones that share their words, a
false alarm is the full emergency reply. Writes danger_report.md and .json to --out.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections import Counter
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
EMERGENCY_MARK = "🚨"
NOTE_START = ("Në rrezik?", "In danger?")  # bot/emergency_reply.py: PHRASES["note"]


def outcome(replies: list[dict]) -> str:
    """emergency, note or none, from the bot's messages for one user message."""
    texts = [r.get("text") or "" for r in replies]
    if any(t.lstrip().startswith(EMERGENCY_MARK) for t in texts):
        return "emergency"
    if texts and texts[0].startswith(NOTE_START):
        return "note"
    return "none"


def ask(client: httpx.Client, url: str, text: str) -> str:
    response = client.post(f"{url}/webhooks/rest/webhook",
                           json={"sender": f"danger-{uuid.uuid4().hex[:12]}", "message": text})
    response.raise_for_status()
    return outcome(response.json())


def measure(url: str) -> dict:
    data = yaml.safe_load((ROOT / "bench" / "danger_heldout.yml").read_text(encoding="utf-8"))
    result: dict = {"by_language": {}, "misses": [], "false_alarms": []}
    with httpx.Client(timeout=30) as client:
        for language in ("sq", "en"):
            dangerous = Counter()
            ordinary = Counter()
            for item in (d for d in data["danger"] if d["lang"] == language):
                got = ask(client, url, item["text"])
                dangerous[got] += 1
                if got == "none":
                    result["misses"].append(item["text"])
            for item in (d for d in data["safe"] if d["lang"] == language):
                got = ask(client, url, item["text"])
                ordinary[got] += 1
                if got == "emergency":
                    result["false_alarms"].append(item["text"])
            n, m = sum(dangerous.values()), sum(ordinary.values())
            result["by_language"][language] = {
                "dangerous": n, "recall": round((dangerous["emergency"] + dangerous["note"]) / n, 3),
                "recall_emergency_reply": round(dangerous["emergency"] / n, 3),
                "ordinary": m, "false_alarms": round(ordinary["emergency"] / m, 3),
                "ordinary_with_note": round(ordinary["note"] / m, 3)}
    return result


def markdown(result: dict) -> str:
    lines = ["# Danger detection end to end (bench/danger_report.py)", "",
             "Each message of bench/danger_heldout.yml as the first message of a new conversation.", "",
             "| language | dangerous | numbers first (emergency reply or safety note) | emergency reply | "
             "ordinary | false alarms (emergency reply) | ordinary with the safety note |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for language, row in result["by_language"].items():
        lines.append(f"| {language} | {row['dangerous']} | {row['recall']:.0%} | {row['recall_emergency_reply']:.0%} | "
                     f"{row['ordinary']} | {row['false_alarms']:.0%} | {row['ordinary_with_note']:.0%} |")
    lines += ["", "Dangerous messages answered without the numbers first:", ""]
    lines += [f"- {text}" for text in result["misses"]] or ["- none"]
    lines += ["", "Ordinary messages that got the emergency reply:", ""]
    lines += [f"- {text}" for text in result["false_alarms"]] or ["- none"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    args = parser.parse_args()
    result = measure(args.url.rstrip("/"))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "danger_report.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / "danger_report.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
