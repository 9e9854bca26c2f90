"""Custom Rasa NLU components: language, intent, answer card, situation, danger override.

They are thin adapters: the decisions live in bot.language, bot.nlu.intent_model,
bot.nlu.card_model, bot.situation and bot.emergency.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_RANKING_KEY,
    METADATA,
    METADATA_INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.emergency import danger_signals
from bot.language import LanguageModel, identify
from bot.nlu import card_model, intent_model
from bot.nlu.card_model import CardModel
from bot.nlu.importer import CARD, QUESTION_INTENT
from bot.nlu.intent_model import IntentModel
from bot.situation import read_situation
from bot.text import as_language

logger = logging.getLogger(__name__)
LANGUAGE_ENTITY = "language"
EMERGENCY_INTENT = "report_emergency"
CARD_RANKING = "card_ranking"  # on a parsed message: [{"card": key, "confidence": p}, ...]
# Below this, the classifier's `report_emergency` without a danger pattern is answered as a
# question that starts with the emergency numbers (EmergencyDetector). Ordinary questions with
# the words of danger (late pay, a kept deposit) reach 0.9 and more: reports/nlu/danger_report.md.
EMERGENCY_MODEL_CONFIDENCE = 0.95
_MODEL_FILE = "model.pkl"


def _persist(model_storage: ModelStorage, resource: Resource, model: object) -> None:
    """Saves a component's trained model into the Rasa model archive."""
    with model_storage.write_to(resource) as directory:
        (directory / _MODEL_FILE).write_bytes(pickle.dumps(model))


def _restore(model_storage: ModelStorage, resource: Resource) -> Any:
    """The model `_persist` saved, or None when the archive has none (not trained yet)."""
    try:
        with model_storage.read_from(resource) as directory:
            return pickle.loads((directory / _MODEL_FILE).read_bytes())
    except (ValueError, FileNotFoundError):
        return None


def _entity(kind: str, value: Any, text: str, extractor: str, confidence: float = 1.0) -> dict[str, Any]:
    return {ENTITY_ATTRIBUTE_TYPE: kind, ENTITY_ATTRIBUTE_VALUE: value, ENTITY_ATTRIBUTE_START: 0,
            ENTITY_ATTRIBUTE_END: len(text), ENTITY_ATTRIBUTE_CONFIDENCE: confidence, EXTRACTOR: extractor}


def example_language(message: Message) -> str | None:
    """The language an NLU example is written in, from its intent block's metadata."""
    metadata = message.get(METADATA) or {}
    return as_language((metadata.get(METADATA_INTENT) or {}).get("language"))


class _TrainedComponent(GraphComponent):
    """A component that trains one model, keeps it pickled in its resource and loads it back."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> _TrainedComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> _TrainedComponent:
        return cls(config, model_storage, resource, _restore(model_storage, resource))

    def _keep(self, model: Any) -> Resource:
        """Uses `model` from now on and saves it into the Rasa model archive."""
        self.model = model
        _persist(self._model_storage, self._resource, model)
        return self._resource


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LanguageIdentifier(_TrainedComponent, EntityExtractorMixin):
    """Adds a `language` entity (sq/en) when a message's language is clear.

    No entity means "keep the conversation's language": short or ambiguous messages such as
    "ok", "112" or "UK" never switch it. An explicit request ("shqip", "in English") always does.
    """

    model: LanguageModel | None

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the language model on the NLU examples labelled with a language."""
        labelled = [(m.get(TEXT), example_language(m)) for m in training_data.intent_examples]
        texts, labels = zip(*[(t, lang) for t, lang in labelled if t and lang], strict=True)
        return self._keep(LanguageModel().fit(texts, labels))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            guess = identify(text, self.model)
            message.set("language_guess", {"language": guess.language, "best": guess.best,
                                           "confidence": round(guess.confidence, 3),
                                           "explicit": guess.explicit}, add_to_output=True)
            if guess.language:
                entity = _entity(LANGUAGE_ENTITY, guess.language, text, self.__class__.__name__,
                                 guess.confidence)
                message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(_TrainedComponent, IntentClassifier):
    """Sets the intent and its ranking from the character n-gram model of bot.nlu.intent_model.

    It needs no tokenizer or featurizer before it: the model reads the text itself.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": intent_model.DEFAULT_C, "min_ngram": intent_model.DEFAULT_NGRAMS[0],
                "max_ngram": intent_model.DEFAULT_NGRAMS[1], "ranking_length": 10}

    model: IntentModel | None

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        model = IntentModel(float(self.config["C"]), (int(self.config["min_ngram"]), int(self.config["max_ngram"])))
        return self._keep(model.fit([m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples]))

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        for message in messages:
            ranking = [{"name": name, "confidence": p}
                       for name, p in self.model.rank(message.get(TEXT) or "")]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[: int(self.config["ranking_length"])],
                        add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CardClassifier(_TrainedComponent):
    """Adds `card_ranking`: the answer cards most likely asked for, from bot.nlu.card_model.

    Trained on the training messages that carry a card (the cards' example questions and own
    texts, added by bot.nlu.importer); the intent is left to the intent classifier.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": card_model.DEFAULT_C, "min_ngram": card_model.DEFAULT_NGRAMS[0],
                "max_ngram": card_model.DEFAULT_NGRAMS[1], "ranking_length": 10}

    model: CardModel | None

    def train(self, training_data: TrainingData) -> Resource:
        if len({m.get(CARD) for m in training_data.training_examples if m.get(CARD)}) < 2:
            # trained without the knowledge importer
            logger.warning("no answer cards in the training data: the card classifier ranks nothing")
            return self._resource
        return self._keep(card_model.trained_on(training_data.training_examples, float(self.config["C"]),
                                                (int(self.config["min_ngram"]), int(self.config["max_ngram"]))))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        for message in messages:
            ranking = self.model.rank(message.get(TEXT) or "", int(self.config["ranking_length"]))
            message.set(CARD_RANKING, [{"card": card, "confidence": round(p, 4)} for card, p in ranking],
                        add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class SituationExtractor(GraphComponent, EntityExtractorMixin):
    """Adds the entities `country`, `location`, `asker` and `minor` that bot.situation reads in a
    message; the domain's slots keep them across turns."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SituationExtractor:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        name = self.__class__.__name__
        for message in messages:
            text = message.get(TEXT) or ""
            situation = read_situation(text)
            found = [_entity(kind, value, text, name) for kind, value in (
                ("country", situation.country), ("location", situation.location),
                ("asker", situation.asker), ("minor", situation.minor or None)) if value]
            if found:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *found], add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmergencyDetector(GraphComponent):
    """Decides `report_emergency`: danger patterns override the intent; the classifier alone
    does not, unless it is very sure.

    Runs last in the pipeline, after the fallback classifier, so a person in danger is never
    routed to "I did not understand", whatever the classifier thought (a fallback placed after
    it would turn a confident emergency into nlu_fallback whenever the classifier was also
    confident of a neighbouring intent: the ambiguity check).

    The classifier learns `report_emergency` from examples and so also leans to it on ordinary
    questions that share their words ("my boss pays me late", "locked out of my flat"). When it
    does so without a danger pattern and below EMERGENCY_MODEL_CONFIDENCE, the message is
    answered as a question, with `danger_hint` set: the answer then starts with the emergency
    numbers (bot/emergency_reply.safety_note), so a danger the patterns miss still gets them
    first, without the full emergency reply for a question.
    """

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> EmergencyDetector:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            signals = danger_signals(message.get(TEXT) or "")
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != EMERGENCY_INTENT]
            intent = message.get(INTENT) or {}
            if signals:
                override = {"name": EMERGENCY_INTENT, "confidence": 1.0}
                message.set(INTENT, override, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [override, *ranking], add_to_output=True)
                message.set("danger_signals", signals, add_to_output=True)
            elif (intent.get("name") == EMERGENCY_INTENT
                  and float(intent.get("confidence") or 0.0) < EMERGENCY_MODEL_CONFIDENCE):
                message.set(INTENT, {"name": QUESTION_INTENT, "confidence": float(intent.get("confidence") or 0.0)},
                            add_to_output=True)
                message.set("danger_hint", True, add_to_output=True)
        return messages
