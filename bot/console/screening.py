"""The forced-labour screening aid: the ILO's eleven indicators, a question for each in both
languages, and the steps of Albania's National Referral Mechanism (NRM).

The content is data, in data/knowledge/screening/forced_labour.yml, each text tied to a recorded
passage of its public source. Reading it checks what a reviewer would: every text in both
languages, every source cited exists and has a passage, the Albanian written with ë/ç (so not a
copy of a folded draft). Phone numbers are placeholders filled from the knowledge store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.store import KNOWLEDGE_DIR
from bot.text import LANGUAGES

SCREENING_FILE = KNOWLEDGE_DIR / "screening" / "forced_labour.yml"
PLACEHOLDERS = ("{emergency}", "{line}")


class ScreeningError(ValueError):
    """The screening file is not as expected; the message names the entry."""


@dataclass(frozen=True)
class ScreeningSource:
    key: str
    publisher: str
    title: str
    url: str
    accessed: str
    passages: tuple[str, ...]


@dataclass(frozen=True)
class Indicator:
    key: str
    name: dict[str, str]
    question: dict[str, str]
    signals: tuple[str, ...]


@dataclass(frozen=True)
class Screening:
    note: dict[str, str]
    indicators: tuple[Indicator, ...]
    steps: tuple[dict[str, str], ...]  # each with sq, en and source
    referral_signals: frozenset[str]
    sources: dict[str, ScreeningSource]

    def present(self, signals: list[str]) -> list[str]:
        """The indicators a message's danger signals show."""
        found = set(signals)
        return [i.key for i in self.indicators if found & set(i.signals)]

    def refer(self, signals: list[str]) -> bool:
        """Whether the NRM steps are due: an indicator shown, or a signal of trafficking itself."""
        return bool(self.present(signals)) or bool(self.referral_signals & set(signals))


def _pair(entry: dict[str, Any], field: str, where: str) -> dict[str, str]:
    value = entry.get(field) if field else entry
    if not isinstance(value, dict) or any(not isinstance(value.get(lang), str) or not value[lang].strip()
                                          for lang in LANGUAGES):
        raise ScreeningError(f"{where}: {field or 'text'} needs both sq and en")
    return {lang: value[lang] for lang in LANGUAGES}


def _cited(entry: dict[str, Any], sources: dict[str, ScreeningSource], where: str) -> None:
    if entry.get("source") not in sources:
        raise ScreeningError(f"{where}: cites unknown source {entry.get('source')!r}")


def load_screening(path: Path = SCREENING_FILE) -> Screening:
    """Reads and checks the screening file; ScreeningError names what is wrong."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sources = {}
    for raw in data.get("sources") or []:
        passages = tuple(p for p in raw.get("passages") or [] if isinstance(p, str) and p.strip())
        if not passages or not all(raw.get(f) for f in ("key", "publisher", "title", "url", "accessed")):
            raise ScreeningError(f"source {raw.get('key')!r}: needs key, publisher, title, url, accessed "
                                 "and at least one passage")
        sources[raw["key"]] = ScreeningSource(raw["key"], raw["publisher"], raw["title"], raw["url"],
                                              str(raw["accessed"]), passages)
    note = data.get("note") or {}
    _cited(note, sources, "note")
    indicators = []
    for raw in data.get("indicators") or []:
        where = f"indicator {raw.get('key')!r}"
        indicators.append(Indicator(raw["key"], _pair(raw, "name", where), _pair(raw, "question", where),
                                    tuple(raw.get("signals") or ())))
    referral = data.get("referral") or {}
    steps = []
    for number, raw in enumerate(referral.get("steps") or [], start=1):
        where = f"referral step {number}"
        _cited(raw, sources, where)
        steps.append({**_pair(raw, "", where), "source": raw["source"]})
    albanian = " ".join([note.get("sq", ""), *(i.question["sq"] for i in indicators), *(s["sq"] for s in steps)])
    if not set("ëç") & set(albanian):
        raise ScreeningError("the Albanian texts have no ë or ç: write them in standard spelling")
    if len(indicators) != 11:
        raise ScreeningError(f"expected the ILO's 11 indicators, found {len(indicators)}")
    return Screening(_pair(note, "", "note"), tuple(indicators), tuple(steps),
                     frozenset(referral.get("signals") or ()), sources)
