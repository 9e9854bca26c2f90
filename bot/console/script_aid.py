"""The script aid: what an operator needs on screen while a caller speaks.

`ScriptAid.lookup(text, place)` answers, in a few milliseconds, with the language of the text,
the danger signals and the emergency steps for the caller's situation (bot.emergency,
bot.emergency_reply: numbers from the knowledge store), the best answer cards in Albanian and
English with their confidence, sources and review dates, referral contacts for a city or
country, and the forced-labour indicators with the NRM steps when indicators are present.

Cards are ranked by the assistant's own card model and languages told apart by its own language
model, both read from the trained Rasa model archive, so the operator sees what the assistant
would answer. Nothing typed is stored or logged.
"""

from __future__ import annotations

import pickle
import re
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.console.screening import Screening, load_screening
from bot.emergency import danger_signals
from bot.emergency_reply import emergency_reply, numbers_for
from bot.knowledge.model import Card, Contact, Snapshot
from bot.language import LanguageModel, identify
from bot.nlu.card_model import CardModel
from bot.phones import unmark
from bot.places import mentions
from bot.situation import Situation, read_situation
from bot.text import LANGUAGES, Lang, fold

ROOT = Path(__file__).resolve().parents[2]
MODEL_ARCHIVE = ROOT / "models" / "helpline.tar.gz"
MAX_TEXT = 2000  # what the chat accepts too (bot/channels/guard.py); a longer paste is cut for the lookup
MAX_CARDS = 4
MIN_CONFIDENCE = 0.03  # below this a card is noise, not a suggestion
MAX_CONTACTS = 8
ALBANIA = "AL"
_COMPONENT = re.compile(r"components/train_bot\.nlu\.components\.(CardClassifier|LanguageIdentifier)\d*/model\.pkl$")


def models_from_archive(archive: Path = MODEL_ARCHIVE) -> tuple[CardModel, LanguageModel]:
    """The card model and the language model the trained assistant uses (its model.pkl files)."""
    found: dict[str, Any] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            match = _COMPONENT.search(member.name)
            if match:
                handle = tar.extractfile(member)
                assert handle is not None
                found[match.group(1)] = pickle.loads(handle.read())
    if set(found) != {"CardClassifier", "LanguageIdentifier"}:
        raise LookupError(f"{archive} has no trained card or language model: train first (scripts/run.sh does)")
    return found["CardClassifier"], found["LanguageIdentifier"]


@dataclass(frozen=True)
class SuggestedCard:
    key: str
    topic: str
    confidence: float
    title: dict[str, str]
    answer: dict[str, str]
    next_step: dict[str, str]
    sources: list[dict[str, str]]
    reviewed: str
    review_note: str | None


@dataclass(frozen=True)
class ReferralContact:
    key: str
    name: dict[str, str]
    phone: str | None
    url: str | None
    country: str
    city: str | None
    helps_with: dict[str, str]


@dataclass(frozen=True)
class IndicatorView:
    key: str
    name: dict[str, str]
    question: dict[str, str]
    present: bool


@dataclass(frozen=True)
class Result:
    """Everything the script aid shows for one text; `to_json` is what the browser gets."""

    language: str | None
    signals: list[str]
    emergency: dict[Lang, str] | None  # the emergency steps in both languages, when danger
    cards: list[SuggestedCard]
    contacts: list[ReferralContact]
    place: str | None  # the country code the contacts are for
    indicators: list[IndicatorView]
    refer: bool  # indicators present: show the NRM steps
    referral_steps: list[dict[str, str]]
    note: dict[str, str]
    screening_sources: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _both(value: Any) -> dict[str, str]:
    return {lang: value.get(lang) for lang in LANGUAGES}


def _card(card: Card, confidence: float) -> SuggestedCard:
    return SuggestedCard(
        key=card.key, topic=card.topic, confidence=round(confidence, 3), title=_both(card.title),
        answer={lang: unmark(card.answer.get(lang)) for lang in LANGUAGES},
        next_step={lang: unmark(card.next_step.get(lang)) for lang in LANGUAGES},
        sources=[{"publisher": c.source.publisher, "title": c.source.title, "url": c.source.url}
                 for c in card.citations],
        reviewed=card.reviewed.isoformat(), review_note=card.review_note)


def _contact(contact: Contact) -> ReferralContact:
    return ReferralContact(contact.key, _both(contact.name), contact.phone, contact.url, contact.country,
                           contact.city, _both(contact.helps_with))


class ScriptAid:
    """Holds the snapshot and the models; `lookup` is pure and fast (no I/O)."""

    def __init__(self, snapshot: Snapshot, card_model: CardModel, language_model: LanguageModel,
                 screening: Screening | None = None) -> None:
        self.snapshot = snapshot
        self.card_model = card_model
        self.language_model = language_model
        self.screening = screening or load_screening()
        numbers = numbers_for(snapshot, None)
        self._phones = {"emergency": numbers.emergency.phone or "", "line": numbers.trafficking_line.phone or ""}

    def place_of(self, place: str | None, situation: Situation) -> tuple[str, str | None]:
        """(country code, folded city) for the contacts: the place typed, else the text's country,
        else Albania."""
        if place and place.strip():
            named = mentions(place)
            return (named[0].country if named else ALBANIA), fold(place).strip()
        return situation.country or ALBANIA, None

    def contacts_for(self, country: str, city: str | None) -> list[ReferralContact]:
        """The country's contacts, those in the city named first."""
        chosen = [c for c in self.snapshot.contacts.values() if c.country == country]
        chosen.sort(key=lambda c: (not (city and c.city and fold(c.city) == city), "emergency" not in c.tags,
                                   "trafficking_line" not in c.tags))
        return [_contact(c) for c in chosen[:MAX_CONTACTS]]

    def cards_for(self, text: str, situation: Situation) -> list[SuggestedCard]:
        """The card model's best cards for the text, those for another country left out."""
        chosen = []
        for key, confidence in self.card_model.rank(text, limit=12):
            card = self.snapshot.card(key)
            if card is None or confidence < MIN_CONFIDENCE:
                continue
            if situation.country and card.countries and not card.applies_to(situation.country):
                continue
            chosen.append(_card(card, confidence))
            if len(chosen) == MAX_CARDS:
                break
        return chosen

    def lookup(self, text: str, place: str | None = None) -> Result:
        """What the console shows for what the caller said (`text`) and where they are (`place`)."""
        text = (text or "")[:MAX_TEXT]
        situation = read_situation(text)
        country, city = self.place_of(place, situation)
        screening = self.screening
        if not text.strip():
            return Result(None, [], None, [], self.contacts_for(country, city), country,
                          [IndicatorView(i.key, i.name, i.question, False) for i in screening.indicators],
                          False, self._steps(), screening.note, self._sources())
        guess = identify(text, self.language_model)
        signals = danger_signals(text)
        emergency = None
        if signals:
            emergency = {lang: unmark(emergency_reply(self.snapshot, lang, signals, situation))
                         for lang in LANGUAGES}
        present = set(screening.present(signals))
        return Result(
            language=guess.language or guess.best, signals=signals, emergency=emergency,
            cards=self.cards_for(text, situation), contacts=self.contacts_for(country, city), place=country,
            indicators=[IndicatorView(i.key, i.name, i.question, i.key in present) for i in screening.indicators],
            refer=screening.refer(signals), referral_steps=self._steps(), note=screening.note,
            screening_sources=self._sources())

    def _steps(self) -> list[dict[str, str]]:
        return [{lang: step[lang].format(**self._phones) for lang in LANGUAGES} | {"source": step["source"]}
                for step in self.screening.steps]

    def _sources(self) -> list[dict[str, str]]:
        return [{"key": s.key, "publisher": s.publisher, "title": s.title, "url": s.url, "accessed": s.accessed}
                for s in self.screening.sources.values()]
