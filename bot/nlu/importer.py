"""Rasa's file importer, plus the answer cards as NLU training data.

The example questions are written once, in the cards (data/knowledge/*.yml). Here they become
examples of the `ask_question` intent, each labelled with its language (which the language
identifier learns from) and its card and the card's subject (which the card classifier learns
from), so a card added to the knowledge is learnt at the next training without a second copy of
its questions. Each card's title, answer and next step are added too, labelled with the card but with no intent:
they teach the card classifier the card's own words, and the intent classifier nothing (they
are not questions).
"""

from __future__ import annotations

from pathlib import Path

from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import INTENT, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge.loader import read_knowledge
from bot.knowledge.schema import Card, CardExample
from bot.knowledge.store import KNOWLEDGE_DIR
from bot.text import LANGUAGES

QUESTION_INTENT = "ask_question"
CARD = "card"  # the key of an example's card, on its training message
SUBJECT = "card_subject"  # and the card's subject


CARD_TEXTS = ("title", "answer", "next_step")


def card_examples(directory: Path = KNOWLEDGE_DIR) -> TrainingData:
    """Every example question of every card, and its own texts, as NLU training messages."""
    content = read_knowledge(directory)  # a broken file stops the training with its located problems
    messages = [
        Message(data={TEXT: row["text"], INTENT: QUESTION_INTENT, CARD: entity.key,
                      SUBJECT: entity.row["subject"],
                      METADATA: {METADATA_INTENT: {"language": row["language"]}}})
        for entity in content.entities[Card] for row in entity.children[CardExample]]
    messages += [Message(data={TEXT: entity.row[f"{name}_{language}"], CARD: entity.key,
                               SUBJECT: entity.row["subject"]})
                 for entity in content.entities[Card] for name in CARD_TEXTS for language in LANGUAGES]
    return TrainingData(training_examples=messages)


class KnowledgeImporter(RasaFileImporter):
    """`importers: [{name: bot.nlu.importer.KnowledgeImporter}]` in config.yml."""

    def get_nlu_data(self, language: str | None = "en") -> TrainingData:
        return super().get_nlu_data(language).merge(card_examples())
