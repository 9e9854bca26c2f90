"""Danger detection end to end: what a person actually gets, from the running assistant.

    scripts/run.sh &      # then:
    python bench/danger_report.py [--url http://127.0.0.1:5005] [--out reports/nlu] [--cases FILE ...]

Sends every message of the held-out sets (bench/danger_heldout.yml, bench/danger_heldout_2.yml:
written without seeing the detector) as the first message of a new conversation over the REST
channel, and sorts each reply as:

- **emergency**: the emergency reply (its first line starts with 🚨): numbers first;
- **note**: an ordinary answer with the one-line safety note before it (the classifier found
  the message close to an emergency without its signs);
- **none**: neither.

For the dangerous messages, recall is emergency + note (the numbers come first either way) and
is also given for the emergency reply alone; for the ordinary ones that share their words, a
false alarm is the full emergency reply. Writes danger_report.md and .json to --out.

The first set was used to widen the patterns after it was first measured (its figures are no
longer held out); the second was written afterwards and only measured.
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


DEFAULT_CASES = (ROOT / "bench" / "danger_heldout.yml", ROOT / "bench" / "danger_heldout_2.yml")


def measure(url: str, cases: Path) -> dict:
    data = yaml.safe_load(cases.read_text(encoding="utf-8"))
    result: dict = {"cases": cases.name, "by_language": {}, "misses": [], "false_alarms": []}
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
    lines = [f"## {result['cases']}", "",
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
    return "\n".join(lines) + "\n\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--cases", type=Path, nargs="+", default=[p for p in DEFAULT_CASES if p.exists()])
    args = parser.parse_args()
    results = [measure(args.url.rstrip("/"), cases) for cases in args.cases]
    text = ("# Danger detection end to end (bench/danger_report.py)\n\n"
            "Each message as the first message of a new conversation with the running assistant.\n\n"
            + "".join(markdown(r) for r in results))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "danger_report.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / "danger_report.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
